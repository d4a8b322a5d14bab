"""A data set as the trainer uses it: float rows (N, D), integer labels, train/val/test."""

from dataclasses import dataclass

import numpy as np

from chainrule.data import load_dataset, to_float, train_val_split


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


def load_splits(dataset, data_dir=None, download=True, val_fraction=0.1, seed=0,
                dtype="float32", progress=True):
    """Load `dataset` and split a seeded `val_fraction` of its training set off for validation."""
    data = load_dataset(dataset, data_dir, download=download, progress=progress)
    train_images, train_labels, val_images, val_labels = train_val_split(
        data.train_images, data.train_labels, val_fraction, seed)

    def rows(images):
        return to_float(images).astype(dtype, copy=False)

    def labels(values):
        return values.astype(np.intp)

    return Splits(rows(train_images), labels(train_labels), rows(val_images), labels(val_labels),
                  rows(data.test_images), labels(data.test_labels), tuple(data.classes),
                  tuple(data.train_images.shape[1:]))
