"""One PNG of the derivation: the input, dC/dy, dy/dz2, dz2/dW2, dC/dz2, dC/dW2 and dC/dx."""

import math

import numpy as np

from chainrule.explain.figures import heatmap, new_figure, save


def plot_derivation(explanation, label, path, pixels=None, input_std=1.0):
    """Heatmaps (and bars for the 1x10 rows) of the last layer's Jacobians; returns path.

    `explanation` is of `network_stages`. `pixels` (in [0, 1]) is the picture the network
    saw, drawn in pixel values 0-255, and dC/dx is drawn per pixel value (the chain's input
    is standardised by `input_std`); without `pixels`, the chain's input itself. Inputs are
    drawn as square images when their size is a square (784 -> 28x28).
    """
    cross, soft, dense = explanation.stages[-1], explanation.stages[-2], explanation.stages[-3]
    y, z, a = soft.output_symbol, dense.output_symbol, dense.input_symbol
    weight = next(iter(dense.stage.params))
    first = explanation.stages[0]
    probabilities = soft.output
    figure = new_figure(22, 10)
    grid = figure.subplots(2, 4)
    figure.suptitle(f"The chain rule at one input, true class r = {label}: "
                    f"C = -ln {y}_r = {float(explanation.value):.6g}", fontsize=15)
    x = first.input_symbol
    if pixels is None:
        _draw_vector(grid[0, 0], first.input, f"{x}: the input", "greys")
        gradient, gradient_title = first.chain[0], f"dC/d{x}: how each input entry moves C"
    else:
        _draw_vector(grid[0, 0], 255 * np.asarray(pixels), "the input the network saw",
                     "greys", "pixel value (0-255)")
        gradient = first.chain[0] / (255 * input_std)
        gradient_title = "dC/d(pixel): red, more ink here raises C;\nblue, it lowers C"
    _bars(grid[0, 1], cross.jacobians[y][0], f"dC/d{y} (1x{probabilities.size}):"
          f" zero except -1/{y}_r at r = {label}", f"j (component of {y})",
          f"dC/d{y}_j")
    heatmap(grid[0, 2], soft.jacobians[z], f"d{y}/d{z} ({_shape(soft.jacobians[z])}) = "
            f"diag({y}) - {y} {y}ᵀ", f"j ({z}_j)", f"i ({y}_i)")
    _draw_vector(grid[0, 3], gradient, gradient_title, "diverging")
    dz_dw = dense.jacobians[weight]
    heatmap(grid[1, 0], dz_dw.reshape(-1, dz_dw.shape[-1]),
            f"d{z}_i/d{weight}_jk ({_shape(dz_dw)}), a row per (i, j):\n"
            f"nonzero only where i = j, and there it is {a}_k", f"k ({a}_k)",
            "(i, j): i = row // 10, j = row % 10")
    _bars(grid[1, 1], soft.chain[0], f"dC/d{z} = dC/d{y} · d{y}/d{z} = {y} - onehot(r)",
          f"i ({z}_i)", f"dC/d{z}_i")
    grid[1, 1].scatter(range(probabilities.size), probabilities - np.eye(probabilities.size)
                       [label], marker="_", s=400, color="black", label=f"{y} - onehot(r)")
    grid[1, 1].legend(loc="best")
    heatmap(grid[1, 2], dense.gradients[weight][0],
            f"dC/d{weight} ({_shape(dense.gradients[weight])}) = (dC/d{z})ᵀ {a}ᵀ",
            f"k ({a}_k)", f"i (row of {weight})")
    _bars(grid[1, 3], probabilities, f"{y} = softmax({z}), predicted "
          f"{int(np.argmax(probabilities))}", "class", f"{y}_i")
    return save(figure, path)


def _shape(array):
    return "x".join(str(n) for n in array.shape)


def _bars(axes, values, title, xlabel, ylabel):
    values = np.asarray(values, dtype=np.float64)
    colours = ["tab:red" if v < 0 else "tab:blue" for v in values]
    axes.bar(range(values.size), values, color=colours)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(values.size))
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)


def _draw_vector(axes, values, title, kind, colorbar_label=None):
    """A vector as a square image when it is one (784 -> 28x28), else as one row."""
    values = np.asarray(values, dtype=np.float64)
    side = math.isqrt(values.size)
    image = values.reshape(side, side) if side * side == values.size else values[None, :]
    if kind == "greys":
        shown = axes.imshow(image, cmap="gray", interpolation="nearest", vmin=0,
                            vmax=max(float(image.max()), 1.0))
    else:
        limit = float(np.max(np.abs(image))) or 1.0
        shown = axes.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit,
                            interpolation="nearest")
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.figure.colorbar(shown, ax=axes, label=colorbar_label)
