"""Data sets: the real MNIST, where files are looked for (in order), validation, and digits."""

import hashlib
import sys

import numpy as np
import pytest

from chainrule.data import datasets
from chainrule.data.datasets import (
    Dataset,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
)
from chainrule.data.idx import write_idx
from chainrule.data.locate import FILES, cache_dir, find_files
from chainrule.errors import DataError
from conftest import MNIST_FIRST_TRAIN_LABELS, MNIST_TRAIN_LABEL_COUNTS
from data_helpers import MNIST_DIR, requires_mnist, write_tiny_dataset


@requires_mnist
def test_real_mnist_loads_with_the_documented_shapes_and_labels():
    mnist = load_mnist(data_dir=MNIST_DIR, download=False)
    assert mnist.name == "mnist" and mnist.classes == tuple("0123456789")
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28) and mnist.test_labels.shape == (10000,)
    assert mnist.train_labels[:10].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert np.bincount(mnist.train_labels).tolist() == MNIST_TRAIN_LABEL_COUNTS


@requires_mnist
def test_built_in_mnist_hashes_are_those_of_the_real_files():
    for name in FILES:
        digest = hashlib.sha256((MNIST_DIR / name).read_bytes()).hexdigest()
        assert datasets.MNIST_SHA256[name] == digest


def test_every_mnist_style_source_has_several_mirrors_and_a_hash_per_file():
    for source in datasets.SOURCES.values():
        assert len(source.mirrors) >= 2
        assert sorted(source.sha256) == sorted(FILES)
        assert all(len(digest) == 64 for digest in source.sha256.values())


def test_search_order_is_data_dir_then_env_then_cache_then_system(places, monkeypatch):
    given = write_tiny_dataset(places / "given", label=1)
    write_tiny_dataset(places / "env", label=2)
    write_tiny_dataset(places / "home/.cache/chainrule/mnist", label=3)
    write_tiny_dataset(places / "system/mnist", label=4)
    monkeypatch.setenv("CHAINRULE_DATA", str(places / "env"))

    def loaded_label(data_dir=None):
        return int(load_mnist(data_dir=data_dir, download=False).train_labels[0])

    assert loaded_label(given) == 1
    assert loaded_label() == 2
    monkeypatch.delenv("CHAINRULE_DATA")
    assert loaded_label() == 3
    (places / "home/.cache/chainrule/mnist" / FILES[0]).unlink()
    assert loaded_label() == 4


def test_data_dir_and_env_may_name_a_parent_holding_the_dataset_folder(places, monkeypatch):
    write_tiny_dataset(places / "parent/mnist", label=5)
    assert load_mnist(data_dir=places / "parent", download=False).train_labels[0] == 5
    monkeypatch.setenv("CHAINRULE_DATA", str(places / "parent"))
    assert load_mnist(download=False).train_labels[0] == 5


def test_xdg_cache_home_is_respected_when_absolute(places, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(places / "xdg"))
    assert cache_dir("mnist") == places / "xdg/chainrule/mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert cache_dir("mnist") == places / "home/.cache/chainrule/mnist"


def test_fashion_mnist_is_found_where_debian_installs_it(places):
    write_tiny_dataset(places / "system/fashion-mnist", label=9)
    fashion = load_fashion_mnist(download=False)
    assert fashion.name == "fashion-mnist" and fashion.classes[9] == "Ankle boot"


def test_uncompressed_files_are_accepted(places):
    write_tiny_dataset(places / "raw", label=6, gzip=False)
    assert load_mnist(data_dir=places / "raw", download=False).train_labels[0] == 6


def test_a_data_dir_missing_one_file_is_refused_never_replaced_by_the_cache(places):
    write_tiny_dataset(places / "partial", label=1)
    (places / "partial" / FILES[3]).unlink()
    write_tiny_dataset(places / "home/.cache/chainrule/mnist", label=3)
    with pytest.raises(DataError, match=rf"partial lacks {FILES[3]}.*never replaced"):
        find_files("mnist", places / "partial")


def test_a_search_folder_missing_one_file_is_passed_over(places, monkeypatch):
    write_tiny_dataset(places / "partial", label=1)
    (places / "partial" / FILES[3]).unlink()
    monkeypatch.setenv("CHAINRULE_DATA", str(places / "partial"))
    write_tiny_dataset(places / "home/.cache/chainrule/mnist", label=3)
    assert find_files("mnist")[0].parent == cache_dir("mnist")


