"""The fused passes of `linear_relu`, compiled with numba (`pip install chainrule[fast]`).

Each does in one pass over (rows, features) arrays what NumPy does in two or three, with
the same float operations in the same order, so the values equal NumPy's (NaN payloads
aside): `bias_relu` is `out += bias; maximum(out, 0, out=out)`, and `relu_backward` is
`dz = g * (ans > 0); db = dz.sum(axis=0)`. No fastmath, so nothing is reassociated.
Loaded by `chainrule._kernels` in a background thread once a backward pass needs them.
"""

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def bias_relu(out, bias, zero):
    """out <- maximum(out + bias, 0) in place, as NumPy's: NaN stays NaN, -0.0 becomes 0."""
    rows, features = out.shape
    for i in range(rows):
        row = out[i]
        for j in range(features):
            value = row[j] + bias[j]
            row[j] = value if value > zero or value != value else zero


@_jit
def relu_backward(g, ans, zero, dz, db):
    """dz <- g * (ans > 0) (g * 0 where masked: NaN for an infinite g, as NumPy's), and
    db <- the column sums of dz, added row after row from +0 as NumPy's sum(axis=0)."""
    rows, features = g.shape
    for i in range(rows):
        g_row, ans_row, dz_row = g[i], ans[i], dz[i]
        for j in range(features):
            dz_row[j] = g_row[j] if ans_row[j] > zero else g_row[j] * zero
    for j in range(features):
        db[j] = zero
    for i in range(rows):
        dz_row = dz[i]
        for j in range(features):
            db[j] += dz_row[j]


def warm_up():
    """Load (or compile) each kernel for float32 and float64 C-contiguous arrays."""
    for dtype in (np.float32, np.float64):
        matrix, vector, zero = np.zeros((1, 1), dtype), np.zeros(1, dtype), dtype(0)
        bias_relu(matrix, vector, zero)
        relu_backward(matrix, matrix, zero, np.zeros((1, 1), dtype), vector)
