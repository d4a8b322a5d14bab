"""`plot_run`: every figure of a training run, written into its directory with an index."""

from pathlib import Path

import numpy as np

from chainrule._reading import open_regular
from chainrule.api import grad
from chainrule.errors import CheckpointError, reason
from chainrule.explain import run_figures
from chainrule.explain.network import model_layers

INDEX = "plots.md"
SALIENCY_IMAGES = 6
SMOOTHGRAD_SAMPLES = 32
SMOOTHGRAD_NOISE = 0.15
"""SmoothGrad averages the gradient over this many copies of the image with Gaussian noise
of this standard deviation (in pixel values 0..1) added: the average keeps what the class
score consistently responds to and cancels the pixel-to-pixel noise of a single gradient."""


def read_metrics(run_dir):
    """The per-epoch records of `metrics.jsonl` (an empty list when there is none)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    from chainrule.training.schema import MAX_JSON_BYTES, parse_json

    with open_regular(path, CheckpointError, "metrics file") as stream:
        text = stream.read(MAX_JSON_BYTES + 1).decode(errors="replace")
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(parse_json(line))
        except ValueError as error:
            raise CheckpointError(f"{path}:{number}: not a JSON record: {reason(error)}") \
                from None
    return records


def plot_run(run_dir, data_dir=None):
    """Load the run's model, metrics and test set, draw every figure into the run directory.

    Returns the paths written, the index (`plots.md`) last.
    """
    from chainrule.data import load_dataset
    from chainrule.training import load_model

    run_dir = Path(run_dir)
    model, config = load_model(run_dir)
    dataset = load_dataset(config.get("dataset", "mnist"),
                           data_dir=data_dir or config.get("data_dir"))
    if not len(dataset.test_images):
        raise CheckpointError(f"{run_dir}: the test split of {dataset.where('test', 'images')} "
                              "is empty, so there are no test images to draw mistakes, a "
                              "confusion matrix or saliency from")
    entries = draw_run(model, read_metrics(run_dir), dataset, run_dir)
    return [run_dir / name for name, _, _ in entries] + [write_index(run_dir, entries)]


def draw_run(model, metrics, dataset, folder):
    """Draw the figures of `model` on `dataset`'s test split into `folder`.

    Returns [(file name, title, what it shows)] for the index.
    """
    from chainrule.data import to_float
    from chainrule.training import class_scores, confusion_matrix, evaluate

    folder = Path(folder)
    dense, activations = model_layers(model)
    inputs = to_float(dataset.test_images).astype(model.dtype)
    labels = dataset.test_labels.astype(np.intp)
    predictions = evaluate(model, inputs, labels)["predictions"]
    classes = dataset.classes
    images = dataset.test_images
    accuracy = float(np.mean(predictions == labels))
    entries = []
    if metrics:
        run_figures.plot_training_curves(metrics, folder / "training_curves.png")
        entries.append(("training_curves.png", "Training curves",
                        f"loss and accuracy per epoch over {len(metrics)} epochs"))
    run_figures.plot_confusion_matrix(confusion_matrix(labels, predictions, len(classes)),
                                      classes, folder / "confusion_matrix.png")
    entries.append(("confusion_matrix.png", "Confusion matrix",
                    f"true against predicted class on the {len(labels):,} test images "
                    f"(accuracy {100 * accuracy:.2f}%)"))
    run_figures.plot_misclassified(images, labels, predictions, classes,
                                   folder / "misclassified.png")
    entries.append(("misclassified.png", "Misclassified digits",
                    "the first misclassified test images, with true and predicted labels"))
    run_figures.plot_first_layer_weights(dense[0][0], folder / "first_layer_weights.png")
    entries.append(("first_layer_weights.png", "First layer weights",
                    "the weights into the first hidden units, each shown as an image"))
    chosen = _saliency_examples(labels, predictions)
    scores = class_scores(model, inputs[chosen])
    other = np.where(predictions[chosen] != labels[chosen], predictions[chosen],
                     np.argsort(scores, axis=1)[:, -2])
    maps = [run_figures.as_images(inputs[chosen] * smoothgrad(model, inputs[chosen], which))
            for which in (labels[chosen], other)]
    run_figures.plot_saliency(images[chosen], maps, labels[chosen], predictions[chosen],
                              other, classes, folder / "saliency.png")
    entries.append(("saliency.png", "Saliency maps",
                    f"SmoothGrad x input for {len(chosen)} test images (classified right, "
                    f"then wrong): the strokes that raise (red) or lower (blue) the score of "
                    f"the true class, and of the predicted class (the runner-up when the "
                    f"prediction is right)"))
    return entries


def _saliency_examples(labels, predictions):
    """Indices of up to SALIENCY_IMAGES test images: half classified right, half wrong
    (the first of each), fewer of one kind when there are not enough."""
    right = np.flatnonzero(labels == predictions)
    wrong = np.flatnonzero(labels != predictions)
    wanted_wrong = min(len(wrong), SALIENCY_IMAGES // 2)
    wanted_right = min(len(right), SALIENCY_IMAGES - wanted_wrong)
    wanted_wrong = min(len(wrong), SALIENCY_IMAGES - wanted_right)
    return np.concatenate([right[:wanted_right], wrong[:wanted_wrong]]).astype(np.intp)


def class_score(model, x, classes):
    """Sum over rows of the score of each row's class: its logit, or its log-probability
    for a model whose output is softmax."""
    scores = model(x)
    if getattr(model, "output", "logits") == "softmax":
        scores = np.log(scores)
    return (scores * np.eye(scores.shape[-1], dtype=model.dtype)[classes]).sum()


def smoothgrad(model, inputs, classes, samples=SMOOTHGRAD_SAMPLES, noise=SMOOTHGRAD_NOISE,
               seed=0):
    """SmoothGrad (N, D): the mean of d score(class k) / d pixels over `samples` noisy
    copies of each row of `inputs` (pixels in 0..1, noise of std `noise`), one backward
    pass for all of them. With noise 0 it is the plain gradient."""
    inputs = np.asarray(inputs, dtype=model.dtype)
    count, size = inputs.shape
    noisy = inputs[:, None, :] + noise * np.random.default_rng(seed).standard_normal(
        (count, samples, size))
    repeated = np.repeat(np.asarray(classes, dtype=np.intp), samples)
    gradients = grad(lambda x: class_score(model, x, repeated))(
        noisy.reshape(count * samples, size).astype(model.dtype))
    return gradients.reshape(count, samples, size).mean(axis=1)


def write_index(folder, entries):
    """`plots.md` in `folder`: each figure's title, what it shows, and the image itself."""
    lines = [f"# Plots of the run in {Path(folder).name}", ""]
    for name, title, description in entries:
        lines += [f"## {title}", "", f"`{name}`: {description}.", "", f"![{title}]({name})", ""]
    path = Path(folder) / INDEX
    path.write_text("\n".join(lines))
    return path