def test_data_errors_name_the_file_that_holds_the_problem(places):
    folder = write_tiny_dataset(places / "short", label=2)
    write_idx(folder / FILES[1], np.full(2, 2, np.uint8))
    with pytest.raises(DataError, match=rf"short/{FILES[1]}: train labels must be \(3,\)"):
        load_mnist(data_dir=folder, download=False)
    write_idx(folder / FILES[1], np.full(3, 2, np.int32))
    with pytest.raises(DataError, match=rf"short/{FILES[1]}: .*got \(3,\) int32"):
        load_mnist(data_dir=folder, download=False)
    write_idx(folder / FILES[1], np.full(3, 2, np.uint8))
    write_idx(folder / FILES[2], np.zeros((2, 27, 27), np.uint8))
    with pytest.raises(DataError, match=rf"short/{FILES[2]}: test images are \(27, 27\)"):
        load_mnist(data_dir=folder, download=False)


def test_an_empty_training_set_is_refused_naming_the_file(places):
    folder = write_tiny_dataset(places / "empty", label=2)
    write_idx(folder / FILES[0], np.zeros((0, 28, 28), np.uint8))
    write_idx(folder / FILES[1], np.zeros(0, np.uint8))
    with pytest.raises(DataError, match=rf"empty/{FILES[0]}: holds no training images"):
        load_mnist(data_dir=folder, download=False)


def test_a_data_dir_that_does_not_exist_is_an_error_not_a_fallback(places):
    write_tiny_dataset(places / "home/.cache/chainrule/mnist", label=3)
    with pytest.raises(DataError, match="nowhere.*does not exist"):
        load_mnist(data_dir=places / "nowhere", download=False)


def test_without_files_or_download_the_error_says_how_to_supply_them(places):
    with pytest.raises(DataError) as raised:
        load_mnist(download=False)
    message = str(raised.value)
    assert all(name in message for name in FILES)
    assert str(cache_dir("mnist")) in message
    assert "--data-dir" in message and "CHAINRULE_DATA" in message


def test_labels_outside_the_classes_are_refused(places):
    write_tiny_dataset(places / "bad", label=12)
    with pytest.raises(DataError, match=rf"bad/{FILES[1]}: train label 12 is not below the 10"):
        load_mnist(data_dir=places / "bad", download=False)


def test_image_and_label_counts_must_agree():
    images = np.zeros((3, 28, 28), np.uint8)
    with pytest.raises(DataError, match="train labels must be \\(3,\\) uint8"):
        Dataset(
            "mnist",
            images,
            np.zeros(2, np.uint8),
            images,
            np.zeros(3, np.uint8),
            tuple("0123456789"),
        )


def test_images_must_be_three_dimensional_uint8():
    labels = np.zeros(3, np.uint8)
    with pytest.raises(DataError, match="test images must be \\(N, H, W\\) uint8"):
        Dataset("mnist", np.zeros((3, 2, 2), np.uint8), labels, np.zeros((3, 4)), labels, ("a",))


def test_train_and_test_images_must_have_one_size():
    labels = np.zeros(3, np.uint8)
    with pytest.raises(DataError, match=r"test images are \(4, 4\) but the train images are"):
        Dataset(
            "mnist",
            np.zeros((3, 2, 2), np.uint8),
            labels,
            np.zeros((3, 4, 4), np.uint8),
            labels,
            ("a",),
        )


def test_registry_knows_three_names_and_refuses_others(places):
    write_tiny_dataset(places / "fashion", label=7)
    assert load_dataset("fashion_mnist", places / "fashion", download=False).name == (
        "fashion-mnist"
    )
    with pytest.raises(DataError, match="unknown data set 'cifar'.*mnist, fashion-mnist, digits"):
        load_dataset("cifar")


def test_digits_test_split_is_random_stratified_and_fixed():
    from sklearn.datasets import load_digits as sklearn_digits

    digits = load_digits()
    order = sklearn_digits().target
    counts = np.bincount(order, minlength=10)
    test_counts = np.bincount(digits.test_labels, minlength=10)
    assert np.all(np.abs(test_counts - counts * 0.2) < 1)
    tail = np.round(sklearn_digits().images[-359:] * (255 / 16)).astype(np.uint8)
    assert not np.array_equal(digits.test_images, tail)  # not scikit-learn's last 20%


def test_digits_are_8x8_uint8_split_deterministically():
    digits = load_dataset("digits")
    assert digits.train_images.shape[1:] == (8, 8) and digits.train_images.dtype == np.uint8
    assert len(digits.train_images) + len(digits.test_images) == 1797
    assert len(digits.test_images) == round(1797 * 0.2)
    assert digits.train_images.max() == 255 and digits.train_images.min() == 0
    again = load_digits()
    np.testing.assert_array_equal(again.test_images, digits.test_images)
    np.testing.assert_array_equal(again.test_labels, digits.test_labels)
    assert set(np.unique(digits.test_labels)) == set(range(10))


def test_digits_without_scikit_learn_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError, match='pip install "chainrule\\[digits\\]"'):
        load_digits()
