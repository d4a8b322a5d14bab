"""The fused updates compiled with numba (`pip install chainrule[fast]`): one pass over
the flat arrays, in the arithmetic of `kernels`' NumPy versions, operation for operation.

Scalars arrive in the arrays' dtype, so float32 updates stay float32 throughout; no
fastmath, so nothing is reassociated or fused and the results equal NumPy's bit for bit.
Imported by `kernels` in a background thread started by the first optimiser step.
"""

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def adam(parameter, gradient, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2,
         one_minus_beta2, eps, step_size, weight_decay, shrink, flush, tiny):
    zero = tiny - tiny
    for i in range(parameter.size):
        g = gradient[i]
        if weight_decay != zero:
            g = g + weight_decay * parameter[i]
        m = exp_avg[i] * beta1 + g * one_minus_beta1
        v = exp_avg_sq[i] * beta2 + g * g * one_minus_beta2
        parameter[i] = parameter[i] * shrink + m / (np.sqrt(v) + eps) * step_size
        if flush and abs(m) < tiny:
            m = zero
        if flush and abs(v) < tiny:
            v = zero
        exp_avg[i] = m
        exp_avg_sq[i] = v


@_jit
def sgd(parameter, gradient, velocity, lr, momentum, nesterov, weight_decay, flush, tiny):
    zero = tiny - tiny
    for i in range(parameter.size):
        g = gradient[i]
        if weight_decay != zero:
            g = g + weight_decay * parameter[i]
        if momentum != zero:
            b = velocity[i] * momentum + g
            g = g + momentum * b if nesterov else b
            if flush and abs(b) < tiny:
                b = zero
            velocity[i] = b
        parameter[i] = parameter[i] - lr * g


def warm_up():
    """Load (or compile) each kernel for float32 and float64, with the argument types the
    optimisers pass, so the first real step does not wait for it."""
    for dtype in (np.float32, np.float64):
        scalar = dtype
        arrays = [np.zeros(1, dtype) for _ in range(4)]
        adam(*arrays, *(scalar(0) for _ in range(8)), False, scalar(1))
        sgd(*arrays[:3], scalar(0), scalar(0), False, scalar(0), False, scalar(1))
