"""`plot_run`: every figure of a training run, written into its directory with an index."""

import json
from pathlib import Path

import numpy as np

from chainrule.api import grad
from chainrule.errors import CheckpointError
from chainrule.explain import run_figures
from chainrule.explain.network import forward, model_layers

INDEX = "plots.md"
SALIENCY_IMAGES = 6


def read_metrics(run_dir):
    """The per-epoch records of `metrics.jsonl` (an empty list when there is none)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise CheckpointError(f"{path}:{number}: not a JSON record: {error.msg}") from None
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
    entries = draw_run(model, read_metrics(run_dir), dataset, run_dir)
    return [run_dir / name for name, _, _ in entries] + [write_index(run_dir, entries)]


def draw_run(model, metrics, dataset, folder):
    """Draw the figures of `model` on `dataset`'s test split into `folder`.

    Returns [(file name, title, what it shows)] for the index.
    """
    from chainrule.data import to_float
    from chainrule.training import confusion_matrix, evaluate

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
    chosen = np.arange(min(SALIENCY_IMAGES, len(labels)))
    gradients = saliency(dense, activations, inputs[chosen], predictions[chosen])
    run_figures.plot_saliency(images[chosen], run_figures.as_images(gradients), labels[chosen],
                              predictions[chosen], classes, folder / "saliency.png")
    entries.append(("saliency.png", "Saliency maps",
                    f"the gradient of the predicted class's score with respect to the pixels "
                    f"for the first {len(chosen)} test images"))
    return entries


def saliency(dense, activations, inputs, classes):
    """d z_k / d x for each row of `inputs` and its class k: (N, D), one backward pass."""
    onehot = np.eye(dense[-1][0].shape[0])[classes]

    def scores(x):
        return (forward(dense, activations, x) * onehot).sum()

    return grad(scores)(np.asarray(inputs, np.float64))


def write_index(folder, entries):
    """`plots.md` in `folder`: each figure's title, what it shows, and the image itself."""
    lines = [f"# Plots of the run in {Path(folder).name}", ""]
    for name, title, description in entries:
        lines += [f"## {title}", "", f"`{name}`: {description}.", "", f"![{title}]({name})", ""]
    path = Path(folder) / INDEX
    path.write_text("\n".join(lines))
    return path
