"""Fuzzing read_idx: whatever the bytes, it returns an array or raises DataError, quickly."""

import gzip
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.data.idx import DTYPES, read_idx
from chainrule.errors import DataError
from conftest import mutated

FUZZ = settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def valid_idx(draw):
    """The bytes of a small valid raw IDX file."""
    code = draw(st.sampled_from(sorted(DTYPES)))
    shape = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    payload = draw(
        st.binary(
            min_size=int(np.prod(shape)) * DTYPES[code].itemsize,
            max_size=int(np.prod(shape)) * DTYPES[code].itemsize,
        )
    )
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, ">u4").tobytes() + payload


def idx_dimension(draw, data, at):
    """Replace one of the IDX header's dimensions (big-endian uint32 after the magic)."""
    if len(data) >= 8:
        slot = 4 + 4 * draw(st.integers(0, max(data[3] - 1, 0)))
        if slot + 4 <= len(data):
            size = draw(st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)))
            data[slot : slot + 4] = size.to_bytes(4, "big")


def mutated_idx(data):
    return mutated(data, idx_dimension)


def read_only_data_errors(path):
    """Read `path`: an array comes back or DataError is raised, within half a second."""
    started = time.perf_counter()
    try:
        assert isinstance(read_idx(path), np.ndarray)
    except DataError as error:
        assert str(path) in str(error)
    assert time.perf_counter() - started < 0.5


@FUZZ
@given(data=valid_idx().flatmap(mutated_idx))
def test_mutated_raw_files_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx"
    path.write_bytes(data)
    read_only_data_errors(path)


@FUZZ
@given(data=valid_idx().flatmap(mutated_idx))
def test_gzip_of_mutated_files_raises_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx.gz"
    path.write_bytes(gzip.compress(data, mtime=0))
    read_only_data_errors(path)


@FUZZ
@given(data=valid_idx().map(lambda raw: gzip.compress(raw, mtime=0)).flatmap(mutated_idx))
def test_mutated_gzip_streams_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx.gz"
    path.write_bytes(data)
    read_only_data_errors(path)


@FUZZ
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_data_error(tmp_path, data):
    for name in ("fuzz.idx", "fuzz.idx.gz"):
        (tmp_path / name).write_bytes(data)
        read_only_data_errors(tmp_path / name)
