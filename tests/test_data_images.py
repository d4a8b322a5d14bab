"""User pictures become MNIST-style 28x28 inputs; hostile files are refused by name."""

import io
import pickle
import struct
import sys
import tracemalloc
import zlib

import numpy as np
import pytest

from chainrule.data.idx import read_idx
from chainrule.data.images import load_digit_image
from chainrule.errors import DataError
from data_helpers import MNIST_DIR, requires_mnist

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")


def draw_seven(size=(600, 400), at=(150, 60), ink=0, paper=255, mode="L"):
    """A thick '7' drawn in `ink` on `paper`, away from the centre of a large canvas."""
    image = Image.new(mode, size, paper)
    left, top = at
    ImageDraw.Draw(image).line(
        [(left, top), (left + 150, top), (left + 60, top + 260)], fill=ink, width=30
    )
    return image


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (image * rows).sum() / image.sum(), (image * cols).sum() / image.sum()


def assert_mnist_like(image):
    """28x28 float32 in [0, 1], dark background, ink fitted to 20x20, mass centred at (14, 14)."""
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() == 0 and 0.9 <= image.max() <= 1
    assert image[0].max() == image[-1].max() == image[:, 0].max() == image[:, -1].max() == 0
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    cols = np.flatnonzero(image.max(axis=0) > 0.05)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21)
    row, col = centre_of_mass(image)
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1


def save(image, path, **options):
    image.save(path, **options)
    return path


@pytest.fixture
def seven(tmp_path):
    """The reference result: the '7' saved as a greyscale PNG."""
    return load_digit_image(save(draw_seven(), tmp_path / "seven.png"))


def test_dark_on_light_png_is_inverted_fitted_and_centred(seven):
    assert_mnist_like(seven)


@pytest.mark.parametrize(
    "name, make",
    [
        ("rgb.jpg", lambda: draw_seven(mode="RGB", ink=(20, 20, 20), paper=(250, 250, 250))),
        ("light-on-dark.png", lambda: draw_seven(ink=255, paper=0)),
        ("palette.png", lambda: draw_seven(mode="RGB", ink=(0, 0, 90)).convert("P")),
        ("bilevel.png", lambda: draw_seven().convert("1")),
        ("grey-alpha.png", lambda: draw_seven().convert("LA")),
        ("cmyk.jpg", lambda: draw_seven(mode="RGB").convert("CMYK")),
        ("float.tif", lambda: draw_seven().convert("F")),
        ("int32.tif", lambda: Image.fromarray(np.asarray(draw_seven(), np.int32) * 257)),
        ("sixteen-bit.png", lambda: Image.fromarray(np.asarray(draw_seven(), np.uint16) * 257)),
    ],
)
def test_every_picture_mode_gives_the_same_digit(tmp_path, seven, name, make):
    image = load_digit_image(save(make(), tmp_path / name))
    assert_mnist_like(image)
    assert np.abs(image - seven).mean() < 0.03  # JPEG's artefacts are the largest difference


def test_transparent_background_counts_as_white_paper(tmp_path, seven):
    alpha = 255 - np.asarray(draw_seven())
    rgba = Image.merge(
        "RGBA", [Image.new("L", alpha.shape[::-1], 0)] * 3 + [Image.fromarray(alpha)]
    )
    image = load_digit_image(save(rgba, tmp_path / "rgba.png"))
    assert_mnist_like(image)
    assert np.abs(image - seven).mean() < 0.02


def test_digit_anywhere_on_the_canvas_ends_up_centred(tmp_path):
    corner = draw_seven(size=(1200, 900), at=(900, 600))
    assert_mnist_like(load_digit_image(save(corner, tmp_path / "corner.png")))


def test_tiny_and_thin_digits_are_scaled_up_to_the_box(tmp_path):
    one = Image.new("L", (40, 40), 255)
    ImageDraw.Draw(one).line([(20, 10), (20, 22)], fill=0, width=2)
    assert_mnist_like(load_digit_image(save(one, tmp_path / "one.png")))


@requires_mnist
def test_real_mnist_digits_come_back_as_themselves(tmp_path):
    digits = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:30]
    for index, digit in enumerate(digits):
        image = load_digit_image(save(Image.fromarray(digit), tmp_path / f"{index}.png"))
        # Pixels fainter than the bounding-box threshold (0.05) may be cropped away.
        assert np.abs(image - digit / 255).max() < 0.06, index


@pytest.mark.parametrize("layout", ["hw", "hwc", "chw"])
def test_npy_arrays_load_like_pictures(tmp_path, seven, layout):
    grey = np.asarray(draw_seven(), np.float32) / 255
    array = {"hw": grey, "hwc": np.stack([grey] * 3, -1), "chw": np.stack([grey] * 3)}[layout]
    np.save(tmp_path / "seven.npy", array)
    image = load_digit_image(tmp_path / "seven.npy")
    assert_mnist_like(image)
    assert np.abs(image - seven).mean() < 0.02


