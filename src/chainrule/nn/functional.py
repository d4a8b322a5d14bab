"""Functions of Tensors for building networks: linear, activations, dropout, losses, accuracy."""

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.nn.losses import cross_entropy, mse_loss, nll_loss, tutorial_cross_entropy
from chainrule.ops._primitive import primitive
from chainrule.ops.elementwise import relu, sigmoid, tanh
from chainrule.ops.special import log_softmax, softmax

xp = _backend.xp

__all__ = [
    "accuracy", "cross_entropy", "dropout", "linear", "log_softmax", "mse_loss", "nll_loss",
    "relu", "sigmoid", "softmax", "tanh", "tutorial_cross_entropy",
]


@primitive
def linear(x, weight, bias=None):
    """z = x W^T + b, the tutorial's z = W a + b for a batch of rows: (..., in) -> (..., out).

    `weight` is (out, in), `bias` (out,). One op, so a layer costs one GEMM forward and
    two backward, with gradients in the parameters' own layout.
    """
    out = xp.matmul(x, weight.T)
    if bias is not None:
        out += bias
    return out


def _rows(g, ans, features):
    """The cotangent `g` (batch axes + ans.shape) as batch axes + (rows, features)."""
    return xp.reshape(g, g.shape[: g.ndim - ans.ndim] + (-1, features))


def _linear_vjp_x(g, ans, x, weight, bias=None):
    return xp.matmul(g, weight)


def _linear_vjp_weight(g, ans, x, weight, bias=None):
    out_features, in_features = weight.shape
    return xp.matmul(xp.swapaxes(_rows(g, ans, out_features), -1, -2),
                     xp.reshape(x, (-1, in_features)))


def _linear_vjp_bias(g, ans, x, weight, bias=None):
    return xp.sum(_rows(g, ans, weight.shape[0]), axis=-2)


linear.defvjp(_linear_vjp_x, _linear_vjp_weight, _linear_vjp_bias)


def dropout(x, p, rng, training=True):
    """Zero each element with probability `p` and scale the rest by 1 / (1 - p) (inverted
    dropout, so evaluation needs no rescaling); the identity when not training or p == 0.

    The mask is drawn from `rng` (a `numpy.random.Generator`), so a seeded run is repeatable.
    """
    if not training or p == 0:
        return x
    dtype = raw(x).dtype
    keep = rng.random(raw(x).shape, dtype=xp.float64 if dtype == xp.float64 else xp.float32)
    return x * ((keep >= p) * xp.asarray(1 / (1 - p), dtype=dtype))


def accuracy(logits, target):
    """The fraction of rows whose largest logit is at the target class, as a Python float.

    `target` is integer labels (N,) or one-hot / probability rows (N, K) (argmax taken).
    """
    labels = raw(target)
    if isinstance(labels, xp.ndarray) and labels.dtype.kind == "f":
        labels = labels.argmax(axis=-1)
    return float(xp.mean(raw(logits).argmax(axis=-1) == labels))

