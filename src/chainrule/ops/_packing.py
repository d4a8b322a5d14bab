"""Ops with several outputs (eigh, svd, qr) as one primitive whose output packs them.

The engine records one output per op, so a decomposition returns its factors flattened
side by side along one last axis: batch + (size_1 + size_2 + ...). `unpack` slices them
back out with axes counted from the end, so it works on cotangents with leading batch
axes and on Tensors (each factor is then a differentiable slice of the packed node).
"""

from operator import itemgetter

from chainrule.ops._namespace import namespace


def pack(factors, core_ndims):
    """Flatten each factor's last `core_ndim` axes and join them along one last axis."""
    flat = [f.reshape(f.shape[: f.ndim - n] + (-1,)) for f, n in zip(factors, core_ndims)]
    return namespace(*flat).concatenate(flat, axis=-1)


def unpack(packed, core_shapes):
    """The factors of a packed array (or cotangent), each of shape batch + core_shape."""
    factors, start = [], 0
    for core_shape in core_shapes:
        size = 1
        for n in core_shape:
            size *= n
        piece = packed[..., start : start + size]
        factors.append(piece.reshape(piece.shape[:-1] + tuple(core_shape)))
        start += size
    return factors


def named_result(name, fields):
    """A tuple with named fields, as NumPy's result tuples (`w, v = eigh(a)` or
    `eigh(a).eigenvalues`); lighter to create at import time than collections.namedtuple."""

    def __new__(cls, *values):  # noqa: N807 - the tuple's constructor
        return tuple.__new__(cls, values)

    def __repr__(self):  # noqa: N807
        return f"{name}({', '.join(f'{f}={v!r}' for f, v in zip(fields, self))})"

    namespace = {f: property(itemgetter(i)) for i, f in enumerate(fields)}
    namespace.update(__slots__=(), __new__=__new__, __repr__=__repr__, _fields=tuple(fields))
    return type(name, (tuple,), namespace)
