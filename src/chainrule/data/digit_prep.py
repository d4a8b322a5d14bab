"""A grey picture of a digit, prepared as MNIST prepared its digits: a (28, 28) input, ink bright.

A photo of a digit on paper is lit unevenly and grainy, and the digit covers a small part
of it. So, as MNIST's own preparation did: the background (paper or screen) is estimated
as a smooth surface and removed, the ink is thresholded at a level chosen from the picture
itself (Otsu's), the largest connected stroke (with the strokes beside it) is kept and
everything else dropped, its bounding box is scaled (anti-aliased, aspect ratio kept) to
fit 20x20, and it is placed in a 28x28 field so that its centre of mass sits on pixel
(14, 14). `digit_from_grey` does this for a picture from a file (`load_digit_image`) or a
drawing (`chainrule serve`).
"""

import numpy as np

from ..errors import DataError

SIZE = 28
BOX = 20

MIN_CONTRAST = 0.1
"""Ink and background that differ by less (on a 0..1 scale) mean nothing is drawn."""

FIT_POINTS = 10_000
"""The background surface is fitted on about this many pixels (a regular subsample)."""

PART_SHARE = 0.05
"""Strokes this share of the largest stroke's size, and touching its box, belong to the
digit (the bar of a hand-written 5 or 7 that does not touch the rest)."""

MNIST_STROKE = 1.5
"""Strokes thinner than this many pixels, once fitted to 20x20, are widened to it (a thin
pen on a large page): 95% of MNIST's strokes are 2 to 4 pixels wide."""

STROKE_PERCENTILE = 90
"""Ink is scaled so this percentile of the strokes is full brightness, as in MNIST, whose
strokes are mostly at 1 (a real MNIST digit comes back as itself)."""

INK_THRESHOLD = 0.05
"""Prepared pixels at least this inky make up the digit's bounding box."""

NEAR = 0.25
"""How far beside the largest stroke's box (as a share of its longer side) a stroke counts."""


