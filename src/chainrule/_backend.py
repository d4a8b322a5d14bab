"""The one place that picks the array module.

Every op reaches arrays through `xp`; a GPU backend (CuPy) will be a new value here,
not a rewrite of the ops.
"""

import numpy

xp = numpy
ndarray = numpy.ndarray


def is_array(value):
    """True for an array of the active backend."""
    return isinstance(value, ndarray)


def asarray(value, dtype=None):
    """Convert array-likes (lists, scalars) to a backend array."""
    return xp.asarray(value, dtype=dtype)
