"""The data sets chainrule trains on: MNIST, Fashion-MNIST and scikit-learn's 8x8 digits."""

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError, DownloadError
from .download import download_file
from .idx import read_idx
from .locate import FILES, cache_dir, find_files, how_to_supply, stored_file

MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://raw.githubusercontent.com/fgnt/mnist/master/",
]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]

# SHA-256 of FILES, in order. MNIST: computed from the original files (whose MD5s match
# the published ones).
MNIST_SHA256 = dict(
    zip(
        FILES,
        (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
        strict=True,
    )
)
# Fashion-MNIST: as published in TensorFlow Datasets' url_checksums/fashion_mnist.txt.
FASHION_MNIST_SHA256 = dict(
    zip(
        FILES,
        (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
        strict=True,
    )
)

DIGIT_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class Source:
    """Where an MNIST-style data set comes from: its mirrors, file hashes and class names."""

    title: str
    mirrors: list
    sha256: dict
    classes: tuple


SOURCES = {
    "mnist": Source("MNIST", MNIST_MIRRORS, MNIST_SHA256, DIGIT_CLASSES),
    "fashion-mnist": Source(
        "Fashion-MNIST", FASHION_MNIST_MIRRORS, FASHION_MNIST_SHA256, FASHION_CLASSES
    ),
}
NAMES = ("mnist", "fashion-mnist", "digits")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image data set split into train and test.

    Images are (N, H, W) uint8 (0 is background), labels (N,) uint8 indices into `classes`.
    """

    name: str
    train_images: np.ndarray = field(repr=False)
    train_labels: np.ndarray = field(repr=False)
    test_images: np.ndarray = field(repr=False)
    test_labels: np.ndarray = field(repr=False)
    classes: tuple
    files: tuple = field(default=(), repr=False)
    """The four files the arrays came from (train images, train labels, test images, test
    labels), named in errors; empty for arrays made in memory."""

    def __post_init__(self):
        for split in ("train", "test"):
            images = getattr(self, f"{split}_images")
            labels = getattr(self, f"{split}_labels")
            if images.ndim != 3 or images.dtype != np.uint8:
                raise DataError(
                    f"{self.where(split, 'images')}: {split} images must be (N, H, W) uint8, "
                    f"got {images.shape} {images.dtype}"
                )
            if labels.shape != images.shape[:1] or labels.dtype != np.uint8:
                raise DataError(
                    f"{self.where(split, 'labels')}: {split} labels must be ({len(images)},) "
                    f"uint8 to match the images, got {labels.shape} {labels.dtype}"
                )
            if labels.size and labels.max() >= len(self.classes):
                raise DataError(
                    f"{self.where(split, 'labels')}: {split} label {labels.max()} is not below "
                    f"the {len(self.classes)} classes"
                )
        if not len(self.train_images):
            raise DataError(f"{self.where('train', 'images')}: holds no training images")
        if self.train_images.shape[1:] != self.test_images.shape[1:]:
            raise DataError(
                f"{self.where('test', 'images')}: test images are {self.test_images.shape[1:]} "
                f"but the train images are {self.train_images.shape[1:]}"
            )

    def where(self, split, part):
        """The file holding `split` ("train"/"test") `part` ("images"/"labels"), else the
        data set's name."""
        if not self.files:
            return self.name
        return str(self.files[(split == "test") * 2 + (part == "labels")])

    def __repr__(self):
        return (
            f"Dataset({self.name!r}, train={self.train_images.shape}, "
            f"test={self.test_images.shape}, classes={len(self.classes)})"
        )


def load_mnist(data_dir=None, download=True, progress=True):
    """MNIST handwritten digits: 60,000 train and 10,000 test images, (N, 28, 28) uint8."""
    return load_dataset("mnist", data_dir, download, progress)


def load_fashion_mnist(data_dir=None, download=True, progress=True):
    """Zalando's Fashion-MNIST: 60,000 train and 10,000 test clothing images, (N, 28, 28)."""
    return load_dataset("fashion-mnist", data_dir, download, progress)


def load_digits(test_fraction=0.2, seed=0):
    """scikit-learn's 1,797 8x8 digits as (N, 8, 8) uint8 scaled 0..16 -> 0..255.

    The test split is a random, stratified `test_fraction` (each class contributes its
    share) drawn with a fixed `seed`: scikit-learn's order groups the samples by writer,
    so its last 20% would test on writers never trained on. Needs scikit-learn
    (`pip install "chainrule[digits]"`).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:
        raise DataError(
            'the digits data set needs scikit-learn: pip install "chainrule[digits]"'
        ) from exc
    bunch = sklearn_digits()
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    test = _stratified_sample(labels, test_fraction, np.random.default_rng(seed))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return Dataset(
        "digits", images[train], labels[train], images[test], labels[test], DIGIT_CLASSES
    )


def _stratified_sample(labels, fraction, rng):
    """Sorted indices of round(N * fraction) samples, each class giving its share (largest
    remainders get the rounding), drawn at random within each class."""
    classes, counts = np.unique(labels, return_counts=True)
    quotas = counts * fraction
    takes = np.floor(quotas).astype(int)
    short = round(len(labels) * fraction) - takes.sum()
    takes[np.argsort(takes - quotas, kind="stable")[:short]] += 1
    chosen = [rng.permutation(np.flatnonzero(labels == label))[:take]
              for label, take in zip(classes, takes, strict=True)]
    return np.sort(np.concatenate(chosen))


def load_dataset(name, data_dir=None, download=True, progress=True):
    """The data set called `name` ("mnist", "fashion-mnist" or "digits").

    MNIST-style sets are read from the first folder of `locate.search_path` holding all
    four files; if none does, they are downloaded into the user cache (unless
    `download=False`, which raises DataError saying where to put them). "digits" comes
    from scikit-learn and needs none of the folder or download options.
    """
    key = name.lower().replace("_", "-")
    if key == "digits":
        return load_digits()
    if key not in SOURCES:
        raise DataError(f"unknown data set {name!r}; known: {', '.join(NAMES)}")
    source = SOURCES[key]
    paths = find_files(key, data_dir)
    if paths is None:
        if not download:
            raise DataError(
                f"{source.title} was not found and download=False. "
                + how_to_supply(source.title, key)
            )
        folder = download_dataset(key, progress=progress)
        paths = [stored_file(folder, filename) for filename in FILES]
    train_images, train_labels, test_images, test_labels = (
        read_idx(path, expect_ndim=ndim) for path, ndim in zip(paths, (3, 1, 3, 1), strict=True)
    )
    return Dataset(key, train_images, train_labels, test_images, test_labels, source.classes,
                   tuple(paths))


def download_dataset(name, folder=None, *, mirrors=None, sha256=None, progress=True):
    """Download the four files of data set `name` that `folder` lacks; return the folder.

    `folder` defaults to the user cache; `mirrors` (base URLs) and `sha256` (file name ->
    hex digest, merged over the published ones) override the built-in sources. Raises
    DownloadError listing the URLs tried and saying how to supply the files by hand.
    """
    source = SOURCES[name]
    folder = Path(folder) if folder is not None else cache_dir(name)
    created = [path for path in (folder, *folder.parents) if not path.exists()]
    hashes = {**source.sha256, **(sha256 or {})}
    for filename in FILES:
        if stored_file(folder, filename) is None:
            try:
                download_file(
                    filename,
                    folder,
                    mirrors if mirrors is not None else source.mirrors,
                    hashes[filename],
                    progress=progress,
                )
            except DownloadError as exc:
                for path in created:  # the folders this call made, innermost first
                    with contextlib.suppress(OSError):
                        path.rmdir()
                raise DownloadError(
                    f"{source.title}: {exc}\n{how_to_supply(source.title, name)}"
                ) from exc
    return folder
