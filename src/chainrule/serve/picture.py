"""The canvas payload: checked, decoded, and prepared as `chainrule predict` prepares a picture.

A drawing arrives as {"shape": [H, W], "dtype": "uint8" | "float32", "data": base64 of the
H*W grey values, row by row} (uint8 0..255 or float32 0..1, light paper and dark ink or the
reverse). It becomes the network's input by `digit_from_grey`, the code `predict` runs.
"""

import base64
import binascii

import numpy as np

from chainrule.data.digit_prep import digit_from_grey

from .errors import PayloadError

MIN_SIDE = 8
MAX_SIDE = 512
INK = 0.05
"""Pixels of the prepared digit at least this bright make up its bounding box."""
DTYPES = {"uint8": (np.uint8, 255.0), "float32": (np.float32, 1.0)}
"""Accepted pixel dtypes and the value that means full brightness for each."""


def canvas_grey(payload):
    """The payload's (H, W) float32 grey picture in [0, 1]; PayloadError if malformed."""
    if not isinstance(payload, dict):
        raise PayloadError("canvas: expected an object with shape, dtype and data")
    shape, dtype, data = payload.get("shape"), payload.get("dtype"), payload.get("data")
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(type(side) is int and MIN_SIDE <= side <= MAX_SIDE for side in shape)):
        raise PayloadError(f"canvas: shape must be [height, width] with sides from {MIN_SIDE} "
                           f"to {MAX_SIDE}, got {shape!r}"[:200])
    if dtype not in DTYPES:
        raise PayloadError(f"canvas: dtype must be one of {', '.join(DTYPES)}, "
                           f"got {dtype!r}"[:200])
    if not isinstance(data, str):
        raise PayloadError("canvas: data must be a base64 string")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f"canvas: data is not valid base64 ({exc})") from None
    numpy_dtype, full_scale = DTYPES[dtype]
    expected = shape[0] * shape[1] * np.dtype(numpy_dtype).itemsize
    if len(raw) != expected:
        raise PayloadError(f"canvas: {len(raw)} bytes of data for shape {shape} of {dtype} "
                           f"(expected {expected})")
    pixels = np.frombuffer(raw, dtype=numpy_dtype).reshape(shape)
    grey = pixels.astype(np.float32) / full_scale  # as data.images reads a picture file
    if not (np.isfinite(grey).all() and grey.min() >= 0 and grey.max() <= 1):
        raise PayloadError("canvas: float32 values must be finite and within [0, 1]")
    return grey


def network_input(grey, side):
    """(side, side) float32 input in [0, 1]: MNIST's 28x28 preparation, then, for a network
    trained on smaller pictures (8x8 digits), the digit's box fitted to the whole field."""
    digit = digit_from_grey(grey, "canvas")
    return digit if digit.shape == (side, side) else _fit_box(digit, side)


def _fit_box(digit, side):
    """The digit's square bounding box, area-averaged down (or up) to (side, side)."""
    rows = np.flatnonzero((digit >= INK).any(axis=1))
    cols = np.flatnonzero((digit >= INK).any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    top = (rows[0] + rows[-1] + 1 - extent) // 2
    left = (cols[0] + cols[-1] + 1 - extent) // 2
    margin = max(digit.shape)
    padded = np.pad(digit, margin)
    square = padded[margin + top : margin + top + extent, margin + left : margin + left + extent]
    shrink = _area_matrix(extent, side)
    return (shrink @ square @ shrink.T).astype(np.float32)


def _area_matrix(in_size, out_size):
    """(out_size, in_size) weights: output pixel i is the mean of the inputs it covers."""
    edges = np.linspace(0.0, in_size, out_size + 1)
    starts, ends = edges[:-1, None], edges[1:, None]
    pixels = np.arange(in_size)[None, :]
    overlap = np.clip(np.minimum(ends, pixels + 1) - np.maximum(starts, pixels), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)
