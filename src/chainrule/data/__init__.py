"""Data for chainrule: IDX files, MNIST-style data sets, mini-batches and user pictures."""

from .batching import Batches, to_float, train_val_split
from .datasets import (
    NAMES,
    Dataset,
    download_dataset,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
)
from .download import download_file
from .idx import read_idx, write_idx
from .images import load_digit_image
from .locate import cache_dir, find_files, search_path

__all__ = [
    "NAMES",
    "Batches",
    "Dataset",
    "cache_dir",
    "download_dataset",
    "download_file",
    "find_files",
    "load_dataset",
    "load_digit_image",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "search_path",
    "to_float",
    "train_val_split",
    "write_idx",
]
