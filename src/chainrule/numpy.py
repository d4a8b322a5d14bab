"""`import chainrule.numpy as np`: NumPy whose functions also take lists of Tensors.

Plain NumPy already runs on Tensors where it dispatches (`np.sum(t)`, `np.concatenate([t,
a])`), but three things can never reach chainrule: `np.array` / `np.asarray` (not
overridable), functions whose dispatch does not look inside a list (`np.sum([t1, t2])`,
`np.mean`, the ufuncs), and `np.r_` / `np.c_` (they call `np.array` on each item). This
module is NumPy with those filled in, as `jax.numpy` and `autograd.numpy` are:

- `array`, `asarray`, `asanyarray` build a differentiable Tensor from nested lists and
  tuples mixing Tensors, arrays and numbers (values, shape and dtype as NumPy's own);
  `asarray(t)` of a Tensor returns it.
- every other function is NumPy's, with list or tuple arguments that hold Tensors turned
  into one Tensor first (functions that take a sequence of arrays, such as `concatenate`
  or `vstack`, get the sequence as it is; NumPy dispatches on its items);
- `r_` and `c_` join Tensors; `linalg`, `fft` and `random` are NumPy's, wrapped the same way;
- autograd.numpy's `make_diagonal` (the complement of `diagonal`) is here too.
"""

import functools as _functools
import sys as _sys
import types as _types

import numpy as _numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor as _Tensor
from chainrule._core.tensor import holds_tensor
from chainrule.ops import elementwise as _elementwise
from chainrule.ops import shape as _shape
from chainrule.ops._namespace import namespace as _namespace
from chainrule.ops.building import (
    SEQUENCE_FUNCTIONS,
    array_from,
    as_array_like,
    lists_as_arrays,
)
from chainrule.ops.contractions import make_diagonal  # noqa: F401 - autograd.numpy's name


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):  # noqa: A002
    """numpy.array that keeps Tensors in the graph: `array([t1, t2])`, `array([[t, 1.0],
    [0.0, t]])` are differentiable Tensors with NumPy's values, shape and dtype."""
    if _on_device(object):
        return _backend.array_module(object).array(object, dtype=dtype, copy=copy, ndmin=ndmin)
    if not holds_tensor(object):
        return _numpy.array(object, dtype=dtype, copy=copy, order=order, subok=subok,
                           ndmin=ndmin)
    return array_from(object, dtype=dtype, ndmin=ndmin)


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """numpy.asarray that keeps Tensors: a Tensor comes back as it is (cast to `dtype`)."""
    if _on_device(a):
        return _backend.asarray(a, dtype=dtype)
    if not holds_tensor(a):
        return _numpy.asarray(a, dtype=dtype, order=order, copy=copy)
    return array_from(a, dtype=dtype)


asanyarray = asarray


def _on_device(value):
    """True for a raw array of a device other than the host's: it stays where it is."""
    if type(value) is _numpy.ndarray or isinstance(value, _Tensor):
        return False
    return _backend.backend_of(value) is not _backend.NUMPY


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """numpy.full whose fill value may be a Tensor (broadcast to `shape`, differentiable)."""
    if not holds_tensor(fill_value):
        module = _backend.array_module(fill_value)
        return module.full(shape, fill_value, dtype=dtype, order=order)
    value = array_from(fill_value, dtype=dtype)
    return _shape.broadcast_to(value, (shape,) if isinstance(shape, int) else tuple(shape))


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """numpy.full_like whose fill value may be a Tensor: `full` with a's shape and dtype."""
    if not holds_tensor(fill_value):
        return _namespace(a, fill_value).full_like(a, fill_value, dtype=dtype, order=order,
                                                   shape=shape)
    target = _numpy.shape(a) if shape is None else shape
    dtype = dtype if dtype is not None else _numpy.result_type(a)
    return full(target, _elementwise.astype(array_from(fill_value), dtype), dtype=dtype)


