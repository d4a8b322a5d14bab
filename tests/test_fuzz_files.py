"""Fuzzing checkpoints and pictures: whatever the bytes, chainrule's own error or a result.

Valid files are mutated (bytes flipped, cut, inserted, sizes in headers replaced); loading
them must either succeed or raise CheckpointError / DataError naming the file, quickly and
without large allocations. Together with test_data_fuzz.py (IDX files), thousands of cases.
"""

import io
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.data import load_digit_image
from chainrule.errors import CheckpointError, DataError
from chainrule.training import load_model
from conftest import mutated
from hostile_helpers import CPU_SECONDS, blobs

Image = pytest.importorskip("PIL.Image")
Image.init()  # load the format plugins now, so their import is not counted in a case's memory

FUZZ = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MAX_TRACED_BYTES = 256 * 2**20
"""Far below what a lying size field would cost (gigabytes); Pillow alone peaks near 80 MiB
while decoding even a small PNG (a read buffer it sizes generously)."""


def any_size_field(draw, data, at):
    """Overwrite 4 bytes at `at` with a size (PNG chunk lengths, zip sizes are 4 bytes)."""
    if at + 4 <= len(data):
        size = draw(st.sampled_from([0, 1, 2**16, 2**31 - 1, 2**32 - 1]))
        data[at : at + 4] = size.to_bytes(4, draw(st.sampled_from(["big", "little"])))


def mutated_file(data):
    return blobs(mutated(data, any_size_field))


def only_our_error(load, path, error_type):
    """Run `load(path)`: success or `error_type` naming the file; bounded CPU time; no big
    allocation."""
    tracemalloc.start()
    started = time.process_time()
    try:
        load(path)
    except error_type as error:
        assert str(path) in str(error)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MAX_TRACED_BYTES
    assert time.process_time() - started < CPU_SECONDS


@pytest.fixture(scope="module")
def checkpoint_bytes(tiny_run):
    return (tiny_run / "checkpoint.npz").read_bytes()


@FUZZ
@given(data=st.data())
def test_mutated_checkpoints_raise_only_checkpoint_error(tmp_path, checkpoint_bytes, data):
    path = tmp_path / "fuzz.npz"
    path.write_bytes(data.draw(mutated_file(checkpoint_bytes)).data)
    only_our_error(load_model, path, CheckpointError)


def _png_of_a_digit():
    canvas = np.full((40, 30), 255, np.uint8)
    canvas[8:32, 13:17] = 0
    stream = io.BytesIO()
    Image.fromarray(canvas).save(stream, format="PNG")
    return stream.getvalue()


def _npy_of_a_digit():
    stream = io.BytesIO()
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0
    np.save(stream, digit)
    return stream.getvalue()


@FUZZ
@given(data=mutated_file(_png_of_a_digit()))
def test_mutated_png_pictures_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.png"
    path.write_bytes(data.data)
    only_our_error(load_digit_image, path, DataError)


@FUZZ
@given(data=mutated_file(_npy_of_a_digit()))
def test_mutated_npy_pictures_raise_only_data_error(tmp_path, data):
    path = tmp_path / "fuzz.npy"
    path.write_bytes(data.data)
    only_our_error(load_digit_image, path, DataError)
