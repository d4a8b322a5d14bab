"""Photos of digits on paper become the inputs MNIST's own preparation would have made.

The photos are generated: an MNIST test digit drawn dark on a large off-white page, with
uneven lighting (a gradient and a vignette), paper noise of sigma 6/255, a little blur and
JPEG compression.
"""

import io
from collections import deque

import numpy as np
import pytest

from chainrule.data import load_digit_image
from chainrule.data.digit_prep import (
    _background,
    _components,
    _otsu_threshold,
    digit_from_grey,
)
from chainrule.data.idx import read_idx
from chainrule.errors import DataError
from conftest import MNIST_DIR, requires_mnist

Image = pytest.importorskip("PIL.Image")
ImageFilter = pytest.importorskip("PIL.ImageFilter")

NOISE = 6 / 255


def lighting(rng, height, width):
    """A smooth illumination field in about 0.5..1: a gradient in a random direction and an
    off-centre vignette."""
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * cols / width + np.sin(angle) * rows / height
    ramp = (ramp - ramp.min()) / np.ptp(ramp)
    centre_row, centre_col = rng.uniform(0, height), rng.uniform(0, width)
    vignette = ((rows - centre_row) ** 2 + (cols - centre_col) ** 2) / (height**2 + width**2)
    return 1 - rng.uniform(0.2, 0.4) * ramp - rng.uniform(0.0, 0.3) * vignette


def page_of(digit, rng, size=(600, 800), noise=NOISE):
    """(H, W) float32 grey: `digit` (28x28 uint8, ink bright) drawn dark on a lit page."""
    width, height = size
    side = int(rng.integers(160, 420))
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.BICUBIC), np.float32)
    ink = np.clip(ink / 255, 0, 1)
    paper = np.full((height, width), rng.uniform(0.82, 0.96), dtype=np.float32)
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    paper[top : top + side, left : left + side] *= 1 - rng.uniform(0.75, 0.92) * ink
    grey = paper * lighting(rng, height, width)
    return grey + rng.normal(0, noise, size=grey.shape).astype(np.float32)


def photo_of(digit, rng):
    """JPEG bytes of `page_of(digit)`, blurred a little, at quality 70..90."""
    grey = np.clip(page_of(digit, rng) * 255 + 0.5, 0, 255).astype(np.uint8)
    image = Image.fromarray(grey).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    encoded = io.BytesIO()
    image.save(encoded, format="JPEG", quality=int(rng.integers(70, 90)))
    return encoded.getvalue()


def mnist_test_digits(count, seed=0):
    """`count` MNIST test digits (uint8, ink bright) and their labels, a seeded sample."""
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    chosen = np.random.default_rng(seed).choice(len(labels), count, replace=False)
    return images[chosen], labels[chosen]