def digit_from_grey(grey, source):
    """(H, W) grey in [0, 1] -> (28, 28) float32 MNIST-style input in [0, 1], ink bright.

    Dark ink on light paper and light ink on a dark ground both work (the majority of the
    picture is taken as background). `source` names the picture (a path, or "canvas") in
    the DataError raised when nothing is drawn.
    """
    grey = np.clip(np.asarray(grey, dtype=np.float32), 0, 1)
    if grey.ndim != 2 or min(grey.shape) < 2 or np.ptp(grey) < MIN_CONTRAST:
        raise DataError(f"{source}: the picture is blank (nothing drawn)")
    ink = _ink(grey)
    threshold = _otsu_threshold(ink)
    strokes = ink >= threshold
    if strokes.all() or not strokes.any() or (
            ink[strokes].mean() - ink[~strokes].mean() < MIN_CONTRAST):
        raise DataError(f"{source}: the picture is blank (nothing drawn)")
    digit = _digit_strokes(strokes)
    values = np.where(_widen(digit, _edge_width(digit)), ink, 0)
    values = np.clip(values / np.percentile(ink[digit], STROKE_PERCENTILE), 0, 1)
    values = _widen(values, _thickening(digit))
    rows = np.flatnonzero(values.max(axis=1) >= INK_THRESHOLD)
    cols = np.flatnonzero(values.max(axis=0) >= INK_THRESHOLD)
    return _centre(values[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def _ink(grey):
    """Grey (H, W) -> ink (H, W) in [0, 1], background 0, whatever the lighting.

    Dark ink on paper is judged by reflectance, 1 - grey / paper (uneven light scales paper
    and ink alike); light ink on a dark ground by how much it rises above the ground.
    """
    dark_ink = np.median(grey) > (grey.min() + grey.max()) / 2
    background = _background(grey, dark_ink)
    if dark_ink:
        return np.clip(1 - grey / np.maximum(background, 1e-3), 0, 1)
    return np.clip(grey - background, 0, 1)


def _background(grey, dark_ink):
    """The background's brightness (H, W): a quadratic surface fitted to the non-ink pixels.

    Smooth lighting (a gradient, a vignette) is close to quadratic across a page. The first
    fit leaves out the pixels on the ink side of Otsu's level; each refit leaves out those
    that stand out on the ink side by more than four robust standard deviations.
    """
    height, width = grey.shape
    stride = max(1, int(np.sqrt(grey.size / FIT_POINTS)))
    rows, cols = np.mgrid[0:height:stride, 0:width:stride]
    design = _quadratic_terms(rows / height, cols / width)
    sample = grey[::stride, ::stride].ravel()
    side = -1.0 if dark_ink else 1.0
    background = side * (sample - _otsu_threshold(sample)) < 0
    for _ in range(3):
        kept = design[background]  # a least-squares fit; lstsq copes with too few points
        coefficients = np.linalg.lstsq(kept.T @ kept, kept.T @ sample[background],
                                       rcond=None)[0]
        residual = side * (sample - design @ coefficients)
        spread = 1.4826 * np.median(np.abs(residual[background]))
        background = residual <= max(4 * spread, MIN_CONTRAST / 4)
    y = (np.arange(height, dtype=np.float32) / height)[:, None]
    x = np.arange(width, dtype=np.float32) / width
    c = coefficients.astype(np.float32)
    return c[0] + c[1] * y + c[3] * y * y + (c[2] + c[4] * y) * x + c[5] * x * x


def _quadratic_terms(rows, cols):
    """(N, 6) columns 1, y, x, y^2, xy, x^2 of coordinates scaled to 0..1."""
    rows, cols = rows.ravel(), cols.ravel()
    return np.stack([np.ones_like(rows), rows, cols, rows * rows, rows * cols, cols * cols], 1)


def _otsu_threshold(values, bins=256):
    """Otsu's level for values in [0, 1]: the split with the largest between-class variance."""
    counts = np.bincount(np.clip(values * bins, 0, bins - 1).astype(np.intp).ravel(),
                         minlength=bins)
    edges = np.arange(bins + 1) / bins
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)[:-1]
    above = values.size - below
    mass_below = np.cumsum(counts * centres)[:-1]
    mean_below = mass_below / np.maximum(below, 1)
    mean_above = (mass_below[-1] + counts[-1] * centres[-1] - mass_below) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return edges[1 + int(np.argmax(between))]


def _digit_strokes(strokes):
    """The largest 8-connected component of the boolean mask, with the sizeable ones by it."""
    labels, sizes = _components(strokes)
    largest = int(np.argmax(sizes))
    boxes = _boxes(labels, strokes, len(sizes))
    top, left, bottom, right = boxes[largest]
    margin = NEAR * max(bottom - top, right - left)
    near = ((boxes[:, 0] <= bottom + margin) & (boxes[:, 2] >= top - margin)
            & (boxes[:, 1] <= right + margin) & (boxes[:, 3] >= left - margin))
    keep = near & (sizes >= PART_SHARE * sizes[largest])
    digit = np.zeros_like(strokes)
    digit[strokes] = keep[labels]
    return digit


def _components(mask):
    """(label of each True pixel in mask order, size of each label), 8-connectivity.

    Pixels are grouped into runs along rows first. Each run starts as its own label; every
    round, runs that touch take the smaller label of the pair and labels jump to their
    label's label, until nothing changes.
    """
    width = mask.shape[1] + 2
    padded = np.pad(mask, 1).ravel()
    flat = np.flatnonzero(padded)
    run_of_pixel = np.cumsum(~padded[flat - 1]) - 1
    run_at = np.zeros(padded.size, dtype=np.int64)
    run_at[flat] = run_of_pixel
    runs = run_of_pixel[-1] + 1
    pairs = []
    for step in (width - 1, width, width + 1):
        touching = padded[flat + step]
        pairs.append(run_of_pixel[touching] * runs + run_at[flat[touching] + step])
    first, second = np.divmod(np.unique(np.concatenate(pairs)), runs)
    labels = np.arange(runs)
    while True:
        joined = labels.copy()
        np.minimum.at(joined, first, labels[second])
        np.minimum.at(joined, second, labels[first])
        joined = joined[joined]
        if np.array_equal(joined, labels):
            break
        labels = joined
    roots, labels = np.unique(labels, return_inverse=True)
    return labels[run_of_pixel], np.bincount(labels[run_of_pixel], minlength=roots.size)


def _boxes(labels, mask, count):
    """(count, 4) bounding boxes (top, left, bottom, right) of each label's pixels."""
    rows, cols = np.nonzero(mask)
    boxes = np.empty((count, 4), dtype=np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], labels, rows)
    np.minimum.at(boxes[:, 1], labels, cols)
    np.maximum.at(boxes[:, 2], labels, rows)
    np.maximum.at(boxes[:, 3], labels, cols)
    return boxes


