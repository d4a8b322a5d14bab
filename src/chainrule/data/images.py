"""A user's picture of a digit, turned into a 28x28 MNIST-style input for `chainrule predict`.

MNIST was made this way, and so is our input: greyscale, light ink on a dark ground, the
digit's bounding box scaled (anti-aliased, aspect ratio kept) to fit a 20x20 box, then
placed in a 28x28 field so that its centre of mass sits on pixel (14, 14).
"""

import io
import math
import re
import struct
import warnings
import zlib
from pathlib import Path
from tokenize import TokenError

import numpy as np

from .._reading import NPY_HEADER_READERS, open_regular, read_npy_header, regular_file_size
from ..errors import DataError, reason
from .digit_prep import digit_from_grey

MAX_PIXELS = 50_000_000
"""Larger pictures are refused before they are decoded (decompression bombs)."""
MAX_FILE_BYTES = 32 * 2**20
"""Pictures are read into memory first (a digit's picture is small), so a size field that
lies (a PNG chunk claiming gigabytes) cannot make the decoder allocate more than this."""
MAX_DECODED_BYTES = 96 * 2**20
"""What Pillow may hold while decoding and converting one picture (after a JPEG's
draft scaling); a larger picture is refused before decoding, so that reading any
accepted picture stays under about 100 MB."""
MAX_SIDE = 1024
"""Pictures are box-reduced to at most this many pixels on their long side, right after
decoding and before any float conversion: plenty for a 20x20 digit."""

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's "L"

_PILLOW_CONVERSIONS = {
    "1": "L",
    "P": "RGBA",
    "PA": "RGBA",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "CMYK": "RGB",
    "YCbCr": "RGB",
}
_PILLOW_MODES = {"L", "LA", "RGB", "RGBA", "I;16", "I;16L", "I;16B", "I;16N", "I", "F"}
_PILLOW_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 4, "La": 4, "PA": 4, "I;16": 2, "I;16L": 2,
                 "I;16B": 2, "I;16N": 2}
"""Bytes per pixel of Pillow's image memory by mode; 4 for every mode not listed."""
_UNIDENTIFIED = re.compile(r" ?<_io\.BytesIO object at 0x[0-9a-fA-F]+>")
_BAND_ROWS = 256
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
# NumPy parses a .npy header with ast.literal_eval: garbage can fail in the tokenizer too.
_NPY_HEADER_ERRORS = (OSError, ValueError, EOFError, SyntaxError, TokenError, RecursionError)


def load_digit_image(path):
    """The digit pictured in `path` as a (28, 28) float32 array in [0, 1], ink bright.

    Reads PNG, JPEG and whatever else Pillow opens (`pip install "chainrule[images]"`),
    and `.npy` arrays (no pickles) of shape (H, W), (H, W, C) or (C, H, W) with C in
    1..4 channels (grey, grey+alpha, RGB, RGBA), dtype bool, uint8, uint16, int32 (read as
    16-bit, as Pillow reads 16-bit PNGs) or float (0..1, or 0..255 when above 1). Alpha is
    composited over white. Dark-on-light pictures (judged by their border) are inverted
    and contrast is stretched to 0..1. Raises DataError naming the file for anything that
    is not a readable picture with something drawn on it.
    """
    path = Path(path)
    pixels = _read_npy(path) if path.suffix.lower() == ".npy" else _read_picture(path)
    return digit_from_grey(_greyscale(pixels, path), path)


def _read_picture(path):
    """The decoded pixels of a picture file, as a (H, W) or (H, W, C) array."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise DataError(
            f"{path}: reading pictures needs Pillow: "
            'pip install "chainrule[images]" (or give a .npy array)'
        ) from exc
    encoded = _read_bytes(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(encoded)) as image:
                _check_pixel_count(*image.size, path)
                image.draft(None, _reduced_size(image.size))  # JPEG: decode at 1/2..1/8 size
                _check_decoded_bytes(image, path)
                image.load()
                return _pillow_pixels(image, path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{path}: refused as a decompression bomb: {exc}") from exc
    except DataError:
        raise
    except _PILLOW_ERRORS as exc:
        problem = _UNIDENTIFIED.sub("", reason(exc))  # Pillow names our in-memory copy
        raise DataError(f"{path}: not a readable picture: {problem}") from exc


def _read_bytes(path):
    """The file's bytes, refusing files too large to be a picture of a digit."""
    with open_regular(path, DataError, "picture") as stream:
        size = regular_file_size(stream)
        if size > MAX_FILE_BYTES:
            raise DataError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES}-byte limit "
                            "for a picture")
        try:
            return stream.read(size + 1)
        except OSError as exc:
            raise DataError(f"{path}: not a readable picture: {reason(exc)}") from exc


def _check_decoded_bytes(image, path):
    """Refuse a picture whose decoding and conversion would take over MAX_DECODED_BYTES."""
    converted = _PILLOW_CONVERSIONS.get(image.mode, "I" if image.mode.startswith("I;16")
                                        else image.mode)
    per_pixel = _PILLOW_BYTES.get(image.mode, 4) + (
        0 if converted == image.mode else _PILLOW_BYTES.get(converted, 4))
    if converted in ("LA", "RGBA") and _reduction(image.size) > 1:
        per_pixel += 4  # Pillow reduces a premultiplied copy
    width, height = image.size
    if width * height * per_pixel > MAX_DECODED_BYTES:
        raise DataError(f"{path}: a {width}x{height} {image.mode} picture needs "
                        f"{width * height * per_pixel // 2**20} MiB to decode, over the "
                        f"{MAX_DECODED_BYTES // 2**20} MiB limit for a picture; scale it down "
                        "(the digit needs only 28x28 pixels)")