def correlation(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def flood_fill_labels(mask):
    """8-connected component sizes by breadth-first search (the slow, obvious way)."""
    seen = np.zeros_like(mask)
    sizes = []
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        seen[start], queue, size = True, deque([start]), 0
        while queue:
            row, col = queue.popleft()
            size += 1
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = row + dr, col + dc
                    inside = 0 <= r < mask.shape[0] and 0 <= c < mask.shape[1]
                    if inside and mask[r, c] and not seen[r, c]:
                        seen[r, c] = True
                        queue.append((r, c))
        sizes.append(size)
    return sorted(sizes)


@pytest.mark.parametrize("density", [0.3, 0.45, 0.6])
def test_components_match_a_flood_fill(density):
    rng = np.random.default_rng(int(density * 100))
    for _ in range(5):
        mask = rng.random((23, 31)) < density
        labels, sizes = _components(mask)
        assert sorted(sizes.tolist()) == flood_fill_labels(mask)
        assert labels.shape == (mask.sum(),) and np.bincount(labels).tolist() == sizes.tolist()


def test_components_join_diagonal_neighbours_and_long_snakes():
    diagonal = np.eye(6, dtype=bool)
    assert _components(diagonal)[1].tolist() == [6]
    snake = np.zeros((41, 41), dtype=bool)
    for turn, row in enumerate(range(0, 37, 4)):
        snake[row] = True
        snake[row : row + 5, 40 if turn % 2 == 0 else 0] = True
    snake[40] = True
    assert _components(snake)[1].tolist() == [int(snake.sum())]


def test_otsu_threshold_maximises_the_between_class_variance():
    rng = np.random.default_rng(3)
    values = np.clip(np.concatenate([rng.normal(0.2, 0.05, 5000), rng.normal(0.7, 0.1, 800)]),
                     0, 1)

    def between(level):
        low, high = values[values < level], values[values >= level]
        return low.size * high.size * (low.mean() - high.mean()) ** 2 if low.size and high.size \
            else 0.0
    candidates = np.arange(1, 256) / 256
    best = candidates[np.argmax([between(level) for level in candidates])]
    assert abs(_otsu_threshold(values) - best) <= 1 / 256
    assert 0.3 < best < 0.6


def test_the_background_follows_uneven_lighting_under_the_digit():
    rng = np.random.default_rng(4)
    light = lighting(rng, 600, 800)
    grey = 0.9 * light
    grey[200:400, 300:330] *= 0.15  # a thick dark stroke
    grey = grey + rng.normal(0, NOISE, grey.shape).astype(np.float32)
    estimate = _background(grey, dark_ink=True)
    assert np.abs(estimate - 0.9 * light).max() < 0.02


def test_a_noisy_blank_page_is_refused():
    grey = 0.9 * lighting(np.random.default_rng(5), 300, 400)
    grey = grey + np.random.default_rng(6).normal(0, NOISE, grey.shape)
    with pytest.raises(DataError, match="page.png: the picture is blank"):
        digit_from_grey(grey, "page.png")


def test_a_thin_pen_on_a_large_page_gives_strokes_as_wide_as_mnists():
    ImageDraw = pytest.importorskip("PIL.ImageDraw")

    def seven(width):
        page = Image.new("L", (400, 600), 235)
        ImageDraw.Draw(page).line([(100, 150), (300, 150), (170, 450)], fill=30, width=width)
        return digit_from_grey(np.asarray(page, np.float32) / 255, f"pen {width}")

    thin, thick = seven(3), seven(24)  # 0.2 and 1.6 pixels wide once fitted to 20x20
    assert 0.6 < thin.sum() / thick.sum() < 1.6  # unwidened, the thin one gives about 1/8


@requires_mnist
def test_a_noisy_page_with_a_three_reads_as_the_three_not_the_whole_page():
    """The issue's case: an 800x600 off-white page, a black 3, noise of sigma 6/255."""
    images, labels = mnist_test_digits(200)
    three = images[np.flatnonzero(labels == 3)[0]]
    rng = np.random.default_rng(7)
    prepared = digit_from_grey(page_of(three, rng, size=(800, 600)), "three.png")
    assert correlation(prepared, digit_from_grey(three / 255, "mnist")) > 0.9
    assert prepared[:3].max() == prepared[-3:].max() == 0  # fitted to 20x20, not 28x28


@requires_mnist
def test_photos_of_mnist_digits_come_back_close_to_the_digits(tmp_path):
    images, _ = mnist_test_digits(20, seed=1)
    rng = np.random.default_rng(8)
    scores = []
    for index, digit in enumerate(images):
        path = tmp_path / f"page{index}.jpg"
        path.write_bytes(photo_of(digit, rng))
        scores.append(correlation(load_digit_image(path), digit_from_grey(digit / 255, "mnist")))
    assert np.median(scores) > 0.9 and min(scores) > 0.75, scores


@requires_mnist
@pytest.mark.slow
def test_predict_reads_200_photos_as_well_as_the_digits_themselves(mnist_run, tmp_path):
    from chainrule.training import load_model, probabilities

    model, _ = load_model(mnist_run[0])
    images, labels = mnist_test_digits(200, seed=2)
    rng = np.random.default_rng(9)
    photos = []
    for index, digit in enumerate(images):
        path = tmp_path / f"page{index}.jpg"
        path.write_bytes(photo_of(digit, rng))
        photos.append(load_digit_image(path).ravel())
    on_digits = probabilities(model, images.reshape(200, -1).astype(np.float32) / 255)
    on_photos = probabilities(model, np.stack(photos).astype(np.float32))
    digits_right = np.mean(on_digits.argmax(1) == labels)
    photos_right = np.mean(on_photos.argmax(1) == labels)
    assert photos_right >= digits_right - 0.02, (photos_right, digits_right)
