"""Moving values between devices, as an op: the gradient goes back to where the input was."""

from chainrule import _backend
from chainrule.ops._primitive import primitive


@primitive
def to_device(x, device, source):
    """`x`'s values (on device `source`) on `device` ("cpu", "cuda", ...).

    The source device is an argument, so the node of a move keeps no copy of its input.
    """
    return _backend.to_device(x, device)


@to_device.defvjp
def _(g, ans, x, device, source):
    return to_device(g, source, device)
