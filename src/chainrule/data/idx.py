"""IDX files, the format MNIST ships in: read and write, gzip or raw, hostile bytes refused.

Layout (big-endian): two zero bytes, a dtype code, the number of dimensions `ndim`, then
`ndim` uint32 sizes, then the values in C order. A path ending in `.gz` is gzip-compressed.
"""

import contextlib
import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from .._reading import open_regular
from ..errors import DataError, reason
from .memory import check_fits

DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}

MAX_BYTES = 2 * 1024**3
"""The largest payload `read_idx` accepts unless told otherwise (2 GiB)."""

_CHUNK = 1 << 20
_READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


def read_idx(path, *, expect_ndim=None, max_bytes=MAX_BYTES):
    """The array stored in the IDX file at `path`, in native byte order.

    The declared size is checked against `max_bytes` before anything is allocated, and the
    payload is read in bounded chunks, so no input makes us hold more than the bytes it
    really has, up to that limit. Every
    problem (bad magic, unknown dtype, wrong `expect_ndim`, truncation, trailing bytes,
    broken gzip) raises DataError naming the file.
    """
    path = Path(path)
    try:
        with _open_for_reading(path) as stream:
            dtype, shape = _read_header(stream, path, expect_ndim, max_bytes)
            nbytes = math.prod(shape) * dtype.itemsize
            if not _is_gzip(path):
                _check_file_size(stream, path, 4 + 4 * len(shape) + nbytes, shape, dtype)
            check_fits(nbytes, path, f"its {_describe(shape, dtype)} values")
            payload = _read_exactly(stream, nbytes, path, shape, dtype)
            if stream.read(1):
                raise DataError(
                    f"{path}: trailing bytes after the {_describe(shape, dtype)} "
                    "values the header declares"
                )
    except _READ_ERRORS as exc:
        raise DataError(f"{path}: cannot read IDX file: {reason(exc)}") from exc
    except MemoryError:
        raise DataError(f"{path}: its {_describe(shape, dtype)} values need {nbytes} bytes, "
                        "more than the memory available") from None
    values = payload.view(dtype)
    if not dtype.isnative:
        values = values.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return values.reshape(shape)


def write_idx(path, array):
    """Write `array` to `path` as IDX (gzip when the path ends in `.gz`)."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in CODES:
        supported = ", ".join(str(dtype.newbyteorder("=")) for dtype in DTYPES.values())
        raise DataError(f"{path}: IDX cannot hold dtype {array.dtype}; use one of {supported}")
    if not 1 <= array.ndim <= 255 or max(array.shape) >= 2**32:
        raise DataError(f"{path}: IDX cannot hold an array of shape {array.shape}")
    header = bytes([0, 0, CODES[native], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    with _open(path, "wb") as stream:
        stream.write(header)
        stream.write(np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes())


def _read_header(stream, path, expect_ndim, max_bytes):
    """(dtype, shape) from the header, refusing shapes that are wrong or too large."""
    magic = _read_exactly(stream, 4, path).tobytes()
    if magic[:2] != b"\0\0":
        raise DataError(f"{path}: not an IDX file (bad magic number 0x{magic.hex()})")
    code, ndim = magic[2], magic[3]
    if code not in DTYPES:
        raise DataError(
            f"{path}: unknown IDX dtype code 0x{code:02X} "
            f"(known: {', '.join(f'0x{c:02X}' for c in DTYPES)})"
        )
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares no dimensions")
    if expect_ndim is not None and ndim != expect_ndim:
        raise DataError(f"{path}: expected {expect_ndim} dimensions, the header declares {ndim}")
    dtype = DTYPES[code]
    shape = tuple(int(size) for size in _read_exactly(stream, 4 * ndim, path).view(">u4"))
    extent = math.prod(max(size, 1) for size in shape) * dtype.itemsize
    if extent > max_bytes:
        raise DataError(
            f"{path}: IDX header declares {_describe(shape, dtype)} "
            f"({extent} bytes), over the {max_bytes}-byte limit"
        )
    return dtype, shape


def _read_exactly(stream, nbytes, path, shape=None, dtype=None):
    """`nbytes` bytes from `stream` as a uint8 array.

    Read in bounded chunks into a buffer that grows only as bytes arrive, so a header
    that lies about the size costs no more memory than the bytes actually present.
    """
    buffer = bytearray()
    while len(buffer) < nbytes:
        chunk = stream.read(min(_CHUNK, nbytes - len(buffer)))
        if not chunk:
            what = "the header" if shape is None else f"{_describe(shape, dtype)} values"
            raise DataError(
                f"{path}: truncated IDX file: {what} take {nbytes} bytes, found {len(buffer)}"
            )
        buffer += chunk
    return np.frombuffer(buffer, dtype=np.uint8)


def _check_file_size(stream, path, expected, shape, dtype):
    """Refuse a raw file too short for its header before allocating the payload."""
    size = os.fstat(stream.fileno()).st_size
    if size < expected:
        raise DataError(
            f"{path}: truncated IDX file: {_describe(shape, dtype)} needs "
            f"{expected} bytes in all, the file has {size}"
        )


@contextlib.contextmanager
def _open_for_reading(path):
    """The file as a binary stream (decompressed for `.gz`); DataError unless it is a
    regular file, checked before anything could block."""
    with open_regular(path, DataError, "IDX file") as raw:
        if not _is_gzip(path):
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield stream


def _open(path, mode):
    if _is_gzip(path):
        return gzip.GzipFile(path, mode, mtime=0)
    return open(path, mode)


def _is_gzip(path):
    return path.suffix == ".gz"


def _describe(shape, dtype):
    return f"{'x'.join(map(str, shape))} {dtype.newbyteorder('=')}"