def _reduced_size(size):
    """(width, height) shrunk by the integer factor that fits MAX_SIDE."""
    factor = _reduction(size)
    return tuple(-(-side // factor) for side in size)


def _reduction(size):
    return max(1, -(-max(size) // MAX_SIDE))


def _pillow_pixels(image, path):
    """The decoded picture as a (h, w[, C]) array, box-reduced in Pillow to MAX_SIDE."""
    if "transparency" in image.info and image.mode in ("L", "RGB", "P"):
        image = image.convert("RGBA")
    if image.mode in _PILLOW_CONVERSIONS:
        image = image.convert(_PILLOW_CONVERSIONS[image.mode])
    if image.mode not in _PILLOW_MODES:
        raise DataError(f"{path}: unsupported picture mode {image.mode!r}")
    factor = _reduction(image.size)
    if factor > 1:  # Pillow cannot reduce 16-bit modes; "I" is read as 16-bit too
        image = (image.convert("I") if image.mode.startswith("I;16") else image).reduce(factor)
    return np.asarray(image)


def _read_npy(path):
    """The array in a .npy file, memory-mapped; its header is checked (no pickles, a
    picture's shape, the bytes present) before any pixel is read."""
    with open_regular(path, DataError, "picture") as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version not in NPY_HEADER_READERS:
                raise DataError(f"{path}: unsupported .npy format version {version}")
            shape, fortran, dtype = read_npy_header(version, stream)
        except DataError:
            raise
        except _NPY_HEADER_ERRORS as exc:
            raise DataError(f"{path}: not a readable .npy file: {reason(exc)}") from exc
        if dtype.hasobject:
            raise DataError(
                f"{path}: holds pickled Python objects, which are refused; save a numeric array"
            )
        channel_first = len(shape) == 3 and shape[0] <= 4 < shape[-1]
        channels = shape[0] if channel_first else shape[-1] if len(shape) == 3 else 1
        if len(shape) not in (2, 3) or not 1 <= channels <= 4:
            raise DataError(
                f"{path}: array of shape {shape} is not a picture; "
                "expected (H, W), (H, W, C) or (C, H, W) with C in 1..4"
            )
        height, width = shape[1:] if channel_first else shape[:2]
        _check_pixel_count(width, height, path)
        _full_scale(np.empty(0, dtype), path)
        offset = stream.tell()
        size = regular_file_size(stream)
        if offset + math.prod(shape) * dtype.itemsize > size:
            raise DataError(f"{path}: not a readable .npy file: its {shape} {dtype} values "
                            f"need {math.prod(shape) * dtype.itemsize} bytes, the file holds "
                            f"{size - offset}")
        if size > MAX_FILE_BYTES:
            raise DataError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES}-byte limit "
                            "for a picture")
        if not math.prod(shape):
            raise DataError(f"{path}: the picture is blank (an empty {shape} array)")
        array = np.memmap(stream, dtype=dtype, mode="r", offset=offset, shape=shape,
                          order="F" if fortran else "C")
    return np.moveaxis(array, 0, -1) if channel_first else array


def _greyscale(pixels, path):
    """(H, W[, C]) pixels of any supported dtype -> (h, w) float32 grey in [0, 1].

    Alpha is composited over white. The result is box-reduced so that its long side is at
    most MAX_SIDE, a band of rows at a time: a large (memory-mapped) array is never
    converted to float whole.
    """
    scale = _full_scale(pixels, path)
    factor = _reduction(pixels.shape[:2])
    band = factor * max(1, _BAND_ROWS // factor)
    return np.concatenate([_box_reduce(_grey_band(pixels[top : top + band], scale, path),
                                       factor)
                           for top in range(0, pixels.shape[0], band)])


def _grey_band(pixels, scale, path):
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf are refused next
        values = np.asarray(pixels, dtype=np.float32) / np.float32(scale)
    if not np.isfinite(values).all():
        raise DataError(f"{path}: holds NaN or infinite values")
    if values.ndim == 2:
        return values
    channels = values.shape[-1]
    grey = values[..., :3] @ LUMA if channels >= 3 else values[..., 0]
    if channels in (2, 4):
        alpha = values[..., -1]
        grey = grey * alpha + (1 - alpha)
    return grey


def _box_reduce(grey, factor):
    """(H, W) -> (ceil(H/factor), ceil(W/factor)): the mean of each factor x factor box."""
    if factor == 1:
        return grey
    for axis in (0, 1):
        starts = np.arange(0, grey.shape[axis], factor)
        counts = np.diff(np.append(starts, grey.shape[axis])).astype(np.float32)
        grey = np.add.reduceat(grey, starts, axis=axis) / (
            counts[:, None] if axis == 0 else counts)
    return grey


def _full_scale(pixels, path):
    """The value that means full brightness for this dtype."""
    kind, itemsize = pixels.dtype.kind, pixels.dtype.itemsize
    if kind == "b":
        return 1.0
    if kind == "u" and itemsize <= 2:
        return float(np.iinfo(pixels.dtype).max)
    if kind == "i" and itemsize == 4:
        return 65535.0
    if kind == "f":
        return 255.0 if np.nanmax(pixels, initial=0) > 1 else 1.0
    raise DataError(f"{path}: unsupported pixel dtype {pixels.dtype}")


def _check_pixel_count(width, height, path):
    if width * height > MAX_PIXELS:
        raise DataError(
            f"{path}: {width}x{height} pixels is over the {MAX_PIXELS}-pixel "
            "limit (refused before decoding)"
        )
