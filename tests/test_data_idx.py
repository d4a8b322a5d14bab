"""IDX files: exact round trips, the real MNIST files, and every corruption refused by name."""

import gzip
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from chainrule.data.idx import read_idx, write_idx
from chainrule.errors import DataError
from conftest import MNIST_FIRST_TRAIN_LABELS, MNIST_TRAIN_LABEL_COUNTS
from data_helpers import MNIST_DIR, requires_mnist

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)]


def extreme_values(dtype, shape, rng):
    """Random values of `dtype` that include its extremes (and NaN/inf for floats)."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
        values.flat[:2] = [info.min, info.max][: values.size]
    else:
        values = rng.standard_normal(shape).astype(dtype) * (np.finfo(dtype).max / 8)
        values.flat[:3] = [np.nan, np.inf, -np.finfo(dtype).tiny][: values.size]
    return values


def raw_idx(code, shape, payload=b""):
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, ">u4").tobytes() + payload


def write_bytes(path, data):
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: f"{len(shape)}d")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda dtype: np.dtype(dtype).name)
def test_round_trip_is_exact_for_every_dtype_and_rank(tmp_path, dtype, shape, suffix):
    values = extreme_values(dtype, shape, np.random.default_rng(len(shape)))
    path = tmp_path / f"values.{suffix}"
    write_idx(path, values)
    loaded = read_idx(path, expect_ndim=len(shape))
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, values)


def test_written_bytes_are_the_big_endian_idx_layout(tmp_path):
    write_idx(tmp_path / "a.idx", np.array([[1, -2, 3]], dtype=np.int16))
    assert (tmp_path / "a.idx").read_bytes() == (
        b"\0\0\x0b\x02" + b"\0\0\0\x01" + b"\0\0\0\x03" + b"\x00\x01\xff\xfe\x00\x03"
    )


def test_gzip_file_decompresses_to_the_raw_file(tmp_path):
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_idx(tmp_path / "a.idx", values)
    write_idx(tmp_path / "a.idx.gz", values)
    assert (
        gzip.decompress((tmp_path / "a.idx.gz").read_bytes()) == (tmp_path / "a.idx").read_bytes()
    )


def test_empty_arrays_round_trip(tmp_path):
    write_idx(tmp_path / "empty.idx", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(tmp_path / "empty.idx").shape == (0, 28, 28)


@pytest.mark.parametrize(
    "values",
    [np.zeros(3, bool), np.zeros(3, np.complex64), np.zeros(3, np.uint16), np.float64(1.0)],
)
def test_write_refuses_what_idx_cannot_hold(tmp_path, values):
    with pytest.raises(DataError, match="IDX cannot hold"):
        write_idx(tmp_path / "a.idx", values)


@requires_mnist
def test_real_mnist_files_have_the_documented_shapes_and_labels():
    train_images = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz", expect_ndim=3)
    train_labels = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz", expect_ndim=1)
    test_images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz", expect_ndim=3)
    test_labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz", expect_ndim=1)
    assert train_images.shape == (60000, 28, 28) and train_images.dtype == np.uint8
    assert test_images.shape == (10000, 28, 28) and test_labels.shape == (10000,)
    assert train_labels[:10].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert np.bincount(train_labels).tolist() == MNIST_TRAIN_LABEL_COUNTS
    assert round(float(train_images.mean()), 4) == 33.3184


# Every corruption below is a DataError whose one-line message names the file.


def assert_refused(path, match, **options):
    with pytest.raises(DataError, match=match) as raised:
        read_idx(path, **options)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
def test_bad_magic_number_is_refused(tmp_path, suffix):
    path = write_bytes(tmp_path / f"a.{suffix}", b"\x01\x02\x08\x01\0\0\0\x01\x07")
    assert_refused(path, "bad magic number 0x01020801")


def test_unknown_dtype_code_is_refused(tmp_path):
    assert_refused(
        write_bytes(tmp_path / "a.idx", raw_idx(0x0A, (1,), b"\0")), "unknown IDX dtype code 0x0A"
    )


def test_zero_dimensions_are_refused(tmp_path):
    assert_refused(write_bytes(tmp_path / "a.idx", b"\0\0\x08\0\x05"), "no dimensions")


def test_unexpected_number_of_dimensions_is_refused(tmp_path):
    write_idx(tmp_path / "labels.idx", np.zeros((4, 28, 28), np.uint8))
    assert_refused(
        tmp_path / "labels.idx", "expected 1 dimensions, the header declares 3", expect_ndim=1
    )


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
@pytest.mark.parametrize("keep", [0, 3, 4, 9, 16, 16 + 50, 16 + 2 * 3 * 4 * 4 - 1])
def test_truncated_files_are_refused_at_every_point(tmp_path, suffix, keep):
    whole = raw_idx(0x0C, (2, 3, 4), np.arange(24, dtype=">i4").tobytes())
    path = write_bytes(tmp_path / f"a.{suffix}", whole[:keep])
    assert_refused(path, "truncated IDX file")


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
def test_dimensions_larger_than_the_bytes_present_are_refused(tmp_path, suffix):
    path = write_bytes(tmp_path / f"a.{suffix}", raw_idx(0x08, (1000, 1000), bytes(10)))
    assert_refused(path, "1000x1000 uint8")


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
def test_trailing_bytes_are_refused(tmp_path, suffix):
    path = write_bytes(tmp_path / f"a.{suffix}", raw_idx(0x08, (2, 2), bytes(4) + b"junk"))
    assert_refused(path, "trailing bytes")


@pytest.mark.parametrize("suffix", ["idx", "idx.gz"])
@pytest.mark.parametrize("shape", [(2**31, 2**31), (0, 2**32 - 1, 2**32 - 1), (2**16, 2**16, 2)])
def test_absurd_dimensions_fail_fast_without_allocating(tmp_path, suffix, shape):
    path = write_bytes(tmp_path / f"a.{suffix}", raw_idx(0x0E, shape, bytes(64)))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert_refused(path, "over the 2147483648-byte limit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 0.5
    assert peak < 1 << 20


def test_the_size_limit_is_a_keyword(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros((10, 10), np.float64))
    assert_refused(tmp_path / "a.idx", "over the 799-byte limit", max_bytes=799)
    assert read_idx(tmp_path / "a.idx", max_bytes=800).shape == (10, 10)


def test_a_gzip_bomb_behind_a_small_header_is_not_inflated(tmp_path):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    parts = [compressor.compress(raw_idx(0x08, (10, 10)))]
    parts += [compressor.compress(bytes(1 << 20)) for _ in range(64)]
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(b"".join(parts) + compressor.flush())
    tracemalloc.start()
    try:
        assert_refused(path, "trailing bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"this is not gzip at all", id="not-gzip"),
        pytest.param(b"\x1f\x8b\x08\x00" + bytes(6) + b"\xff" * 40, id="bad-deflate"),
        pytest.param(b"\x1f\x8b", id="header-only"),
    ],
)
def test_gzip_garbage_is_refused(tmp_path, garbage):
    assert_refused(
        write_bytes(tmp_path / "a.idx", garbage).rename(tmp_path / "a.idx.gz"),
        "cannot read IDX file",
    )


def test_gzip_with_a_wrong_checksum_is_refused(tmp_path):
    data = bytearray(gzip.compress(raw_idx(0x08, (3,), b"abc"), mtime=0))
    data[-8] ^= 0xFF  # the CRC-32 of the trailer
    assert_refused(
        write_bytes(tmp_path / "a.idx", bytes(data)).rename(tmp_path / "a.idx.gz"),
        "CRC check failed",
    )


def test_gzip_cut_inside_the_stream_is_refused(tmp_path):
    data = gzip.compress(raw_idx(0x0D, (50,), np.arange(50, dtype=">f4").tobytes()))
    path = tmp_path / "a.idx.gz"
    path.write_bytes(data[: len(data) - 12])
    assert_refused(path, "truncated|cannot read IDX file")


def test_missing_file_is_a_data_error(tmp_path):
    assert_refused(tmp_path / "absent.idx.gz", "no such IDX file")
