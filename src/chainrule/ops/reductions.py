"""Reductions: sum, mean, max, min, prod, cumsum, logsumexp, and var/std built on them."""

import math

import numpy

from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.ops._axes import batch_ndim, expand_reduced, negative_axes
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.elementwise import astype
from chainrule.ops.numpy_dispatch import register


def _spread(g, ans, x, axis, keepdims):
    """The reduced cotangent broadcast back over the input's shape (batch axes kept)."""
    axes = negative_axes(axis, x.ndim)
    g = expand_reduced(g, axes, keepdims)
    return namespace(g).broadcast_to(g, g.shape[: batch_ndim(g, x)] + x.shape)


@primitive
def sum(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    return array_module(x).sum(x, axis=axis, keepdims=keepdims)


@sum.defvjp
def _(g, ans, x, axis=None, keepdims=False):
    return _spread(g, ans, x, axis, keepdims)


@primitive
def mean(x, axis=None, keepdims=False):
    return array_module(x).mean(x, axis=axis, keepdims=keepdims)


@mean.defvjp
def _(g, ans, x, axis=None, keepdims=False):
    return _spread(g, ans, x, axis, keepdims) / _reduced_count(x.shape, axis)


def _reduced_count(shape, axis):
    """How many elements each output of a reduction over `axis` summarises."""
    count = 1
    for a in negative_axes(axis, len(shape)):
        count *= shape[a]
    return count


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    """Ties split the gradient evenly among the positions that hold the extremum."""
    axes = negative_axes(axis, x.ndim)
    raw_x = raw(x)
    raw_ans = expand_reduced(raw(ans), axes, keepdims)
    mask = raw_x == raw_ans
    share = mask / module_of(x).sum(mask, axis=axes, keepdims=True)
    return _spread(g, ans, x, axis, keepdims) * share.astype(raw_x.dtype)


@primitive(numpy=(numpy.max, numpy.amax))
def max(x, axis=None, keepdims=False):  # noqa: A001
    return array_module(x).max(x, axis=axis, keepdims=keepdims)


@primitive(numpy=(numpy.min, numpy.amin))
def min(x, axis=None, keepdims=False):  # noqa: A001
    return array_module(x).min(x, axis=axis, keepdims=keepdims)


max.defvjp(_extremum_vjp)
min.defvjp(_extremum_vjp)


@primitive
def prod(x, axis=None, keepdims=False):
    return array_module(x).prod(x, axis=axis, keepdims=keepdims)


@prod.defvjp
def _(g, ans, x, axis=None, keepdims=False):
    return _spread(g, ans, x, axis, keepdims) * _product_of_others(x, axis=axis)


@primitive
def _product_of_others(x, axis=None):
    """For each element, the product of the others along `axis` (exact with zeros)."""
    xp = array_module(x)
    axes = negative_axes(axis, x.ndim)
    moved = xp.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(
        xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1
    )
    others = (before * after).reshape(moved.shape)
    return xp.moveaxis(others, tuple(range(-len(axes), 0)), axes)


@_product_of_others.defvjp
def _(g, ans, x, axis=None):
    # Used for second derivatives: entry j is the sum over i != j of g_i times the product
    # of the x_k with k != i, j. Where x has no zeros that is (sum(g * ans) - g * ans) / x
    # (equal to the product in a neighbourhood, so exact to every order); with zeros it is
    # built pairwise, a polynomial in x, so it stays exact there too.
    ns = namespace(g, ans, x)
    axes = negative_axes(axis, x.ndim)
    if not (raw(x) == 0).any():
        total = ns.sum(g * ans, axis=axes, keepdims=True)
        return (total - g * ans) / x
    last = tuple(range(-len(axes), 0))
    moved_x, moved_g = ns.moveaxis(x, axes, last), ns.moveaxis(g, axes, last)
    size = math.prod(moved_x.shape[moved_x.ndim - len(axes) :])
    flat_x = ns.reshape(moved_x, moved_x.shape[: moved_x.ndim - len(axes)] + (size,))
    flat_g = ns.reshape(moved_g, moved_g.shape[: moved_g.ndim - len(axes)] + (size,))
    diagonal = ns.eye(size, dtype=bool)
    # Row j: x with x_j replaced by 1; its products of others, off the diagonal, are the pairs.
    pairs = _product_of_others(ns.where(diagonal, 1, flat_x[..., None, :]), axis=-1)
    flat = ns.sum(flat_g[..., None, :] * ns.where(diagonal, 0, pairs), axis=-1)
    return ns.moveaxis(ns.reshape(flat, moved_g.shape), last, axes)


@primitive
def _cumsum(x, axis):
    return array_module(x).cumsum(x, axis=axis)


@_cumsum.defvjp
def _(g, ans, x, axis):
    (ax,) = negative_axes(axis, x.ndim)
    ns = namespace(g)
    return ns.flip(ns.cumsum(ns.flip(g, ax), axis=ax), ax)


def cumsum(x, axis=None):
    """Running sum along `axis` (over the flattened array when axis is None)."""
    if axis is None:
        return _cumsum(namespace(x).reshape(x, (-1,)), 0)
    return _cumsum(x, axis)


register(numpy.cumsum, cumsum)


@primitive
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) with the maximum subtracted first: finite for inputs like 1e4."""
    xp = array_module(x)
    shift = xp.max(x, axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(shift), shift, 0)
    out = xp.log(xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else xp.squeeze(out, axis=axis)


@logsumexp.defvjp
def _(g, ans, x, axis=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    shifted = x - expand_reduced(ans, axes, keepdims)
    return expand_reduced(g, axes, keepdims) * namespace(shifted).exp(shifted)


def _deviation(x, axis):
    """x minus its mean over `axis`, conjugated for complex x: the factor d|x - mean|^2 / dx."""
    ns = namespace(x)
    deviation = x - ns.mean(x, axis=axis, keepdims=True)
    return ns.conj(deviation) if deviation.dtype.kind == "c" else deviation


@primitive
def var(x, axis=None, ddof=0, keepdims=False):
    """Variance: sum |x - mean|^2 / (n - ddof); real for complex x, as NumPy's."""
    return array_module(x).var(x, axis=axis, ddof=ddof, keepdims=keepdims)