def test_uint8_mnist_npy_comes_back_as_itself(tmp_path):
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    np.save(tmp_path / "one.npy", digit)
    np.testing.assert_allclose(load_digit_image(tmp_path / "one.npy"), digit / 255)


# Hostile or broken inputs: DataError naming the file, quickly, without big allocations.


def assert_refused(path, match):
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=match) as raised:
            load_digit_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(raised.value)
    assert peak < 16 << 20


def png_header_claiming(width, height):
    """A PNG whose header claims width x height greyscale pixels, with one tiny IDAT."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_text_file_named_png_is_refused(tmp_path):
    (tmp_path / "note.png").write_text("this is not a picture")
    assert_refused(tmp_path / "note.png", "not a readable picture")


def test_truncated_png_is_refused(tmp_path):
    whole = save(draw_seven(), tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    assert_refused(tmp_path / "cut.png", "not a readable picture")


@pytest.mark.parametrize("side", [100_000, 10_000, 8_000])
def test_decompression_bombs_are_refused_before_decoding(tmp_path, side):
    (tmp_path / "bomb.png").write_bytes(png_header_claiming(side, side))
    assert_refused(tmp_path / "bomb.png", "decompression bomb|pixel limit")


def test_huge_npy_is_refused_before_reading(tmp_path):
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1), np.uint8))
    header["shape"] = (100_000, 100_000)
    with open(tmp_path / "huge.npy", "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
    assert_refused(tmp_path / "huge.npy", "pixel limit")


def test_blank_picture_is_refused(tmp_path):
    assert_refused(save(Image.new("L", (50, 50), 250), tmp_path / "blank.png"), "blank")


def test_unsupported_mode_is_refused(tmp_path):
    assert_refused(save(Image.new("LAB", (50, 50)), tmp_path / "lab.tif"), "unsupported")


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    assert_refused(tmp_path / "objects.npy", "pickled Python objects")
    (tmp_path / "plain-pickle.npy").write_bytes(pickle.dumps([1, 2, 3]))
    assert_refused(tmp_path / "plain-pickle.npy", "not a readable .npy file")


def test_npy_with_nan_is_refused(tmp_path):
    array = np.zeros((28, 28), np.float32)
    array[3, 3] = np.nan
    np.save(tmp_path / "nan.npy", array)
    assert_refused(tmp_path / "nan.npy", "NaN")


@pytest.mark.parametrize("shape", [(28,), (2, 28, 28, 1), (28, 28, 7)])
def test_npy_that_is_not_picture_shaped_is_refused(tmp_path, shape):
    np.save(tmp_path / "odd.npy", np.ones(shape, np.uint8))
    assert_refused(tmp_path / "odd.npy", "not a picture")


def test_missing_file_is_refused(tmp_path):
    assert_refused(tmp_path / "absent.png", "no such picture")


def test_a_file_pillow_cannot_identify_is_named_not_its_in_memory_copy(tmp_path):
    (tmp_path / "odd.png").write_bytes(b"\x00" * 64)
    assert_refused(tmp_path / "odd.png", r"odd\.png: not a readable picture: cannot identify "
                                         r"image file$")


def test_a_large_picture_is_reduced_while_decoding_to_the_same_digit(tmp_path, seven):
    large = draw_seven().resize((600 * 6, 400 * 6), Image.NEAREST)
    for name, options in (("large.png", {}), ("large.jpg", {"quality": 95})):
        digit = load_digit_image(save(large, tmp_path / name, **options))
        assert_mnist_like(digit)
        assert np.abs(digit - seven).mean() < 0.02


def test_a_picture_too_large_to_decode_in_the_budget_is_refused_before_decoding(tmp_path):
    path = save(Image.new("RGBA", (5000, 5000), (255, 255, 255, 255)), tmp_path / "big.png")
    assert_refused(path, r"big\.png: a 5000x5000 RGBA picture needs \d+ MiB to decode")


def test_without_pillow_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(DataError, match='pip install "chainrule\\[images\\]"'):
        load_digit_image(tmp_path / "seven.png")


def test_a_png_chunk_claiming_gigabytes_is_refused_without_allocating_them(tmp_path):
    stream = io.BytesIO()
    Image.fromarray(np.full((10, 10), 200, np.uint8)).save(stream, format="PNG")
    data = bytearray(stream.getvalue())
    idat = data.index(b"IDAT") - 4
    data[idat : idat + 4] = (2**31 - 1).to_bytes(4, "big")
    path = tmp_path / "lying.png"
    path.write_bytes(bytes(data))
    tracemalloc.start()
    with pytest.raises(DataError, match="lying.png"):
        load_digit_image(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 256 * 2**20
