"""Moving values between devices, as an op: the gradient goes back to where the input was."""

from chainrule import _backend
from chainrule.ops._primitive import primitive


@primitive
def to_device(x, device):
    """`x`'s values on `device` ("cpu", "cuda", ...)."""
    return _backend.to_device(x, device)


@to_device.defvjp
def _(g, ans, x, device):
    return to_device(g, _backend.device_of(x))
