"""Indexing: getitem (basic and advanced) and its scatter-add adjoint."""

from chainrule import _backend
from chainrule._core.tensor import Tensor
from chainrule.ops._axes import batch_ndim
from chainrule.ops._primitive import primitive

xp = _backend.xp


def normalize_index(index):
    """Replace Tensors inside an index by their arrays; always return a tuple."""
    if not isinstance(index, tuple):
        index = (index,)
    return tuple(item.data if isinstance(item, Tensor) else item for item in index)


def _is_basic(index):
    """Basic indices (ints, slices, None, ...) select each element at most once."""
    return all(
        item is None or item is Ellipsis or isinstance(item, (int, slice, xp.integer))
        for item in index
    )


@primitive
def getitem(x, index):
    return x[index]


@getitem.defvjp
def _(g, ans, x, index):
    return scatter_add(g, index, x.shape, batch_ndim(g, ans))


@primitive
def scatter_add(values, index, shape, prefix):
    """zeros(batch + shape) with `values` added at `index`; repeated indices accumulate.

    The first `prefix` axes of `values` are batch axes that `index` does not touch.
    """
    out = xp.zeros(values.shape[:prefix] + tuple(shape), dtype=values.dtype)
    full_index = (slice(None),) * prefix + index
    if _is_basic(index):
        out[full_index] = values
    else:
        xp.add.at(out, full_index, values)
    return out


@scatter_add.defvjp
def _(g, ans, values, index, shape, prefix):
    return g[(slice(None),) * (batch_ndim(g, ans) + prefix) + index]
