"""The fused passes of `linear_relu` and of the few-class labels cross-entropy, compiled
with numba (`pip install chainrule[fast]`).

Each does in one pass what NumPy does in several calls, with the same float operations in
the same order, so the values equal NumPy's (NaN payloads aside): `bias_relu` is
`out += bias; maximum(out, 0, out=out)`, and `relu_backward` is
`dz = g * (ans > 0); db = dz.sum(axis=0)`. The loss's passes do what `chainrule.nn.losses`
does around its two transcendental calls, which stay NumPy's (numba's float32 `exp` and
`log` would not match NumPy's bit for bit).

No fastmath, so nothing is reassociated. The zeros and ones are integer literals, so the
calls carry no scalar argument to type-check: numba forms `g * 0` or `p - 1` in float64
and stores it rounded back. That is NumPy's float32 result: the same zero of either sign
(or NaN) for the product, and for the difference float32's own correctly rounded one (a
double holds more than 2 x 24 + 2 bits, so rounding twice equals rounding once).
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


LABEL_DTYPES = (np.int64, np.int32, np.uint8)
"""The label dtypes `shifted_columns` is built for (others take NumPy's passes): NumPy's
default integers, and MNIST's uint8."""


@_jit
def shifted_columns(logits, labels, columns, picked, picks):
    """For (rows, K) logits and labels in 0..K-1: columns <- (logits - each row's max).T, as
    a (K, rows) array; picked[i] <- columns[labels[i], i]; picks[i] <- labels[i] * rows + i
    (that entry's flat position). Returns how many labels are out of range (their rows
    pick class 0). The max propagates NaN as NumPy's `maximum` does; its sign of zero may
    differ, which no result shows: x - 0 and x - (-0) differ only for x = -0, and exp gives
    1 for both."""
    rows, count = logits.shape
    wrong = 0
    for i in range(rows):
        row = logits[i]
        top = row[0]
        for k in range(1, count):
            value = row[k]
            if not (top >= value or top != top):
                top = value
        for k in range(count):
            columns[k, i] = row[k] - top
        label = int(labels[i])
        if label < 0 or label >= count:
            wrong += 1
            label = 0
        picked[i] = columns[label, i]
        picks[i] = label * rows + i
    return wrong


@_jit
def normalised_columns(probabilities, total):
    """total <- the column sums of (K, rows) `probabilities`, added row after row from the
    first as NumPy's sum(axis=0); then probabilities /= total, in place."""
    count, rows = probabilities.shape
    for i in range(rows):
        total[i] = probabilities[0, i]
    for k in range(1, count):
        row = probabilities[k]
        for i in range(rows):
            total[i] += row[i]
    for k in range(count):
        row = probabilities[k]
        for i in range(rows):
            row[i] /= total[i]


@_jit
def softmax_gradient(probabilities, picks, weight):
    """(K, rows) probabilities <- (probabilities - onehot) * weight in place, as NumPy's
    `flat[picks] -= 1; probabilities *= weight` (`picks`: the labels' flat positions;
    `weight`: a scalar of the probabilities' dtype)."""
    count, rows = probabilities.shape
    flat = probabilities.reshape(-1)
    for i in range(picks.shape[0]):
        flat[picks[i]] -= 1
    for k in range(count):
        row = probabilities[k]
        for i in range(rows):
            row[i] *= weight


def warm_up():
    """Load (or compile) each kernel for float32 and float64 C-contiguous arrays."""
    for dtype in (np.float32, np.float64):
        matrix, vector = np.zeros((1, 1), dtype), np.zeros(1, dtype)
        bias_relu(matrix, vector)
        relu_backward(matrix, matrix, np.zeros((1, 1), dtype), vector)
        picks = np.zeros(1, np.int64)
        for label_dtype in LABEL_DTYPES:
            shifted_columns(matrix, np.zeros(1, label_dtype), np.zeros((1, 1), dtype), vector,
                            picks)
        normalised_columns(matrix + 1, np.zeros(1, dtype))
        softmax_gradient(matrix + 1, picks, dtype(1))
