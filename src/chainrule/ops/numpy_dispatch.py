"""NumPy on Tensors: `np.exp(t)`, `np.sum(t, axis=0)` ... dispatch to chainrule's ops.

Tensor's `__array_ufunc__` and `__array_function__` look the NumPy callable up here.
Differentiable functions map to chainrule ops; functions whose result carries no gradient
(shapes, comparisons, argmax, ...) run on the raw arrays; anything else is a TypeError
that names the function, so a graph is never dropped silently.
"""

import sys

import numpy

from chainrule._core.tensor import Tensor
from chainrule.ops import elementwise as ew
from chainrule.ops import linalg, reductions
from chainrule.ops import shape as shape_ops
from chainrule.ops.indexing import getitem, sort, take_along_axis

UFUNCS = {
    numpy.add: ew.add,
    numpy.subtract: ew.subtract,
    numpy.multiply: ew.multiply,
    numpy.divide: ew.divide,
    numpy.negative: ew.negative,
    numpy.positive: lambda x: x,
    numpy.power: ew.power,
    numpy.square: ew.square,
    numpy.sqrt: ew.sqrt,
    numpy.exp: ew.exp,
    numpy.expm1: ew.expm1,
    numpy.log: ew.log,
    numpy.log1p: ew.log1p,
    numpy.sin: ew.sin,
    numpy.cos: ew.cos,
    numpy.tan: ew.tan,
    numpy.tanh: ew.tanh,
    numpy.arcsin: ew.arcsin,
    numpy.arccos: ew.arccos,
    numpy.arctan: ew.arctan,
    numpy.sinh: ew.sinh,
    numpy.cosh: ew.cosh,
    numpy.log2: ew.log2,
    numpy.log10: ew.log10,
    numpy.exp2: ew.exp2,
    numpy.absolute: ew.absolute,
    numpy.sign: ew.sign,
    numpy.maximum: ew.maximum,
    numpy.minimum: ew.minimum,
    numpy.matmul: linalg.matmul,
    numpy.reciprocal: lambda x: ew.divide(1, x),
}

NON_DIFFERENTIABLE_UFUNCS = {
    numpy.greater,
    numpy.greater_equal,
    numpy.less,
    numpy.less_equal,
    numpy.equal,
    numpy.not_equal,
    numpy.isfinite,
    numpy.isnan,
    numpy.isinf,
    numpy.signbit,
    numpy.logical_and,
    numpy.logical_or,
    numpy.logical_not,
    numpy.logical_xor,
    numpy.floor,
    numpy.ceil,
    numpy.rint,
    numpy.trunc,
    numpy.floor_divide,
}


def _where(condition, x=None, y=None):
    if x is None and y is None:
        return numpy.nonzero(_raw(condition))
    return ew.where(_raw(condition), x, y)


def _clip(a, a_min=None, a_max=None, **kwargs):
    return ew.clip(a, kwargs.pop("min", a_min), kwargs.pop("max", a_max), **kwargs)


def _with_dtype(op):
    def reduce(a, axis=None, dtype=None, keepdims=False):
        if dtype is not None:
            a = ew.astype(a, dtype)
        return op(a, axis=axis, keepdims=keepdims)

    return reduce


def _var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    return reductions.var(a if dtype is None else ew.astype(a, dtype), axis, ddof, keepdims)


def _std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    return reductions.std(a if dtype is None else ew.astype(a, dtype), axis, ddof, keepdims)


def _reshape(a, shape=None, order="C", **kwargs):
    shape = kwargs.pop("newshape", shape)
    if order != "C":
        raise TypeError("chainrule supports numpy.reshape only with order='C'")
    return shape_ops.reshape(a, shape)


