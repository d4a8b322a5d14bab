"""A grey picture of a digit, prepared as MNIST prepared its digits: a (28, 28) input, ink bright.

MNIST's digits are light ink on a dark ground, each digit's bounding box scaled
(anti-aliased, aspect ratio kept) to fit a 20x20 box, then placed in a 28x28 field so that
its centre of mass sits on pixel (14, 14). `digit_from_grey` does the same to a picture
from a file (`load_digit_image`) or a drawing (`chainrule serve`).
"""

import numpy as np

from ..errors import DataError

SIZE = 28
BOX = 20

MIN_CONTRAST = 0.1
"""A picture whose darkest and lightest pixels differ by less (on a 0..1 scale) is blank."""

INK_THRESHOLD = 0.05
"""Pixels at least this inky (after contrast stretching) make up the digit's bounding box."""


def digit_from_grey(grey, source):
    """(H, W) float32 grey in [0, 1] -> (28, 28) float32 MNIST-style input in [0, 1], ink bright.

    `source` names the picture (a path, or "canvas") in the DataError raised for a blank one.
    """
    return _centre(_ink(np.asarray(grey, dtype=np.float32), source))


def _ink(grey, source):
    """Grey (H, W) -> ink (H, W) in [0, 1]: contrast stretched, inverted if dark-on-light."""
    contrast = np.ptp(grey) if grey.size else 0.0
    if contrast < MIN_CONTRAST:
        raise DataError(f"{source}: the picture is blank (nothing drawn)")
    stretched = (grey - grey.min()) / contrast
    border = np.concatenate([stretched[0], stretched[-1], stretched[:, 0], stretched[:, -1]])
    return 1 - stretched if border.mean() > 0.5 else stretched


def _centre(ink):
    """Ink (H, W) -> (28, 28): bounding box fitted to 20x20, centre of mass at (14, 14)."""
    rows = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=0))
    digit = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = BOX / max(digit.shape)
    height, width = (max(1, round(side * factor)) for side in digit.shape)
    patch = _resize_matrix(digit.shape[0], height) @ digit @ _resize_matrix(digit.shape[1], width).T
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
