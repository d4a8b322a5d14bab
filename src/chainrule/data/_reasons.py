"""One-line reasons for the low-level exceptions that data loading turns into our own."""


def reason(exc):
    """The first line of `exc`'s message, or its type's name when it has none."""
    lines = str(exc).splitlines()
    return lines[0] if lines else type(exc).__name__
