"""Fused optimiser updates over flat 1-D arrays, with subnormal values flushed in the pass.

Each update reads and writes every element once: numba's compiled loop when numba is
installed (`pip install chainrule[fast]`, about 4x faster), else NumPy over chunks small
enough to stay in cache. Both do the same float operations in the same order, so they
give the same bits. numba is imported on the first step, never by `import chainrule`;
`CHAINRULE_KERNELS=numpy` forces the NumPy version.

Where a gradient stays 0 (MNIST's blank border pixels) the moments decay geometrically
into the subnormal range, where arithmetic is many times slower. With `flush` (every
FLUSH_EVERY steps) the pass stores any moment or velocity smaller in magnitude than the
dtype's smallest normal number as 0 (such a value moves a weight by less than 1e-30); the
step itself still uses the value computed.
"""

import os
import sys
import threading

from chainrule._backend import xp

FLUSH_EVERY = 8
"""Steps between the passes that flush subnormal state values to 0."""

CHUNK = 262144
"""Elements per NumPy pass: few enough calls, and the scratch arrays stay small."""

_backend = None


COMPILED_DTYPES = "fd"
"""The dtypes (by character: float32, float64) the compiled kernels are built for; others
(float16, complex) use NumPy's."""


def backend(dtype=None):
    """The module that runs updates of `dtype`: the numba one if it can be imported and
    handles the dtype, else this one."""
    global _backend
    if _backend is None:
        _backend = _load()
    if dtype is not None and dtype.char not in COMPILED_DTYPES:
        return sys.modules[__name__]
    return _backend


def _load():
    if os.environ.get("CHAINRULE_KERNELS", "").lower() != "numpy":
        try:
            from chainrule.optim import _compiled
        except ImportError:
            pass
        else:
            return _compiled
    return sys.modules[__name__]


def adam(parameter, gradient, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2,
         one_minus_beta2, eps, step_size, weight_decay, shrink, flush, tiny):
    """m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2, then
    p <- p * shrink + m / (sqrt(v) + eps) * step_size, with g + weight_decay p for g when
    weight_decay (L2) is not 0. Scalars are in the arrays' dtype."""
    scratch = _scratch(parameter.dtype)
    below = _scratch(bool) if flush else None
    for start in range(0, parameter.size, CHUNK):
        part = slice(start, start + CHUNK)
        p, g, m, v = parameter[part], gradient[part], exp_avg[part], exp_avg_sq[part]
        t = scratch[: p.size]
        if weight_decay:
            g = g + weight_decay * p
        m *= beta1
        xp.multiply(g, one_minus_beta1, out=t)
        m += t
        v *= beta2
        xp.multiply(g, g, out=t)
        t *= one_minus_beta2
        v += t
        if shrink != 1:
            p *= shrink
        xp.sqrt(v, out=t)
        t += eps
        xp.divide(m, t, out=t)
        t *= step_size
        p += t
        if flush:
            _flush(m, t, below[: p.size], tiny)
            _flush(v, t, below[: p.size], tiny)


def sgd(parameter, gradient, velocity, lr, momentum, nesterov, weight_decay, flush, tiny):
    """p <- p - lr d, with d = g (+ weight_decay p) or, with momentum mu, the velocity
    b <- mu b + g (d = b, or g + mu b for Nesterov). Scalars are in the arrays' dtype."""
    scratch = _scratch(parameter.dtype)
    below = _scratch(bool) if flush and momentum else None
    for start in range(0, parameter.size, CHUNK):
        part = slice(start, start + CHUNK)
        p, g = parameter[part], gradient[part]
        t = scratch[: p.size]
        if weight_decay:
            xp.multiply(p, weight_decay, out=t)
            g = g + t
        if momentum:
            b = velocity[part]
            b *= momentum
            b += g
            if nesterov:
                xp.multiply(b, momentum, out=t)
                g = g + t
            else:
                g = b
        xp.multiply(g, lr, out=t)
        p -= t
        if momentum and flush:
            _flush(b, t, below[: p.size], tiny)


def _flush(values, scratch, below, tiny):
    """Set the entries of `values` smaller in magnitude than `tiny` to 0, in place."""
    xp.abs(values, out=scratch)
    xp.less(scratch, tiny, out=below)
    xp.copyto(values, 0, where=below)


_scratch_arrays = threading.local()


def _scratch(dtype):
    """A chunk-sized array of `dtype`, reused across steps (one per thread)."""
    arrays = vars(_scratch_arrays)
    if dtype not in arrays:
        arrays[dtype] = xp.empty(CHUNK, dtype=dtype)
    return arrays[dtype]