@var.defvjp
def _(g, ans, x, axis=None, ddof=0, keepdims=False):
    scale = 2 / (_reduced_count(x.shape, axis) - ddof)
    return _spread(g, ans, x, axis, keepdims) * scale * _deviation(x, axis)


@primitive
def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation, sqrt(var); its gradient at zero spread is taken as 0."""
    return array_module(x).std(x, axis=axis, ddof=ddof, keepdims=keepdims)


@std.defvjp
def _(g, ans, x, axis=None, ddof=0, keepdims=False):
    # d std = d var / (2 std). Where std is 0 (a constant slice, a length-1 axis) the
    # derivative does not exist; 0 is the subgradient PyTorch and JAX-with-where give.
    ns = namespace(g, ans)
    spread_is_zero = raw(ans) == 0
    g = ns.where(spread_is_zero, 0, g / ns.where(spread_is_zero, 1, ans))
    scale = 1 / (_reduced_count(x.shape, axis) - ddof)
    return _spread(g, ans, x, axis, keepdims) * scale * _deviation(x, axis)


def _numpy_signature(op, positional):
    """`op` called as NumPy's reduction is: `(a, axis, dtype, out, *positional)`."""

    def reduce(a, axis=None, dtype=None, out=None, *args, **kwargs):
        if out is not None:
            raise TypeError(f"chainrule does not support numpy.{op.name} with out= on Tensors")
        kwargs.update(zip(positional, args))
        return op(a if dtype is None else astype(a, dtype), axis=axis, **kwargs)

    return reduce


for _numpy_function, _op, _positional in [
    (numpy.sum, sum, ("keepdims",)),
    (numpy.mean, mean, ("keepdims",)),
    (numpy.prod, prod, ("keepdims",)),
    (numpy.var, var, ("ddof", "keepdims")),
    (numpy.std, std, ("ddof", "keepdims")),
]:
    register(_numpy_function, _numpy_signature(_op, _positional))
