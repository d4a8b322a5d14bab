"""Which of numba's fused passes (`chainrule.nn._compiled`) may serve a call.

The layers and the loss ask here, so that none of them imports numba: the first optimiser
step starts loading the passes (`chainrule._kernels`), and until they have loaded, or
where they do not fit, NumPy's calls serve, with the same values.
"""

import numpy

from chainrule import _kernels

COMPILED = "chainrule.nn._compiled"
"""numba's fused passes for `linear_relu` and the few-class cross-entropy."""


def fitting(*arrays):
    """The loaded passes when they are built for `arrays`: writeable C-contiguous NumPy
    arrays of one float32/float64 dtype (numba types a read-only array apart, and would
    compile for it on the spot); else None (NumPy's calls serve)."""
    kernels = _kernels.loaded(COMPILED)
    if kernels is None:
        return None
    dtype = arrays[0].dtype if type(arrays[0]) is numpy.ndarray else None
    for array in arrays:
        if type(array) is not numpy.ndarray or array.dtype != dtype:
            return None
        flags = array.flags
        if not (flags.c_contiguous and flags.writeable):
            return None
    return kernels if dtype.char in "fd" else None
