"""A data set as the trainer uses it: float rows (N, D), integer labels, train/val/test."""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from chainrule._backend import to_device
from chainrule.data import load_dataset, to_float
from chainrule.data.batching import split_indices
from chainrule.data.memory import check_fits
from chainrule.errors import DataError

_CHUNK_ROWS = 4096


@dataclass(frozen=True, eq=False)
class Splits:
    """Flattened images in [0, 1] (N, H*W) and labels (N,) for each split."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: tuple
    image_shape: tuple

    def train_statistics(self):
        """(mean, std) of the training pixels, summed in float64 a chunk of rows at a time,
        so no temporary as large as the training set is made."""
        rows = self.train_x
        total = sum(float(rows[s : s + _CHUNK_ROWS].sum(dtype=np.float64))
                    for s in range(0, len(rows), _CHUNK_ROWS))
        mean = total / rows.size
        squares = sum(float(np.square(rows[s : s + _CHUNK_ROWS] - mean, dtype=np.float64).sum())
                      for s in range(0, len(rows), _CHUNK_ROWS))
        return mean, math.sqrt(squares / rows.size)

    def to(self, device):
        """These splits with every array uploaded to `device` (once, so that batches are
        gathered there); the same arrays for "cpu"."""
        names = ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y")
        return dataclasses.replace(
            self, **{name: to_device(getattr(self, name), device) for name in names})


def load_splits(dataset, data_dir=None, download=True, val_fraction=0.1, seed=0,
                dtype="float32", progress=True):
    """Load `dataset` and split a seeded `val_fraction` of its training set off for validation.

    The float rows are made a chunk at a time straight into their final arrays, after
    checking that they fit in memory (DataError naming the training images file if not).
    """
    data = load_dataset(dataset, data_dir, download=download, progress=progress)
    train, val = split_indices(len(data.train_images), val_fraction, seed)
    source = data.where("train", "images")
    if not len(train):
        raise DataError(f"{source}: val_fraction {val_fraction} holds out all "
                        f"{len(data.train_images)} training images, leaving none to train on")
    pixels = math.prod(data.train_images.shape[1:])
    count = len(data.train_images) + len(data.test_images)
    check_fits(count * pixels * np.dtype(dtype).itemsize, source,
               f"the {count} images of {dataset} as {dtype} rows")

    def rows(images, index):
        out = np.empty((len(index), pixels), dtype=dtype)
        for start in range(0, len(index), _CHUNK_ROWS):
            out[start : start + _CHUNK_ROWS] = to_float(images[index[start : start + _CHUNK_ROWS]])
        return out

    def labels(values):
        return values.astype(np.intp)

    everything = np.arange(len(data.test_images))
    return Splits(rows(data.train_images, train), labels(data.train_labels[train]),
                  rows(data.train_images, val), labels(data.train_labels[val]),
                  rows(data.test_images, everything), labels(data.test_labels),
                  tuple(data.classes), tuple(data.train_images.shape[1:]))
