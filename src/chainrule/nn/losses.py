"""Losses: fused softmax cross-entropy, the tutorial's cross-entropy, NLL and squared error.

`cross_entropy` is the default for classification: it takes logits, computes log-softmax
stably, and its gradient is softmax(logits) - target, with no 1/y anywhere.
`tutorial_cross_entropy` is the cost as the tutorial writes it, on softmax probabilities y,
with the derivative dC/dy_r = -1/y_r at the true class r: the same gradients in exact
arithmetic, but y_r can underflow to 0 in floating point (see docs/training.md).

Targets are integer labels (...,) or probability rows (..., K) such as one-hot vectors.
`reduction` is "mean" (over rows), "sum" or "none" (one loss per row).
"""

from chainrule import _backend
from chainrule._core import anomaly
from chainrule._core.modes import modes
from chainrule.errors import ShapeError
from chainrule.extend import Tensor, custom_gradient, primitive, raw
from chainrule.nn._fused import fitting
from chainrule.ops._namespace import namespace
from chainrule.ops.elementwise import astype, where
from chainrule.ops.special import log_softmax, softmax

REDUCTIONS = ("mean", "sum", "none")


@primitive
def softmax_cross_entropy(logits, target):
    """-sum_k target_k log softmax(logits)_k per row: (..., K), (..., K) -> (...)."""
    ns = _backend.array_module(logits, target)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = shifted - ns.log(ns.exp(shifted).sum(axis=-1, keepdims=True))
    return -(target * log_probabilities).sum(axis=-1)


def _cross_entropy_vjp_logits(g, ans, logits, target):
    # sum(t) * softmax - t, which is softmax - target for a probability target.
    total = target.sum(axis=-1, keepdims=True)
    return g[..., None] * (total * softmax(logits) - target)


def _cross_entropy_vjp_target(g, ans, logits, target):
    return -g[..., None] * log_softmax(logits)


softmax_cross_entropy.defvjp(_cross_entropy_vjp_logits, _cross_entropy_vjp_target)


FEW_CLASSES = 16
"""Up to this many classes, `labels_cross_entropy` works on (classes, rows) columns."""


@primitive
def labels_cross_entropy(logits, labels, reduction, saved):
    """-log softmax(logits)[..., label] per row (..., K), (...) -> (...), or its mean or sum.

    The training path: no one-hot target is built, and the softmax computed here is kept in
    `saved` (a dict, one per call) with the labels' flat positions (`picks`) for the
    backward pass, which turns it into the gradient softmax - onehot in place (once: a
    second backward pass through the same loss computes the softmax again). Labels out of
    0..K-1 raise a ShapeError.
    """
    ns = _backend.array_module(logits, labels)
    if logits.ndim == 2 and logits.shape[1] <= FEW_CLASSES and hasattr(ns, "ascontiguousarray"):
        return _few_classes(ns, logits, labels, reduction, saved)
    _check_label_range(logits, labels, "cross_entropy")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probabilities = ns.exp(shifted)
    total = probabilities.sum(axis=-1, keepdims=True)
    picks = ns.arange(0, shifted.size, shifted.shape[-1]) + labels.reshape(-1)
    losses = ns.log(total[..., 0]) - shifted.reshape(-1).take(picks).reshape(labels.shape)
    probabilities /= total
    saved["softmax"] = probabilities, picks, False
    return _reduced(ns, losses, reduction)


def _few_classes(ns, logits, labels, reduction, saved):
    """`labels_cross_entropy` of (rows, K) logits for few classes, on a (K, rows) copy: a
    row's max and sum are then K - 1 passes over contiguous rows instead of a reduction
    over K elements per row, which NumPy's loops do several times slower (MNIST's 128 x 10
    logits: 22 against 30 us, forward and backward). The sum's order differs from
    NumPy's pairwise sum only for 8 < K <= 16, by rounding.

    With numba's passes loaded, two of them do all but the exp and the log (about 20 NumPy
    calls become 6, with the label check in the first pass), with the same values.
    """
    kernels = _label_kernels(logits, labels)
    if kernels is not None:
        rows, count = logits.shape
        columns = ns.empty((count, rows), logits.dtype)
        picked, picks = ns.empty(rows, logits.dtype), ns.empty(rows, ns.int64)
        if kernels.shifted_columns(logits, labels, columns, picked, picks):
            _check_label_range(logits, labels, "cross_entropy")
        probabilities = ns.exp(columns, out=columns)
        total = ns.empty(rows, logits.dtype)
        kernels.normalised_columns(probabilities, total)
        losses = ns.log(total, out=total)
        losses -= picked
    else:
        _check_label_range(logits, labels, "cross_entropy")
        rows = logits.shape[0]
        columns = ns.ascontiguousarray(logits.T)
        columns -= columns.max(axis=0)
        probabilities = ns.exp(columns)
        total = probabilities.sum(axis=0)
        picks = ns.arange(rows)
        picks += labels.astype(picks.dtype, copy=False) * rows  # uint8 labels * rows overflow
        losses = ns.log(total) - columns.reshape(-1).take(picks)
        probabilities /= total
    saved["softmax"] = probabilities, picks, True
    return _reduced(ns, losses, reduction)


