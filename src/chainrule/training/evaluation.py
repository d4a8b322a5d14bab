"""Evaluating a classifier: loss, accuracy, per-class accuracy and the confusion matrix."""

import numpy as np

from chainrule import _backend
from chainrule._core.modes import no_grad
from chainrule._core.tensor import raw
from chainrule.nn.losses import cross_entropy, tutorial_cross_entropy
from chainrule.ops.special import softmax


def class_scores(model, images, batch_size=1000):
    """The model's outputs (N, K) for (N, D) images, computed in eval mode without a graph,
    on the model's device (host images are uploaded there)."""
    images = _backend.to_device(images, model.device)
    xp = _backend.array_module(images)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            parts = [raw(model(images[start : start + batch_size]))
                     for start in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    return xp.concatenate(parts) if parts else xp.zeros((0, model.sizes[-1]), model.dtype)


def probabilities(model, images, batch_size=1000):
    """Class probabilities (N, K): the model's softmax outputs, or softmax of its logits."""
    scores = class_scores(model, images, batch_size)
    return scores if model.output == "softmax" else softmax(scores)


def evaluate(model, images, labels, batch_size=1000):
    """{"loss", "accuracy", "predictions"} of `model` on (N, D) images with integer labels:
    Python numbers and NumPy predictions (N,), computed on the model's device."""
    scores = class_scores(model, images, batch_size)
    labels = _backend.to_device(labels, model.device)
    xp = _backend.array_module(scores)
    loss_fn = tutorial_cross_entropy if model.output == "softmax" else cross_entropy
    predictions = scores.argmax(axis=-1)
    if not len(labels):
        return {"loss": None, "accuracy": None, "predictions": _backend.to_host(predictions)}
    with _backend.errstate(scores, divide="ignore"):
        loss = float(loss_fn(scores, labels))
    return {"loss": loss, "accuracy": float(xp.mean(predictions == labels)),
            "predictions": _backend.to_host(predictions)}


def confusion_matrix(labels, predictions, classes):
    """(K, K) counts: row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.intp), predictions), 1)
    return matrix


def per_class_accuracy(matrix):
    """For each true class, the fraction predicted correctly (NaN for a class with no samples)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / totals


def format_confusion(matrix, classes):
    """The confusion matrix as aligned text, with class names as row and column headers."""
    names = [str(name) for name in classes]
    short = [name[:6] for name in names]
    label_width = max(len(name) for name in names)
    width = max(max(len(s) for s in short), len(str(matrix.max())))
    header = " " * (label_width + 2) + " ".join(s.rjust(width) for s in short)
    rows = [f"{name.rjust(label_width)}  " + " ".join(str(v).rjust(width) for v in row)
            for name, row in zip(names, matrix, strict=True)]
    return "\n".join([header, *rows])
