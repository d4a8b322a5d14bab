"""Fuzzing read_idx: whatever the bytes, it returns an array or raises DataError, with
bounded CPU time and memory."""

import gzip
import time
import tracemalloc

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.data.idx import DTYPES, read_idx
from chainrule.errors import DataError
from conftest import mutated
from hostile_helpers import CPU_SECONDS, blobs

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
    return blobs(mutated(data, idx_dimension))


MAX_TRACED_BYTES = 8 * 2**20
"""The inputs hold at most a few hundred bytes; reading takes bounded 1 MiB chunks."""


def read_only_data_errors(path):
    """Read `path`: an array comes back or DataError is raised, with bounded work."""
    started = time.process_time()
    tracemalloc.start()
    try:
        assert isinstance(read_idx(path), np.ndarray)
    except DataError as error:
        assert str(path) in str(error)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MAX_TRACED_BYTES
    assert time.process_time() - started < CPU_SECONDS


@FUZZ
@given(data=valid_idx().flatmap(mutated_idx))
def test_mutated_raw_files_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx"
    path.write_bytes(data.data)
    read_only_data_errors(path)


@FUZZ
@given(data=valid_idx().flatmap(mutated_idx))
def test_gzip_of_mutated_files_raises_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx.gz"
    path.write_bytes(gzip.compress(data.data, mtime=0))
    read_only_data_errors(path)


@FUZZ
@given(data=valid_idx().map(lambda raw: gzip.compress(raw, mtime=0)).flatmap(mutated_idx))
def test_mutated_gzip_streams_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.idx.gz"
    path.write_bytes(data.data)
    read_only_data_errors(path)


@FUZZ
@given(data=blobs(st.binary(max_size=64)))
def test_arbitrary_bytes_raise_only_data_error(tmp_path, data):
    for name in ("fuzz.idx", "fuzz.idx.gz"):
        (tmp_path / name).write_bytes(data.data)
        read_only_data_errors(tmp_path / name)
