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
    "saliency": (16, 8),
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


def plot_saliency(images, maps, labels, predictions, others, classes, path):
    """Each image (top row) and two saliency maps under it, drawn over the digit's outline:
    `maps[0]` for its true class, `maps[1]` for `others` (the predicted class when it is
    wrong, else the runner-up). Diverging colours centred at 0: red where the ink raises
    the class's score, blue where it lowers it."""
    images = np.asarray(images, dtype=np.float64)
    figure = new_figure(*SIZES["saliency"])
    figure.suptitle("Saliency (SmoothGrad x input): the strokes that raise (red) or lower "
                    "(blue) a class's score; grey outline: the digit", fontsize=13)
    grid = figure.subplots(3, len(images), squeeze=False)
    for column, image in enumerate(images):
        verdict = "right" if labels[column] == predictions[column] else "WRONG"
        grid[0, column].imshow(image, cmap="gray", interpolation="nearest")
        grid[0, column].set_title(f"true {classes[labels[column]]}, predicted "
                                  f"{classes[predictions[column]]} ({verdict})", fontsize=9)
        second = "predicted" if labels[column] != predictions[column] else "runner-up"
        for row, (saliency, name) in enumerate(
                [(maps[0][column], f"true class {classes[labels[column]]}"),
                 (maps[1][column], f"{second} {classes[others[column]]}")], start=1):
            limit = float(np.percentile(np.abs(saliency), 99)) or 1.0
            shown = grid[row, column].imshow(saliency, cmap="RdBu_r", vmin=-limit,
                                             vmax=limit, interpolation="nearest")
            grid[row, column].contour(image, levels=[0.5 * image.max()], colors="grey",
                                      linewidths=0.6)
            grid[row, column].set_title(f"score of {name}", fontsize=9)
            figure.colorbar(shown, ax=grid[row, column], shrink=0.8,
                            label="gradient x pixel" if column == len(images) - 1 else None)
    for axes in grid.flat:
        axes.set_xticks([])
        axes.set_yticks([])
    grid[0, 0].set_ylabel("test image")
    grid[1, 0].set_ylabel("for the true class")
    grid[2, 0].set_ylabel("for the other class")
    return save(figure, path)
