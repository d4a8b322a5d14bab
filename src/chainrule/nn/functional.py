"""Functions of Tensors for building networks: linear, activations, dropout, losses, accuracy."""

import numpy

from chainrule import _backend
from chainrule.extend import Tensor, primitive, raw
from chainrule.nn._fused import fitting
from chainrule.nn.losses import cross_entropy, mse_loss, nll_loss, tutorial_cross_entropy
from chainrule.nn.parameter import gradient_out, slot_of
from chainrule.ops._namespace import namespace
from chainrule.ops.elementwise import astype, relu, sigmoid, tanh
from chainrule.ops.special import log_softmax, softmax

__all__ = [
    "accuracy", "as_dtype", "cross_entropy", "dropout", "linear", "linear_relu", "log_softmax",
    "mse_loss",
    "nll_loss", "relu", "relu_", "sigmoid", "softmax", "tanh", "tutorial_cross_entropy",
]


def linear(x, weight, bias=None):
    """z = x W^T + b, the tutorial's z = W a + b for a batch of rows: (..., in) -> (..., out).

    `weight` is (out, in), `bias` (out,) or None. One op, so a layer costs one GEMM forward
    and two backward, with gradients in the parameters' own layout; the gradients of packed
    Parameters are written straight into their flat gradient buffer.
    """
    return _linear(x, weight, bias, slots=(slot_of(weight), slot_of(bias)))


@primitive
def _linear(x, weight, bias, slots):
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out


def _rows(ns, g, ans, features):
    """The cotangent `g` (batch axes + ans.shape) as batch axes + (rows, features)."""
    return ns.reshape(g, g.shape[: g.ndim - ans.ndim] + (-1, features))


@_linear.defvjp_argnums
def _linear_vjp(argnums, g, ans, x, weight, bias, slots):
    return _linear_cotangents(argnums, g, ans, x, weight, slots)


def _linear_cotangents(argnums, g, ans, x, weight, slots, bias_sums=None):
    """The cotangents of x (g W), the weight (g^T x) and the bias (g summed over rows) at
    `argnums` for the cotangent g of x W^T + b. In training (plain 2-D arrays, not a
    differentiated pass) the parameters' gradients go straight into their slots of the
    flat gradient buffer; `bias_sums` are g's column sums when a fused pass made them."""
    if _backend.is_array(g) and _backend.is_array(x) and g.ndim == 2 and x.ndim == 2:
        matmul = _backend.array_module(g).matmul
        return [g @ weight if i == 0
                else matmul(g.T, x, out=gradient_out(slots[0], g)) if i == 1
                else g.sum(axis=0, out=gradient_out(slots[1], g)) if bias_sums is None
                else _into_slot(bias_sums, slots[1])
                for i in argnums]
    ns = namespace(g, ans, x)
    cotangents = []
    for i in argnums:
        if i == 0:
            cotangents.append(g @ weight)
        elif i == 1:
            rows = ns.swapaxes(_rows(ns, g, ans, weight.shape[0]), -1, -2)
            cotangents.append(ns.matmul(rows, ns.reshape(x, (-1, weight.shape[1]))))
        elif bias_sums is not None:
            cotangents.append(_into_slot(bias_sums, slots[1]))
        else:
            cotangents.append(ns.sum(_rows(ns, g, ans, weight.shape[0]), axis=-2))
    return cotangents


def _into_slot(gradient, slot):
    """`gradient` copied into the parameter's free slot of the flat gradient buffer (so the
    optimiser finds it there), or itself when the slot is taken."""
    out = gradient_out(slot, gradient)
    if out is None:
        return gradient
    _backend.array_module(out).copyto(out, gradient)
    return out