FUNCTIONS = {
    numpy.sum: _with_dtype(reductions.sum),
    numpy.mean: _with_dtype(reductions.mean),
    numpy.prod: _with_dtype(reductions.prod),
    numpy.max: reductions.max,
    numpy.amax: reductions.max,
    numpy.min: reductions.min,
    numpy.amin: reductions.min,
    numpy.var: _var,
    numpy.std: _std,
    numpy.cumsum: reductions.cumsum,
    numpy.where: _where,
    numpy.clip: _clip,
    numpy.dot: linalg.dot,
    numpy.outer: linalg.outer,
    numpy.einsum: linalg.einsum,
    numpy.reshape: _reshape,
    numpy.transpose: shape_ops.transpose,
    numpy.swapaxes: shape_ops.swapaxes,
    numpy.moveaxis: shape_ops.moveaxis,
    numpy.expand_dims: shape_ops.expand_dims,
    numpy.squeeze: shape_ops.squeeze,
    numpy.ravel: shape_ops.ravel,
    numpy.broadcast_to: shape_ops.broadcast_to,
    numpy.concatenate: shape_ops.concatenate,
    numpy.stack: shape_ops.stack,
    numpy.split: shape_ops.split,
    numpy.pad: shape_ops.pad,
    numpy.flip: shape_ops.flip,
    numpy.tile: shape_ops.tile,
    numpy.repeat: shape_ops.repeat,
    numpy.take_along_axis: take_along_axis,
    numpy.sort: sort,
    numpy.linalg.norm: reductions.norm,
    numpy.take: lambda a, indices, axis=None: (
        getitem(shape_ops.ravel(a), (numpy.asarray(_raw(indices)),))
        if axis is None
        else getitem(a, (slice(None),) * (axis % numpy.ndim(a)) + (numpy.asarray(_raw(indices)),))
    ),
}

NON_DIFFERENTIABLE_FUNCTIONS = {
    numpy.shape,
    numpy.ndim,
    numpy.size,
    numpy.zeros_like,
    numpy.ones_like,
    numpy.empty_like,
    numpy.full_like,
    numpy.nonzero,
    numpy.argmax,
    numpy.argmin,
    numpy.argsort,
    numpy.allclose,
    numpy.isclose,
    numpy.array_equal,
    numpy.count_nonzero,
    numpy.result_type,
    numpy.can_cast,
    numpy.any,
    numpy.all,
    numpy.flatnonzero,
    numpy.argwhere,
    numpy.unique,
    numpy.searchsorted,
    numpy.bincount,
    numpy.round,
    numpy.around,
    numpy.isrealobj,
    numpy.iscomplexobj,
    numpy.copyto,
}


def register(numpy_function, op=None):
    """Route `numpy_function` (a ufunc or an array function) on Tensors to chainrule's `op`.

    With `op=None` the function is marked as having no gradient: it runs on the raw arrays
    (for results that carry no derivative, such as shapes or comparisons).
    """
    is_ufunc = isinstance(numpy_function, numpy.ufunc)
    if op is None:
        (NON_DIFFERENTIABLE_UFUNCS if is_ufunc else NON_DIFFERENTIABLE_FUNCTIONS).add(
            numpy_function
        )
    else:
        (UFUNCS if is_ufunc else FUNCTIONS)[numpy_function] = op
    return op


def _raw(value):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_raw(v) for v in value)
    return value


def _unsupported(name):
    return TypeError(
        f"chainrule does not support {name} on Tensors (it has no gradient rule); "
        "use .detach().numpy() if you do not need its gradient, or write it with "
        "supported ops"
    )


def array_ufunc(ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__: route a NumPy ufunc call to the matching chainrule op."""
    if method != "__call__" or "out" in kwargs:
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        raise TypeError(
            f"chainrule does not support numpy.{name}"
            + (" with out=" if "out" in kwargs else "")
            + " on Tensors"
        )
    if ufunc in NON_DIFFERENTIABLE_UFUNCS:
        return ufunc(*[_raw(x) for x in inputs], **kwargs)
    op = UFUNCS.get(ufunc)
    if op is None and _load_scipy_special_rules():
        op = UFUNCS.get(ufunc)
    if op is None:
        raise _unsupported(f"numpy.{ufunc.__name__}")
    return op(*inputs, **kwargs)


def _load_scipy_special_rules():
    """Register scipy.special's ufuncs the first time one meets a Tensor (if SciPy is
    loaded), so `import chainrule` never imports SciPy. True if this added rules."""
    if "scipy.special" not in sys.modules or "chainrule.ops.scipy_special" in sys.modules:
        return False
    import chainrule.ops.scipy_special  # noqa: F401 - registers its ufuncs on import

    return True


def array_function(func, args, kwargs):
    """Tensor.__array_function__: route a NumPy function call to chainrule."""
    if func in NON_DIFFERENTIABLE_FUNCTIONS:
        return func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})
    op = FUNCTIONS.get(func)
    if op is None:
        raise _unsupported(f"{func.__module__}.{func.__name__}")
    return op(*args, **kwargs)
