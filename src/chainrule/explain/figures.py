"""Matplotlib (an optional extra) on the Agg canvas: figures drawn off screen, saved as PNG.

No pyplot and no global backend switch: each figure owns its Agg canvas.
"""

import numpy as np

from chainrule.errors import PlottingUnavailable

DPI = 100


def new_figure(width, height):
    """A matplotlib Figure of `width` x `height` inches on its own Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlottingUnavailable(
            'plots need matplotlib, an optional extra: pip install "chainrule[plot]"'
        ) from None
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure, path):
    """Write `figure` to `path` as PNG; returns the path."""
    figure.savefig(path, format="png", dpi=DPI)
    return path


def heatmap(axes, matrix, title, xlabel, ylabel, diverging=True, colorbar_label=None):
    """Draw `matrix` (2-D) on `axes` with a colour bar; diverging maps centre 0 on white."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if diverging:
        limit = float(np.max(np.abs(matrix))) or 1.0
        image = axes.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                            interpolation="nearest")
    else:
        image = axes.imshow(matrix, cmap="viridis", aspect="auto", interpolation="nearest")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.figure.colorbar(image, ax=axes, label=colorbar_label)
    return image


def image_grid(figure, images, titles, columns, cmap="gray", symmetric=False, label=None):
    """Images (N, H, W) in a grid of `columns`, one title each; one shared colour bar."""
    rows = -(-len(images) // columns)
    grid = figure.subplots(rows, columns, squeeze=False)
    limit = (float(np.max(np.abs(images))) or 1.0) if symmetric else None
    shown = None
    for axes, image, title in zip(grid.flat, images, titles, strict=False):
        shown = axes.imshow(image, cmap=cmap, interpolation="nearest",
                            vmin=-limit if symmetric else None, vmax=limit)
        axes.set_title(title, fontsize=9)
    for position, axes in enumerate(grid.flat):
        axes.set_xticks([])
        axes.set_yticks([])
        if position >= len(images):
            axes.set_axis_off()
    if shown is not None and label:
        figure.colorbar(shown, ax=grid.ravel().tolist(), label=label, shrink=0.8)
    return grid
