"""NumPy on Tensors: `np.exp(t)`, `np.sum(t, axis=0)` ... dispatch to chainrule's ops.

Tensor's `__array_ufunc__` and `__array_function__` look the NumPy callable up here.
Differentiable functions map to chainrule ops, registered by each op where it is defined
(`@primitive(numpy=numpy.tanh)` or `register(numpy.log2, log2)`); functions whose result
carries no gradient (shapes, comparisons, argmax, ...) are listed below and run on the raw
arrays; anything else is a TypeError that names the function, so a graph is never dropped
silently.
"""

import sys

import numpy

from chainrule._backend import array_module
from chainrule._core.modes import is_grad_enabled
from chainrule._core.tensor import Tensor, raw_nested
from chainrule._tree import tree_flatten
from chainrule.errors import GradientError

UFUNCS = {}
"""NumPy ufunc -> chainrule op; each op module registers its own, next to its definition."""

FUNCTIONS = {}
"""NumPy array function -> chainrule op, filled the same way."""

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
    numpy.isreal,
    numpy.iscomplex,
    numpy.isposinf,
    numpy.isneginf,
    numpy.fix,
    numpy.array_equiv,
    numpy.argpartition,
    numpy.digitize,
    numpy.copyto,
}


NUMPY_SUBMODULES = ("linalg", "fft")
"""NumPy's submodules with counterparts in other array modules (cupy.linalg, cupy.fft);
named, not imported, so `import chainrule` does not load numpy.fft."""


def same_function(function, module):
    """`module`'s function of the same name as the NumPy function `function` (itself on
    NumPy), so work on raw arrays stays on their device."""
    if module is numpy:
        return function
    name = function.__name__
    if getattr(numpy, name, None) is function:
        return getattr(module, name)
    for sub_name in NUMPY_SUBMODULES:
        sub = sys.modules.get(f"numpy.{sub_name}")
        if sub is not None and getattr(sub, name, None) is function:
            return getattr(getattr(module, sub_name), name)
    raise TypeError(f"{function.__module__}.{name} has no counterpart in {module.__name__}")


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


def _unsupported(name):
    return GradientError(
        f"chainrule does not support {name} on Tensors (it has no gradient rule); "
        "use cr.stop_gradient(x) (or x.detach().numpy()) if you do not need its gradient, "
        "or write it with supported ops"
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
        arrays = [raw_nested(x) for x in inputs]
        return same_function(ufunc, array_module(*arrays))(*arrays, **kwargs)
    op = UFUNCS.get(ufunc)
    if op is None and _load_scipy_special_rules():
        op = UFUNCS.get(ufunc)
    if op is None:
        raise _unsupported(_ufunc_name(ufunc))
    return op(*_lists_as_arrays(ufunc, inputs), **kwargs)


def _ufunc_name(ufunc):
    """numpy.exp, or scipy.special.zeta for one of SciPy's (whose ufunc may be _zeta)."""
    name = ufunc.__name__
    if getattr(numpy, name, None) is ufunc:
        return f"numpy.{name}"
    public = name.lstrip("_")
    return f"scipy.special.{public}" if hasattr(sys.modules.get("scipy.special"), public) else name


def _load_scipy_special_rules():
    """Register scipy.special's ufuncs the first time one meets a Tensor (if SciPy is
    loaded), so `import chainrule` never imports SciPy. True if this added rules."""
    if "scipy.special" not in sys.modules or "chainrule.ops.scipy_special" in sys.modules:
        return False
    import chainrule.ops.scipy_special  # noqa: F401 - registers its ufuncs on import

    return True


WRITES_VALUES = {numpy.copyto: 1, numpy.full_like: 1, numpy.unique: 0, numpy.bincount: 1}
"""Functions without a gradient whose result holds the values of the Tensors from this
argument on (`np.full(shape, t)` is `copyto(empty, t)`; `bincount`'s weights): on a Tensor
in a graph they would drop it, so they raise."""


def _refuse_written_values(func, args, kwargs):
    for value in (*args[WRITES_VALUES[func] :], *kwargs.values()):
        if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
            raise GradientError(
                f"numpy.{func.__name__} would copy the values of a Tensor that requires grad "
                "into a NumPy array and drop it from the graph; for np.full write "
                "np.broadcast_to(x, shape) or x * np.ones(shape), or use cr.stop_gradient(x) "
                "where no gradient is needed"
            )


def array_function(func, args, kwargs):
    """Tensor.__array_function__: route a NumPy function call to chainrule."""
    if func not in NON_DIFFERENTIABLE_FUNCTIONS and func not in FUNCTIONS:
        _load_lazy_ops()
    if func in NON_DIFFERENTIABLE_FUNCTIONS:
        if func in WRITES_VALUES:
            _refuse_written_values(func, args, kwargs)
        arrays = raw_nested(args)
        function = same_function(func, array_module(*tree_flatten(arrays)[0]))
        return function(*arrays, **{k: raw_nested(v) for k, v in kwargs.items()})
    op = FUNCTIONS.get(func)
    if op is None:
        raise _unsupported(f"{func.__module__}.{func.__name__}")
    return op(*_lists_as_arrays(func, args), **kwargs)


def _load_lazy_ops():
    """Register the rules of the op modules that `import chainrule` leaves for first use."""
    from chainrule import ops  # the package imports this module

    ops.load_all()


def _lists_as_arrays(func, args):
    """A list argument holding Tensors becomes one Tensor, as NumPy would make it one array
    (`np.append([t1, t2], t3)`, `np.dot([w0, w1], x)`); see ops/building.py."""
    if not any(isinstance(a, (list, tuple)) for a in args):
        return args
    from chainrule.ops.building import lists_as_arrays  # ops import this module

    return lists_as_arrays(func.__name__, args)