def _label_kernels(logits, labels):
    """numba's loss passes when they are loaded and built for these logits and labels."""
    kernels = fitting(logits)
    if (kernels is None or not logits.shape[1] or type(labels) is not type(logits)
            or labels.dtype.type not in kernels.LABEL_DTYPES):
        return None
    flags = labels.flags
    return kernels if flags.c_contiguous and flags.writeable else None


def _reduced(ns, losses, reduction):
    if reduction == "none":
        return losses
    total_loss = losses.sum()
    return ns.asarray(total_loss / losses.size if reduction == "mean" else total_loss)


@labels_cross_entropy.defvjp
def _(g, ans, logits, labels, reduction, saved):
    probabilities, picks, by_column = saved.pop("softmax", (None, None, False))
    weight = g / labels.size if reduction == "mean" else g
    if isinstance(logits, Tensor) or isinstance(g, Tensor) or g.ndim != ans.ndim \
            or probabilities is None:
        ns = namespace(g, logits, labels)
        classes = ns.arange(logits.shape[-1])
        one_hot = (labels[..., None] == classes).astype(raw(logits).dtype)
        weight = ns.reshape(weight, weight.shape + (1,) * (logits.ndim - ans.ndim))
        return weight * (softmax(logits) - one_hot)
    kernels = fitting(probabilities) if by_column else None
    if kernels is not None and not weight.ndim and weight.dtype == probabilities.dtype:
        kernels.softmax_gradient(probabilities, picks, weight[()])
        return probabilities.T
    probabilities.reshape(-1)[picks] -= 1
    if by_column:  # (K, rows): a row's weight is a column's
        probabilities *= weight
        return probabilities.T
    probabilities *= weight[..., None] if reduction == "none" else weight
    return probabilities


def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of `logits` (..., K) against labels or probability rows, in the
    logits' dtype.

    With `label_smoothing` e the target becomes (1 - e) target + e / K. An empty batch has
    no mean: ShapeError. Under `detect_anomaly` a non-finite loss raises AnomalyError even
    for plain arrays (which record no op).
    """
    _check_reduction(logits, reduction, "cross_entropy")
    labels = raw(target)
    if not hasattr(labels, "dtype"):
        labels = target = _backend.asarray(labels, like=raw(logits))
    if labels.dtype.kind in "iu" and not label_smoothing and raw(logits).ndim:
        _check_label_shape(logits, labels, "cross_entropy")
        loss = labels_cross_entropy(logits, labels, reduction=reduction, saved={})
        return _checked(loss, labels_cross_entropy, logits, labels)
    distribution = as_distribution(logits, target, label_smoothing, "cross_entropy")
    loss = _reduce(softmax_cross_entropy(logits, distribution), reduction, "cross_entropy")
    return _checked(loss, softmax_cross_entropy, logits, distribution)


@custom_gradient
def _tutorial_cost(probabilities, target):
    """C = -sum_r t_r log y_r per row, with the tutorial's derivative dC/dy_r = -t_r / y_r."""
    ns = namespace(probabilities, target)
    value = -ns.sum(target * ns.log(probabilities), axis=-1)

    def grad_fn(cotangent):
        # -1/y_r at the true class; classes with t_r = 0 contribute 0, not 0/0.
        divisor = where(target != 0, probabilities, 1)
        return namespace(cotangent).expand_dims(cotangent, -1) * (-target / divisor)

    return value, grad_fn


