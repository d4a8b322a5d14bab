"""Arrays built from nested lists and tuples that hold Tensors: `[t1, t2]`, `[[t, 1.0],
[0.0, t]]`. NumPy would call `np.asarray` on them (which must refuse a Tensor in a graph);
here they become one differentiable Tensor, with the values, shape and dtype NumPy gives.
"""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor, holds_tensor
from chainrule.ops import elementwise, shape

SEQUENCE_FUNCTIONS = frozenset(
    {
        "concatenate", "concat", "stack", "unstack", "hstack", "vstack", "dstack",
        "column_stack", "row_stack", "block", "multi_dot", "choose", "select", "piecewise",
        "lexsort", "broadcast_arrays", "meshgrid", "einsum", "einsum_path", "ix_", "savez",
        "savez_compressed",
    }
)
"""NumPy functions whose first argument is a sequence of arrays: they take it as it is
(NumPy dispatches on its items), never as one array."""



def _stacked(value, like):
    """The nested items as one Tensor; items that are not Tensors become arrays of `like`'s
    backend (the first Tensor's)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and holds_tensor(value):
        return shape.stack([_stacked(item, like) for item in value])
    return _backend.asarray(value, like=like)


def _host_layout(value):
    """`value` with every array (Tensors' included) replaced by a host array of its shape and
    dtype: NumPy's rules give the result's shape and dtype without reading device memory."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_host_layout(item) for item in value)
    if isinstance(value, (numpy.ndarray, numpy.generic)) or not _backend.is_array(value):
        return value
    return numpy.zeros(value.shape, value.dtype)


def _first_tensor_data(value):
    """The array of the first Tensor in nested lists and tuples (None where there is none)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _first_tensor_data(item)
            if found is not None:
                return found
    return None


def array_from(value, dtype=None, ndmin=0):
    """One Tensor from nested lists and tuples holding Tensors (numpy.array's rules)."""
    target = numpy.array(_host_layout(value), dtype=dtype, ndmin=ndmin)
    built = _stacked(value, _first_tensor_data(value))
    if built.dtype != target.dtype:
        built = elementwise.astype(built, target.dtype)
    if built.shape != target.shape:
        built = shape.reshape(built, target.shape)
    return built


def as_array_like(value):
    """A list or tuple holding Tensors as one Tensor; anything else unchanged."""
    return array_from(value) if isinstance(value, (list, tuple)) and holds_tensor(value) else value


def lists_as_arrays(name, args):
    """The arguments of NumPy's `name` with each array-like list holding Tensors made one
    Tensor, as NumPy would make it one array: the arguments themselves, or for a function
    of a sequence of arrays (`concatenate([t, [t[0]]])`) the items of its sequences."""
    if name == "block":
        return list(args)
    if name not in SEQUENCE_FUNCTIONS:
        return [as_array_like(a) for a in args]
    return [
        type(a)(as_array_like(item) for item in a) if isinstance(a, (list, tuple)) else a
        for a in args
    ]
