"""From uint8 images to float mini-batches: scaling, a validation split, and resumable shuffling."""

import math

import numpy as np

from .._backend import array_module
from ..errors import DataError


def to_float(images, standardize=False, mean=None, std=None):
    """(N, H, W) or (N, D) images -> (N, H*W) float32 in [0, 1].

    uint8 pixels are divided by 255; float pixels are taken as already in [0, 1]. With
    `standardize=True` returns `(x, mean, std)` where `x = (pixels - mean) / std`, the two
    scalars computed from these images unless given (pass the training set's to scale a
    test set the same way).
    """
    images = np.asarray(images)
    pixels = images.reshape(len(images), math.prod(images.shape[1:])).astype(np.float32)
    if images.dtype == np.uint8:
        pixels /= 255
    if not standardize:
        if mean is not None or std is not None:
            raise DataError("to_float: mean/std are only used with standardize=True")
        return pixels
    mean = float(pixels.mean()) if mean is None else float(mean)
    std = float(pixels.std()) if std is None else float(std)
    if not std > 0:
        raise DataError(f"to_float: cannot standardize with std={std}")
    return (pixels - np.float32(mean)) / np.float32(std), mean, std


def train_val_split(images, labels, val_fraction, seed):
    """Split off a random `val_fraction` for validation; the same seed gives the same split.

    Returns `(train_images, train_labels, val_images, val_labels)`.
    """
    if len(images) != len(labels):
        raise DataError(f"train_val_split: {len(images)} images but {len(labels)} labels")
    train, val = split_indices(len(images), val_fraction, seed)
    return images[train], labels[train], images[val], labels[val]


def split_indices(count, val_fraction, seed):
    """(train indices, validation indices) of `count` samples: a seeded random
    `val_fraction` (rounded) is held out for validation."""
    if not 0 <= val_fraction < 1:
        raise DataError(f"train_val_split: val_fraction must be in [0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(count)
    val, train = np.split(order, [round(count * val_fraction)])
    return train, val


class Batches:
    """Mini-batches `(x, y)` of `(images, labels)`, one epoch per pass.

    Shuffling draws one permutation per epoch, at the moment the epoch starts (the call to
    `iter()` or `iter_epoch()`), from `self.rng`, a `np.random.Generator` made from `seed`
    or passed in as `rng`. So the same seed gives the same batches, and a run can resume
    mid-epoch exactly:

        state = batches.epoch_start_state      # checkpoint this with the batch index k
        ...
        batches.rng.bit_generator.state = state
        for x, y in batches.iter_epoch(start_batch=k):   # the remaining batches, unchanged

    `epoch_start_state` is the generator's `bit_generator.state` just before the current
    epoch drew its permutation; after the resumed epoch the generator is where the
    uninterrupted run left it.

    `images` and `labels` may live on a device (CuPy arrays): the permutation is drawn on the
    host, so a seed gives the same batches everywhere, and uploaded once per epoch; each
    batch is then gathered on the device.
    """

    def __init__(
        self, images, labels, batch_size, shuffle=True, seed=None, rng=None, drop_last=False
    ):
        if len(images) != len(labels):
            raise DataError(f"Batches: {len(images)} images but {len(labels)} labels")
        if batch_size < 1:
            raise DataError(f"Batches: batch_size must be at least 1, got {batch_size}")
        if seed is not None and rng is not None:
            raise DataError("Batches: pass a seed or a Generator (rng), not both")
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.epoch_start_state = None

    def __len__(self):
        count = len(self.images) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self):
        return self.iter_epoch()

    def iter_epoch(self, start_batch=0):
        """Start an epoch (drawing its order now) and iterate its batches from `start_batch`."""
        if not 0 <= start_batch <= len(self):
            raise DataError(f"Batches: start_batch {start_batch} is outside 0..{len(self)}")
        self.epoch_start_state = self.rng.bit_generator.state
        if self.shuffle:
            order = self.rng.permutation(len(self.images))
        else:
            order = np.arange(len(self.images))
        return self._batches(array_module(self.images).asarray(order), start_batch)

    def _batches(self, order, start_batch):
        for index in range(start_batch, len(self)):
            batch = order[index * self.batch_size : (index + 1) * self.batch_size]
            yield self.images[batch], self.labels[batch]
