"""Fused optimiser updates over flat 1-D arrays, with subnormal values flushed in the pass.

Each update reads and writes every element once: on NumPy arrays numba's compiled loop
when numba is installed (`pip install chainrule[fast]`, about 4x faster), else NumPy over
chunks small enough to stay in cache; on another backend's arrays (CuPy) the same
operations in one pass over the whole arrays with their own module. numba and NumPy do
the same float operations in the same order, so they give the same bits, so which one ran
a step never shows in the results. The first step starts loading numba's kernels in a
background thread (`chainrule._kernels`) and NumPy serves the steps until they are ready.
`CHAINRULE_KERNELS=numpy` keeps the NumPy version.

Where a gradient stays 0 (MNIST's blank border pixels) the moments decay geometrically
into the subnormal range, where arithmetic is many times slower. With `flush` (every
FLUSH_EVERY steps) the pass stores any moment or velocity smaller in magnitude than the
dtype's smallest normal number as 0 (such a value moves a weight by less than 1e-30); the
step itself still uses the value computed.
"""

import sys
import threading

import numpy

from chainrule import _kernels
from chainrule._backend import array_module
from chainrule.nn import _fused

FLUSH_EVERY = 8
"""Steps between the passes that flush subnormal state values to 0."""

CHUNK = 262144
"""Elements per NumPy pass: few enough calls, and the scratch arrays stay small."""

COMPILED_DTYPES = "fd"
"""The dtypes (by character: float32, float64) the compiled kernels are built for; others
(float16, complex) use NumPy's."""

COMPILED = "chainrule.optim._compiled"
"""The numba kernels' module, loaded in the background by the first step."""

TRAINING = (COMPILED, _fused.COMPILED)
"""What the first step starts loading: these kernels, and the layers' and the loss's
(`chainrule.nn._compiled`), which pay only when training, so a gradient taken outside it
never loads numba."""


def backend(dtype=None):
    """The module that runs updates of `dtype`: numba's once loaded (the first call starts
    loading it and the layers' kernels), this one before that and for dtypes numba's
    kernels are not built for."""
    if dtype is not None and dtype.char not in COMPILED_DTYPES:
        return sys.modules[__name__]
    module = _kernels.loaded(COMPILED)
    if module is None:
        for name in TRAINING:
            _kernels.compiled(name)  # starts its load the first time
    return module or sys.modules[__name__]


def wait_for_compiled(timeout=None):
    """Wait for the background loads of numba's kernels; True when they now serve updates."""
    _kernels.wait(timeout)
    return _kernels.loaded(COMPILED) is not None


def kernels_for(parameter):
    """What runs updates of the flat array `parameter`: `backend(dtype)` for NumPy arrays,
    this module's whole-array pass in the arrays' own module for any other backend (a
    device array never goes to numba or to NumPy)."""
    if type(parameter) is numpy.ndarray:
        return backend(parameter.dtype)
    return sys.modules[__name__]


def adam(parameter, gradient, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2,
         one_minus_beta2, eps, step_size, weight_decay, shrink, flush, tiny):
    """m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2, then
    p <- p * shrink + m / (sqrt(v) + eps) * step_size, with g + weight_decay p for g when
    weight_decay (L2) is not 0. Scalars are in the arrays' dtype."""
    for ns, part, scratch, below in _passes(parameter, flush):
        p, g, m, v = parameter[part], gradient[part], exp_avg[part], exp_avg_sq[part]
        if weight_decay:
            g = g + weight_decay * p
        m *= beta1
        ns.multiply(g, one_minus_beta1, out=scratch)
        m += scratch
        v *= beta2
        ns.multiply(g, g, out=scratch)
        scratch *= one_minus_beta2
        v += scratch
        if shrink != 1:
            p *= shrink
        ns.sqrt(v, out=scratch)
        scratch += eps
        ns.divide(m, scratch, out=scratch)
        scratch *= step_size
        p += scratch
        if flush:
            _flush(ns, m, scratch, below, tiny)
            _flush(ns, v, scratch, below, tiny)


def sgd(parameter, gradient, velocity, lr, momentum, nesterov, weight_decay, flush, tiny):
    """p <- p - lr d, with d = g (+ weight_decay p) or, with momentum mu, the velocity
    b <- mu b + g (d = b, or g + mu b for Nesterov). Scalars are in the arrays' dtype."""
    for ns, part, scratch, below in _passes(parameter, flush and momentum):
        p, g = parameter[part], gradient[part]
        if weight_decay:
            ns.multiply(p, weight_decay, out=scratch)
            g = g + scratch
        if momentum:
            b = velocity[part]
            b *= momentum
            b += g
            if nesterov:
                ns.multiply(b, momentum, out=scratch)
                g = g + scratch
            else:
                g = b
        ns.multiply(g, lr, out=scratch)
        p -= scratch
        if momentum and flush:
            _flush(ns, b, scratch, below, tiny)


def _passes(parameter, flush):
    """(module, slice, scratch, flush mask) for each pass of an update over `parameter`.

    NumPy arrays go in CHUNK-sized parts with scratch arrays reused across steps (they stay
    in cache); another backend's arrays in one pass over the whole array, with its module.
    """
    ns = array_module(parameter)
    size = parameter.size
    if ns is not numpy:
        below = ns.empty(size, dtype=bool) if flush else None
        yield ns, slice(None), ns.empty_like(parameter), below
        return
    scratch = _scratch(parameter.dtype)
    below = _scratch(bool) if flush else None
    for start in range(0, size, CHUNK):
        part = slice(start, start + CHUNK)
        count = min(CHUNK, size - start)
        yield numpy, part, scratch[:count], None if below is None else below[:count]


def _flush(ns, values, scratch, below, tiny):
    """Set the entries of `values` smaller in magnitude than `tiny` to 0, in place."""
    ns.abs(values, out=scratch)
    ns.less(scratch, tiny, out=below)
    ns.copyto(values, 0, where=below)


_scratch_arrays = threading.local()


def _scratch(dtype):
    """A chunk-sized NumPy array of `dtype`, reused across steps (one per thread)."""
    arrays = vars(_scratch_arrays)
    if dtype not in arrays:
        arrays[dtype] = numpy.empty(CHUNK, dtype=dtype)
    return arrays[dtype]
