"""`namespace(*values)`: the array module an op computes with, taken from its inputs.

On raw arrays it is their own module (numpy, cupy, a test stand-in's), so a forward or a
VJP runs at that module's speed. When a Tensor is among the values (a VJP differentiated
again, with `create_graph`), it is a namespace with the same names whose functions are
chainrule's ops, so the VJP records a graph; its array-making functions (`zeros`, `eye`,
...) make arrays of the Tensors' backend. Ops never call NumPy's functions on arrays that
may live on a device, and never hand a Tensor to an array module.
"""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor, holds_tensor, raw_nested
from chainrule.ops import numpy_dispatch
from chainrule.ops.numpy_dispatch import NUMPY_SUBMODULES as _NUMPY_SUBMODULES


def namespace(*values):
    """The module to compute with for these values (lists of them included)."""
    for value in values:
        kind = type(value)
        if kind is Tensor or (kind in (list, tuple) and holds_tensor(value)):
            return tensor_namespace(_backend.array_module(*raw_nested(values)))
    return _backend.array_module(*values)


def module_of(*values):
    """The raw array module of these values, Tensors counting as their arrays: for code
    that works on raw arrays only (no graph is recorded)."""
    return _backend.array_module(*raw_nested(values))


_tensor_namespaces = {}


def tensor_namespace(module):
    """The differentiable namespace over `module` (one per module)."""
    found = _tensor_namespaces.get(module)
    if found is None:
        found = _tensor_namespaces[module] = TensorNamespace(module, numpy)
    return found


class TensorNamespace:
    """NumPy's names on Tensors: chainrule's op where a function has a gradient, the raw
    module's function (on the arrays) where its result carries none, and the raw module's
    own function for anything that makes a new array from shapes or numbers."""

    def __init__(self, module, numpy_module):
        self._module = module
        self._numpy = numpy_module

    def __getattr__(self, name):
        reference = getattr(self._numpy, name)
        if name in _NUMPY_SUBMODULES:
            found = TensorNamespace(getattr(self._module, name), reference)
        elif isinstance(reference, numpy.ufunc):
            found = _on_tensors_ufunc(reference)
        elif callable(reference) and not isinstance(reference, type) and (
            name not in _MAKERS
        ):
            found = _on_tensors_function(reference)
        else:
            found = getattr(self._module, name)
        setattr(self, name, found)
        return found

    def __repr__(self):
        return f"<chainrule Tensor namespace over {self._module.__name__}>"


_MAKERS = frozenset(
    "zeros ones empty full eye identity arange linspace logspace geomspace tri indices "
    "asarray array finfo iinfo dtype result_type can_cast promote_types errstate".split()
)
"""Names that make arrays from shapes and numbers (or describe dtypes): the raw module's."""


def _on_tensors_ufunc(ufunc):
    def call(*args, **kwargs):
        return numpy_dispatch.array_ufunc(ufunc, "__call__", args, kwargs)

    call.__name__ = ufunc.__name__
    return call


def _on_tensors_function(function):
    def call(*args, **kwargs):
        return numpy_dispatch.array_function(function, args, kwargs)

    call.__name__ = function.__name__
    return call