def differentiable(function):
    """`function` with list and tuple arguments holding Tensors made into one Tensor."""
    if isinstance(function, _numpy.ufunc):
        return _Ufunc(function)

    name = getattr(function, "__name__", "")

    @_functools.wraps(function)
    def call(*args, **kwargs):
        return function(*lists_as_arrays(name, args),
                        **{k: as_array_like(v) for k, v in kwargs.items()})

    return call


class _Ufunc:
    """A NumPy ufunc whose list arguments may hold Tensors; its methods are NumPy's."""

    def __init__(self, ufunc):
        self.ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.__doc__ = ufunc.__doc__

    def __call__(self, *args, **kwargs):
        return self.ufunc(*[as_array_like(a) for a in args], **kwargs)

    def __getattr__(self, name):
        return getattr(self.ufunc, name)

    def __repr__(self):
        return f"<chainrule.numpy ufunc {self.__name__}>"


class _Joiner:
    """`r_` (axis 0, at least 1-D) and `c_` (last axis, 1-D arrays as columns)."""

    def __init__(self, axis, ndmin, trans1d):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            settings = [int(s) for s in items[0].split(",")]
            axis, ndmin, trans1d = (settings + [ndmin, trans1d][len(settings) - 1 :])[:3]
            items = items[1:]
        pieces = []
        for item in items:
            if isinstance(item, slice):
                pieces.append(_numpy.r_[item])
                continue
            piece = array_from(item) if holds_tensor(item) else _backend.asarray(item)
            pieces.append(_at_least(piece, ndmin, trans1d))
        return _shape.concatenate(_on_one_device(pieces), axis=axis)


def _on_one_device(pieces):
    """The pieces, host arrays (numbers and slices among them) moved to the device of the
    first piece that lives on one."""
    arrays = [p.data if isinstance(p, _Tensor) else p for p in pieces]
    like = next((a for a in arrays if _on_device(a)), None)
    if like is None:
        return pieces
    return [p if isinstance(p, _Tensor) else _backend.asarray(p, like=like) for p in pieces]


def _at_least(piece, ndmin, trans1d):
    """NumPy's AxisConcatenator rule: pad to ndmin axes, the old ones placed at trans1d."""
    ndim = piece.ndim
    if ndim >= ndmin:
        return piece
    added = ndmin - ndim
    padded = _shape.reshape(piece, (1,) * added + tuple(piece.shape))
    start = trans1d + added + 1 if trans1d < 0 else trans1d
    axes = list(range(ndmin))
    order = axes[:start] + axes[added:] + axes[start:added]
    return _shape.transpose(padded, tuple(order)) if order != axes else padded


r_ = _Joiner(axis=0, ndmin=1, trans1d=-1)
c_ = _Joiner(axis=-1, ndmin=2, trans1d=0)


class _Namespace(_types.ModuleType):
    """A NumPy submodule (linalg, fft, random) with its functions made `differentiable`."""

    def __init__(self, name, module):
        super().__init__(name, module.__doc__)
        self._module = module

    def __getattr__(self, name):
        return _wrapped(self._module, name)

    def __dir__(self):
        return dir(self._module)


@_functools.cache
def _wrapped(module, name):
    value = getattr(module, name)
    if name in SEQUENCE_FUNCTIONS or isinstance(value, (type, _types.ModuleType)):
        return value
    return differentiable(value) if callable(value) else value


for _name in ("linalg", "fft", "random"):
    globals()[_name] = _sys.modules[f"{__name__}.{_name}"] = _Namespace(
        f"{__name__}.{_name}", getattr(_numpy, _name)
    )


__all__ = sorted(set(_numpy.__all__) | {"array", "asarray", "asanyarray", "r_", "c_", "linalg",
                                         "fft", "random", "differentiable", "make_diagonal", "full",
                                         "full_like"})


def __getattr__(name):
    """Any other NumPy name: functions made `differentiable`, the rest as NumPy has them."""
    return _wrapped(_numpy, name)


def __dir__():
    return sorted(set(dir(_numpy)) | set(globals()))
