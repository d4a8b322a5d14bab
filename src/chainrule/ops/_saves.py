"""Which of a VJP's parameters its code reads: what a graph node must keep for it.

`vjp(g, ans, x, y)` written as `lambda g, ans, x, y: g` reads neither `ans` nor the
inputs, so the node of an `add` keeps nothing; `exp`'s `g * ans` keeps only the output.
The answer is read off the function's bytecode; anything it cannot see (a parameter
captured by an inner function, `*args`, a callable without code) counts as read.
"""

import dis
import inspect


def reads_of(function, skip):
    """(reads the output, positions of the inputs read, or None for all of them).

    `skip` is the number of leading parameters before the inputs: 2 for `(g, ans, ...)`,
    3 for `defvjp_argnum`'s `(argnum, g, ans, ...)`; the output is the last of those.
    """
    code = getattr(function, "__code__", None)
    if code is None or inspect.ismethod(function):
        return True, None
    names = code.co_varnames[: code.co_argcount]
    if len(names) < skip or code.co_flags & inspect.CO_VARARGS:
        return True, None
    read = set(code.co_cellvars)
    for instruction in dis.get_instructions(code):
        # Any load of a local (LOAD_FAST and its 3.12-3.14 variants, LOAD_DEREF, a fused
        # STORE_FAST_LOAD_FAST): an opcode added by a later Python is read, not missed.
        if "LOAD" in instruction.opname or instruction.opname == "DELETE_FAST":
            value = instruction.argval
            read.update(value if isinstance(value, tuple) else (value,))
    if "locals" in code.co_names or "vars" in code.co_names:
        return True, None
    inputs = names[skip:]
    return names[skip - 1] in read, {i for i, name in enumerate(inputs) if name in read}