def tutorial_cross_entropy(probabilities, target, reduction="mean", label_smoothing=0.0):
    """The tutorial's cost on softmax outputs y (..., K): -log y_r, gradient -1/y_r.

    Use after a `Softmax` layer; the target is data (it gets no gradient).
    """
    distribution = as_distribution(probabilities, target, label_smoothing,
                                   "tutorial_cross_entropy")
    return _reduce(_tutorial_cost(probabilities, raw(distribution)), reduction,
                   "tutorial_cross_entropy")


def nll_loss(log_probabilities, target, reduction="mean"):
    """-sum_k target_k log_probabilities_k per row (use after log_softmax)."""
    distribution = as_distribution(log_probabilities, target, 0.0, "nll_loss")
    ns = namespace(distribution, log_probabilities)
    return _reduce(-ns.sum(distribution * log_probabilities, axis=-1), reduction, "nll_loss")


def mse_loss(prediction, target, reduction="mean"):
    """(prediction - target)^2, averaged over all elements ("mean"), summed, or per element."""
    if raw(prediction).shape != raw(target).shape:
        raise ShapeError(f"mse_loss: prediction of shape {raw(prediction).shape} and target of "
                         f"shape {raw(target).shape} differ")
    return _reduce(namespace(prediction, target).square(prediction - target), reduction,
                   "mse_loss")


def as_distribution(scores, target, label_smoothing, name):
    """The target as probability rows shaped like `scores` (..., K).

    Integer labels are one-hot encoded in the scores' dtype; float targets are used as they
    are (a Tensor target keeps its graph). Label smoothing mixes in the uniform distribution.
    """
    shape, dtype = raw(scores).shape, raw(scores).dtype
    classes = shape[-1]
    labels = raw(target)
    if not hasattr(labels, "dtype"):
        labels = target = _backend.asarray(labels, like=raw(scores))
    if labels.dtype.kind in "iu":
        _check_labels(scores, labels, name)
        classes_range = _backend.array_module(labels).arange(classes)
        distribution = (labels[..., None] == classes_range).astype(dtype)
    elif labels.shape != shape:
        raise ShapeError(f"{name}: target of shape {labels.shape} does not fit scores of "
                         f"shape {shape}; pass integer labels {shape[:-1]} or rows {shape}")
    elif labels.dtype != dtype and labels.dtype.kind == "f" and dtype.kind == "f":
        distribution = astype(target, dtype) if isinstance(target, Tensor) else labels.astype(
            dtype)
    else:
        distribution = target
    if label_smoothing:
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
        distribution = distribution * (1 - label_smoothing) + label_smoothing / classes
    return distribution


def _check_labels(scores, labels, name):
    """ShapeError unless `labels` has the scores' batch shape and values in 0..K-1."""
    _check_label_shape(scores, labels, name)
    _check_label_range(scores, labels, name)


def _check_label_shape(scores, labels, name):
    shape = raw(scores).shape
    if labels.shape != shape[:-1]:
        raise ShapeError(f"{name}: labels of shape {labels.shape} do not fit scores of "
                         f"shape {shape}; expected labels of shape {shape[:-1]}")


def _check_label_range(scores, labels, name):
    classes = raw(scores).shape[-1]
    lowest, highest = (labels.min(), labels.max()) if labels.size else (0, 0)
    if lowest < 0 or highest >= classes:
        raise ShapeError(f"{name}: labels must be in 0..{classes - 1}, got values from "
                         f"{lowest} to {highest}")


def _check_reduction(scores, reduction, name):
    """ValueError for an unknown reduction; ShapeError for the mean of an empty batch."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {', '.join(REDUCTIONS)}; "
                         f"got {reduction!r}")
    shape = raw(scores).shape
    if reduction == "mean" and (not shape or 0 in shape[:-1]):
        raise ShapeError(f"{name}: the mean over an empty batch (scores of shape {shape}) "
                         "is undefined; pass at least one row, or reduction='sum'")


def _checked(loss, op, *inputs):
    """`loss`, after detect_anomaly's check when no op checked it (all inputs plain arrays)."""
    if modes.anomaly and not isinstance(loss, Tensor):
        anomaly.check_output(op, [raw(value) for value in inputs], _backend.asarray(loss))
    return loss


def _reduce(losses, reduction, name):
    if reduction == "mean":
        return namespace(losses).mean(losses)
    if reduction == "sum":
        return namespace(losses).sum(losses)
    if reduction == "none":
        return losses
    raise ValueError(f"{name}: reduction must be one of {', '.join(REDUCTIONS)}; "
                     f"got {reduction!r}")
