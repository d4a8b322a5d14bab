"""Arrays built from nested lists and tuples that hold Tensors: `[t1, t2]`, `[[t, 1.0],
[0.0, t]]`. NumPy would call `np.asarray` on them (which must refuse a Tensor in a graph);
here they become one differentiable Tensor, with the values, shape and dtype NumPy gives.
"""

import numpy

from chainrule._core.tensor import Tensor, holds_tensor, raw_nested
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



def _stacked(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and holds_tensor(value):
        return shape.stack([_stacked(item) for item in value])
    return numpy.asarray(value)


def array_from(value, dtype=None, ndmin=0):
    """One Tensor from nested lists and tuples holding Tensors (numpy.array's rules)."""
    target = numpy.array(raw_nested(value), dtype=dtype, ndmin=ndmin)
    built = _stacked(value)
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
