"""What a trained network learned, one PNG each: training curves, the confusion matrix,
misclassified digits, the first layer's weights as images, and saliency maps."""

import math

import numpy as np

from chainrule.explain.figures import heatmap, image_grid, new_figure, save

SIZES = {
    "training_curves": (12, 5),
    "confusion_matrix": (8, 7),
    "misclassified": (10, 11),
    "first_layer_weights": (10, 10),
    "saliency": (14, 5),
}
"""Figure sizes in inches (at figures.DPI = 100 pixels per inch)."""


def as_images(rows):
    """(N, D) rows -> (N, s, s) images when D = s^2 (784 -> 28x28), else (N, 1, D)."""
    rows = np.asarray(rows)
    side = math.isqrt(rows.shape[1])
    if side * side == rows.shape[1]:
        return rows.reshape(len(rows), side, side)
    return rows.reshape(len(rows), 1, -1)


def plot_training_curves(metrics, path):
    """Loss and accuracy per epoch, one line per `*_loss` / `*_accuracy` key of `metrics`
    (a list of per-epoch dicts with an "epoch")."""
    figure = new_figure(*SIZES["training_curves"])
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = [row.get("epoch", i + 1) for i, row in enumerate(metrics)]
    for axes, suffix, ylabel in ((loss_axes, "_loss", "cross-entropy loss"),
                                 (accuracy_axes, "_accuracy", "accuracy")):
        keys = sorted({key for row in metrics for key in row if key.endswith(suffix)})
        for key in keys:
            points = [(epoch, row[key]) for epoch, row in zip(epochs, metrics, strict=True)
                      if row.get(key) is not None]
            if points:
                axes.plot(*zip(*points, strict=True), marker="o",
                          label=key[: -len(suffix)].replace("_", " "))
        axes.set_title(f"{ylabel.capitalize()} per epoch")
        axes.set_xlabel("epoch")
        axes.set_ylabel(ylabel)
        axes.locator_params(axis="x", integer=True)
        axes.grid(alpha=0.3)
        if keys:
            axes.legend()
    return save(figure, path)


def plot_confusion_matrix(matrix, classes, path):
    """The (K, K) counts of (true, predicted) class pairs over the test set, annotated."""
    count = len(classes)
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    figure = new_figure(*SIZES["confusion_matrix"])
    axes = figure.subplots()
    heatmap(axes, matrix, f"Confusion matrix on {matrix.sum():,} test images "
            f"(accuracy {100 * accuracy:.2f}%)", "predicted class", "true class",
            diverging=False, colorbar_label="test images")
    axes.set_xticks(range(count), classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    axes.set_yticks(range(count), classes)
    threshold = matrix.max() / 2
    for (true, predicted), value in np.ndenumerate(matrix):
        axes.text(predicted, true, str(value), ha="center", va="center", fontsize=8,
                  color="black" if value > threshold else "white")
    return save(figure, path)


def plot_misclassified(images, labels, predictions, classes, path, count=25):
    """The first `count` misclassified test images with their true and predicted labels."""
    wrong = np.flatnonzero(np.asarray(labels) != np.asarray(predictions))[:count]
    figure = new_figure(*SIZES["misclassified"])
    figure.suptitle(f"Misclassified test images: the first {len(wrong)} of "
                    f"{np.count_nonzero(np.asarray(labels) != np.asarray(predictions)):,}",
                    fontsize=14)
    if len(wrong) == 0:
        figure.text(0.5, 0.5, "every test image is classified correctly", ha="center")
        return save(figure, path)
    titles = [f"test #{i}: true {classes[labels[i]]}\npredicted {classes[predictions[i]]}"
              for i in wrong]
    image_grid(figure, np.asarray(images)[wrong], titles, columns=5)
    return save(figure, path)


def plot_first_layer_weights(weight, path, count=64):
    """Rows of the first layer's weight (out, in) as images: what each unit looks for."""
    shown = as_images(np.asarray(weight)[:count])
    figure = new_figure(*SIZES["first_layer_weights"])
    figure.suptitle(f"First layer: the weights into hidden units 0-{len(shown) - 1} "
                    f"(of {len(weight)}), each as a {shown.shape[1]}x{shown.shape[2]} image",
                    fontsize=13)
    image_grid(figure, shown, [f"unit {i}" for i in range(len(shown))],
               columns=math.ceil(math.sqrt(len(shown))), cmap="RdBu_r", symmetric=True,
               label="weight (red: ink raises the unit, blue: lowers it)")
    return save(figure, path)


def plot_saliency(images, gradients, labels, predictions, classes, path):
    """Each image above d(logit of its predicted class)/d(pixel), red where more ink would
    raise the score."""
    images, gradients = np.asarray(images), np.asarray(gradients)
    figure = new_figure(*SIZES["saliency"])
    figure.suptitle("Saliency: the gradient of the predicted class's score with respect to "
                    "the input", fontsize=13)
    grid = figure.subplots(2, len(images), squeeze=False)
    for column, (image, gradient) in enumerate(zip(images, gradients, strict=True)):
        grid[0, column].imshow(image, cmap="gray", interpolation="nearest")
        grid[0, column].set_title(f"true {classes[labels[column]]}, "
                                  f"predicted {classes[predictions[column]]}", fontsize=9)
        limit = float(np.max(np.abs(gradient))) or 1.0
        shown = grid[1, column].imshow(gradient, cmap="RdBu_r", vmin=-limit, vmax=limit,
                                       interpolation="nearest")
        grid[1, column].set_title(f"d score({classes[predictions[column]]}) / d x",
                                  fontsize=9)
        figure.colorbar(shown, ax=grid[1, column], shrink=0.8)
    for axes in grid.flat:
        axes.set_xticks([])
        axes.set_yticks([])
    grid[0, 0].set_ylabel("input")
    grid[1, 0].set_ylabel("saliency")
    return save(figure, path)
