"""Axis bookkeeping shared by the VJPs: axes counted from the end survive batch axes."""

from chainrule.ops._namespace import namespace


def negative_axes(axis, ndim):
    """`axis` (None, int or tuple) as a sorted tuple of negative axes of an ndim array."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, int):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a - ndim if a >= 0 else a)
    return tuple(sorted(out))


def expand_reduced(g, axes, keepdims):
    """Put back the reduced axes of a cotangent (size 1) so it broadcasts against the input."""
    if keepdims or not axes:
        return g
    return namespace(g).expand_dims(g, axes)


def batch_ndim(g, ans):
    """How many leading batch axes the cotangent `g` carries over the output `ans`."""
    return g.ndim - ans.ndim
