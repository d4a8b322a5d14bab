"""Weight initialisation for a layer with `fan_in` inputs and `fan_out` outputs.

The weights are drawn on the host from a `numpy.random.Generator`, so a seed gives the same
values on every device; a module uploads them (`Module.to`).
"""

import math

import numpy


def he_normal(shape, rng, dtype=numpy.float32):
    """N(0, 2 / fan_in) (He et al. 2015): keeps ReLU activations' variance from layer to layer.

    `shape` is (fan_out, fan_in), the layout of `Linear.weight`.
    """
    fan_in = shape[-1]
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def glorot_uniform(shape, rng, dtype=numpy.float32):
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010), for tanh/sigmoid."""
    fan_out, fan_in = shape
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


INITIALIZERS = {"he": he_normal, "glorot": glorot_uniform}