def linear_relu(x, weight, bias=None):
    """relu(linear(x, weight, bias)) as one op: what an MLP's Linear and ReLU(inplace=True)
    compute, with one graph node instead of two (the ReLU is applied over the GEMM's
    output in place; its backward pass takes the mask from that output, once for the
    cotangents of x, the weight and the bias).

    With numba's kernels loaded (`chainrule._kernels`; the first optimiser step starts
    loading them, so gradients taken outside training never load numba) the bias add and
    the ReLU are one pass over the GEMM's output, and the backward pass masks the
    cotangent and sums the bias gradient in one pass, with the same values as NumPy's
    passes.
    """
    return _linear_relu(x, weight, bias, slots=(slot_of(weight), slot_of(bias)))


@primitive
def _linear_relu(x, weight, bias, slots):
    out = _linear.forward(x, weight, None, slots)
    kernels = fitting(out, bias)
    if kernels is not None and out.ndim and bias.shape == out.shape[-1:]:
        kernels.bias_relu(out.reshape(-1, out.shape[-1]), bias)
        return out
    if bias is not None:
        out += bias
    return _backend.array_module(out).maximum(out, 0, out=out)


@_linear_relu.defvjp_argnums
def _linear_relu_vjp(argnums, g, ans, x, weight, bias, slots):
    if isinstance(g, Tensor) or isinstance(ans, Tensor):  # a differentiated pass
        return _linear_cotangents(argnums, g * (ans > 0), ans, x, weight, slots)
    masked, sums = _relu_backward(g, ans)
    return _linear_cotangents(argnums, masked, ans, x, weight, slots, sums)


def _relu_backward(g, ans):
    """g * (ans > 0), and its column sums when numba's pass made both at once (else None)."""
    kernels = fitting(g, ans)
    if kernels is None or g.ndim != 2 or ans.shape != g.shape:
        return g * (ans > 0), None
    ns = _backend.array_module(g)
    masked, sums = ns.empty_like(g), ns.empty(g.shape[1], g.dtype)
    kernels.relu_backward(g, ans, masked, sums)
    return masked, sums


def relu_(x):
    """max(x, 0) written over `x` when that is safe (PyTorch's ReLU(inplace=True)): an array,
    or the output of `linear`, whose gradient does not need its values; else a new array.

    The backward pass takes its mask from the output (x > 0 exactly where relu(x) > 0).
    """
    if isinstance(x, Tensor) and x.op_name not in (None, "linear"):
        return relu(x)
    if isinstance(x, Tensor) and x.is_leaf and x.requires_grad:
        return relu(x)
    return _relu_in_place(x)


@primitive
def _relu_in_place(x):
    return _backend.array_module(x).maximum(x, 0, out=x)


@_relu_in_place.defvjp
def _(g, ans, x):
    return g * (ans > 0)


def as_dtype(x, dtype):
    """`x` in `dtype` (a Tensor through the differentiable astype): a model keeps its own
    dtype whatever its input's, as PyTorch and Keras users expect."""
    if raw(x).dtype == dtype:
        return x
    return astype(x, dtype) if isinstance(x, Tensor) else _backend.asarray(x, dtype=dtype)


def dropout(x, p, rng, training=True):
    """Zero each element with probability `p` and scale the rest by 1 / (1 - p) (inverted
    dropout, so evaluation needs no rescaling); the identity when not training or p == 0.

    The mask is drawn from `rng` (a `numpy.random.Generator`) on the host and then moved to
    `x`'s device, so a seeded run draws the same mask on every device.
    """
    if not training or p == 0:
        return x
    dtype = raw(x).dtype
    keep = rng.random(raw(x).shape, dtype=numpy.float64 if dtype == numpy.float64
                      else numpy.float32)
    mask = (keep >= p) * numpy.asarray(1 / (1 - p), dtype=dtype)
    return x * _backend.asarray(mask, like=raw(x))


def accuracy(logits, target):
    """The fraction of rows whose largest logit is at the target class, as a Python float.

    `target` is integer labels (N,) or one-hot / probability rows (N, K) (argmax taken).
    """
    predictions = raw(logits).argmax(axis=-1)
    labels = _backend.asarray(raw(target), like=predictions)
    if labels.dtype.kind == "f":
        labels = labels.argmax(axis=-1)
    return float((predictions == labels).mean())