def _edge_width(digit):
    """How far (pixels) a digit's soft edges reach beyond its thresholded strokes: 1 pixel
    at MNIST's size, proportionally more for a digit photographed larger."""
    height = np.ptp(np.flatnonzero(digit.any(axis=1)))
    width = np.ptp(np.flatnonzero(digit.any(axis=0)))
    return max(1, round(max(height, width) / 40))


def _thickening(digit):
    """How many pixels to widen a digit's strokes by, each side, so that they are at least
    MNIST_STROKE wide once the digit is fitted to 20x20 (a thin pen on a large page).

    A stroke's width is estimated as 2 x area / boundary pixels (a stroke of width w and
    length L has area wL and 2L boundary pixels).
    """
    padded = np.pad(digit, 1)
    inner = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1]
             & padded[1:-1, :-2] & padded[1:-1, 2:])
    width = 2 * digit.sum() / max(int(digit.sum() - inner.sum()), 1)
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    scale = BOX / (max(np.ptp(rows), np.ptp(cols)) + 1)
    return max(0, round((MNIST_STROKE / scale - width) / 2))


def _widen(values, radius):
    """Grey (or boolean) dilation by `radius` pixels: each pixel becomes the largest value
    within its (2 radius + 1)-square neighbourhood."""
    widened = values.copy()
    for axis in (0, 1):
        padded = np.pad(widened, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)])
        extent = values.shape[axis]
        for shift in range(2 * radius + 1):
            np.maximum(widened, np.take(padded, np.arange(shift, shift + extent), axis=axis),
                       out=widened)
    return widened


def _centre(ink):
    """Ink (H, W), cropped to the digit -> (28, 28): fitted to 20x20, mass at (14, 14)."""
    factor = BOX / max(ink.shape)
    height, width = (max(1, round(side * factor)) for side in ink.shape)
    patch = _resize_matrix(ink.shape[0], height) @ ink @ _resize_matrix(ink.shape[1], width).T
    mass_rows, mass_cols = np.indices(patch.shape)
    mass = patch.sum()
    top = _place(SIZE // 2 - round(float((patch * mass_rows).sum() / mass)), height)
    left = _place(SIZE // 2 - round(float((patch * mass_cols).sum() / mass)), width)
    image = np.zeros((SIZE, SIZE), dtype=np.float32)
    image[top : top + height, left : left + width] = np.clip(patch, 0, 1)
    return image


def _place(offset, extent):
    """Clamp a patch's offset so the whole patch stays inside the 28x28 field."""
    return min(max(offset, 0), SIZE - extent)


def _resize_matrix(in_size, out_size):
    """(out_size, in_size) weights of an anti-aliased linear resize along one axis.

    Output pixel i averages the inputs under a triangle centred on it, as wide as one
    output pixel when shrinking (so every input counts) and one input pixel when growing.
    Equal sizes give the identity.
    """
    scale = in_size / out_size
    centres = (np.arange(out_size) + 0.5) * scale
    distance = (np.arange(in_size) + 0.5)[None, :] - centres[:, None]
    weights = np.clip(1 - np.abs(distance) / max(scale, 1.0), 0, None)
    return weights / weights.sum(axis=1, keepdims=True)
