"""Hostile data: IDX files that fit the per-file cap but not memory, large pictures, FIFOs
given as pictures. Memory cases run in a child under an address-space limit and must end
in one line naming the file, never a MemoryError."""

import os
import subprocess
import sys

import numpy as np
import pytest

from chainrule import nn
from chainrule.data.idx import write_idx
from chainrule.data.locate import FILES
from chainrule.training import save_checkpoint
from conftest import MNIST_DIR, requires_mnist
from hostile_helpers import SRC, GiB, assert_one_line_error, chainrule, gzip_of_zeros

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")


def _idx_header(shape):
    return bytes([0, 0, 0x08, len(shape)]) + np.asarray(shape, ">u4").tobytes()


def _data_folder(folder, train_images, exact_crc=False):
    """An MNIST-style folder whose train images file is `train_images` zeros, gzipped."""
    folder.mkdir()
    gzip_of_zeros(folder / FILES[0], _idx_header((train_images, 28, 28)),
                  16 + train_images * 784, exact_crc)
    write_idx(folder / FILES[1], np.zeros(train_images, np.uint8))
    write_idx(folder / FILES[2], np.zeros((10, 28, 28), np.uint8))
    write_idx(folder / FILES[3], np.zeros(10, np.uint8))
    return folder


def test_an_idx_file_larger_than_memory_is_refused_naming_its_size(tmp_path):
    data = _data_folder(tmp_path / "data", 2_700_000)
    assert (data / FILES[0]).stat().st_size < 4 * 2**20
    result = chainrule("train", "--data-dir", data, "--no-download", "--quiet", "--out",
                       tmp_path / "run", address_space=int(1.5 * GiB))
    assert_one_line_error(result, data / FILES[0], "2700000x28x28 uint8 values need 1.97 GiB",
                          "of memory available")
    assert not (tmp_path / "run").exists()


def test_a_data_set_whose_float_rows_do_not_fit_is_refused_before_converting(tmp_path):
    data = _data_folder(tmp_path / "data", 400_000, exact_crc=True)
    result = chainrule("train", "--data-dir", data, "--no-download", "--quiet", "--out",
                       tmp_path / "run", address_space=int(1.5 * GiB))
    assert_one_line_error(result, data / FILES[0], "the 400010 images of mnist as float32 rows "
                                                   "need 1.17 GiB")


@requires_mnist
def test_the_real_mnist_trains_within_two_gigabytes_of_address_space(tmp_path):
    result = chainrule("train", "--data-dir", MNIST_DIR, "--no-download", "--hidden", "32",
                       "--epochs", "1", "--quiet", "--out", tmp_path / "run",
                       address_space=2 * GiB, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def mnist_shaped_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "checkpoint.npz"
    model = nn.MLP((784, 16, 10), rng=np.random.default_rng(0))
    config = {"sizes": [784, 16, 10], "activation": "relu", "dropout": 0.0, "loss": "fused",
              "dtype": "float32", "dataset": "mnist", "classes": list("0123456789")}
    save_checkpoint(path, {"config": config, "model": model.state_dict()})
    return path


def _seven(mode, side):
    image = Image.new(mode, (side, side), "white")
    scale = side / 100
    ImageDraw.Draw(image).line([(20 * scale, 20 * scale), (80 * scale, 20 * scale),
                                (40 * scale, 85 * scale)], fill="black", width=int(12 * scale))
    return image


def test_a_7000_pixel_rgba_png_is_refused_before_decoding_in_predict(tmp_path,
                                                                     mnist_shaped_model):
    path = tmp_path / "huge.png"
    _seven("RGBA", 7000).save(path)
    result = chainrule("predict", mnist_shaped_model, path, address_space=int(1.5 * GiB))
    assert_one_line_error(result, path, "a 7000x7000 RGBA picture needs", "scale it down")


_PEAK = """
import resource, sys
from chainrule.data import load_digit_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
digit = load_digit_image(sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(digit.shape, (after - before) * 1024)
"""


@pytest.mark.parametrize("name, mode, side", [("grey.png", "L", 7000), ("photo.jpg", "RGB", 7000),
                                              ("rgba.png", "RGBA", 3000)])
def test_large_accepted_pictures_are_read_in_under_100_mb(tmp_path, name, mode, side):
    path = tmp_path / name
    _seven(mode, side).save(path)
    result = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    shape, peak = result.stdout.rsplit(")", 1)
    assert shape == "(28, 28" and int(peak) < 100 * 2**20


@pytest.mark.parametrize("name", ["pipe.png", "pipe.npy"])
def test_a_fifo_picture_is_refused_and_the_others_are_still_classified(tmp_path, name,
                                                                      mnist_shaped_model):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    np.save(tmp_path / "digit.npy", np.asarray(_seven("L", 56)))
    result = chainrule("predict", mnist_shaped_model, fifo, tmp_path / "digit.npy", timeout=60)
    assert_one_line_error(result, fifo, "is a FIFO (named pipe), not a regular picture")
    assert "digit.npy" in result.stdout


def test_every_reader_refuses_a_fifo_at_once(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: each reader must refuse it
    without opening it that way (a thread that blocked would still be running)."""
    import threading

    from chainrule.data import load_digit_image, read_idx
    from chainrule.errors import ChainruleError
    from chainrule.training import load_checkpoint

    readers = {"pipe.npz": load_checkpoint, "pipe.png": load_digit_image,
               "pipe.npy": load_digit_image, "pipe.idx.gz": read_idx, "pipe.idx": read_idx}
    outcomes = {}
    for name, read in readers.items():
        os.mkfifo(tmp_path / name)

        def attempt(name=name, read=read):
            try:
                read(tmp_path / name)
            except ChainruleError as error:
                outcomes[name] = str(error)

        thread = threading.Thread(target=attempt, daemon=True)
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive(), f"reading the FIFO {name} blocked"
    for name, message in outcomes.items():
        assert f"{tmp_path / name}: is a FIFO (named pipe)" in message
    assert sorted(outcomes) == sorted(readers)
