"""The fused passes of `linear_relu`, compiled with numba (`pip install chainrule[fast]`).

Each does in one pass over (rows, features) arrays what NumPy does in two or three, with
the same float operations in the same order, so the values equal NumPy's (NaN payloads
aside): `bias_relu` is `out += bias; maximum(out, 0, out=out)`, and `relu_backward` is
`dz = g * (ans > 0); db = dz.sum(axis=0)`. No fastmath, so nothing is reassociated. The
zeros are integer literals, so the calls carry no scalar argument to type-check: numba
forms `g * 0` in float64 and stores it rounded back, the same zero of either sign (or NaN)
as NumPy's float32 product.
Loaded by `chainrule._kernels` in a background thread once a backward pass needs them.
"""

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def bias_relu(out, bias):
    """out <- maximum(out + bias, 0) in place, as NumPy's: NaN stays NaN, -0.0 becomes 0."""
    rows, features = out.shape
    for i in range(rows):
        row = out[i]
        for j in range(features):
            value = row[j] + bias[j]
            row[j] = value if value > 0 or value != value else 0


@_jit
def relu_backward(g, ans, dz, db):
    """dz <- g * (ans > 0) (g * 0 where masked: NaN for an infinite g, as NumPy's), and
    db <- the column sums of dz, added row after row from +0 as NumPy's sum(axis=0)."""
    rows, features = g.shape
    for i in range(rows):
        g_row, ans_row, dz_row = g[i], ans[i], dz[i]
        for j in range(features):
            dz_row[j] = g_row[j] if ans_row[j] > 0 else g_row[j] * 0
    for j in range(features):
        db[j] = 0
    for i in range(rows):
        dz_row = dz[i]
        for j in range(features):
            db[j] += dz_row[j]


def warm_up():
    """Load (or compile) each kernel for float32 and float64 C-contiguous arrays."""
    for dtype in (np.float32, np.float64):
        matrix, vector = np.zeros((1, 1), dtype), np.zeros(1, dtype)
        bias_relu(matrix, vector)
        relu_backward(matrix, matrix, np.zeros((1, 1), dtype), vector)
