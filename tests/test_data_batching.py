"""Batching: float scaling, a seeded split, and shuffles that resume exactly mid-epoch."""

import copy

import numpy as np
import pytest

from chainrule.data.batching import Batches, to_float, train_val_split
from chainrule.errors import DataError

IMAGES = np.arange(10 * 2 * 3, dtype=np.uint8).reshape(10, 2, 3)
LABELS = np.arange(10, dtype=np.uint8)


def epoch(batches, **options):
    return [y.tolist() for _, y in batches.iter_epoch(**options)]


def test_to_float_flattens_to_float32_in_the_unit_interval():
    x = to_float(np.array([[[0, 255], [51, 102]]], np.uint8))
    assert x.dtype == np.float32 and x.shape == (1, 4)
    np.testing.assert_allclose(x, [[0, 1, 0.2, 0.4]])


def test_to_float_standardizes_with_its_own_or_given_statistics():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (50, 4, 4), dtype=np.uint8)
    x, mean, std = to_float(train, standardize=True)
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-5 and x.dtype == np.float32
    test_x, *stats = to_float(train[:5], standardize=True, mean=mean, std=std)
    np.testing.assert_allclose(test_x, x[:5], rtol=1e-6)
    assert stats == [mean, std]


def test_to_float_refuses_statistics_without_standardize():
    with pytest.raises(DataError, match="standardize=True"):
        to_float(IMAGES, mean=0.1)


def test_train_val_split_is_a_deterministic_partition():
    first = train_val_split(IMAGES, LABELS, 0.3, seed=4)
    second = train_val_split(IMAGES, LABELS, 0.3, seed=4)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    train_images, train_labels, val_images, val_labels = first
    assert len(val_labels) == 3 and sorted([*train_labels, *val_labels]) == list(range(10))
    np.testing.assert_array_equal(train_images, IMAGES[train_labels])


def test_same_seed_gives_the_same_batches_and_other_seeds_do_not():
    orders = [epoch(Batches(IMAGES, LABELS, 3, seed=seed)) for seed in (7, 7, 8)]
    assert orders[0] == orders[1] != orders[2]


def test_each_epoch_draws_a_new_order_covering_every_sample_once():
    batches = Batches(IMAGES, LABELS, 4, seed=0)
    first, second = epoch(batches), epoch(batches)
    assert first != second
    assert sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(10))


def test_batches_pair_each_image_with_its_label():
    for x, y in Batches(IMAGES, LABELS, 3, seed=1):
        np.testing.assert_array_equal(x, IMAGES[y])


def test_len_and_drop_last():
    assert len(Batches(IMAGES, LABELS, 4, seed=0)) == 3
    assert [len(y) for _, y in Batches(IMAGES, LABELS, 4, seed=0)] == [4, 4, 2]
    dropped = Batches(IMAGES, LABELS, 4, seed=0, drop_last=True)
    assert len(dropped) == 2 and [len(y) for _, y in dropped] == [4, 4]


def test_unshuffled_batches_keep_the_stored_order():
    assert epoch(Batches(IMAGES, LABELS, 4, shuffle=False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_run_resumed_mid_epoch_from_a_checkpoint_continues_exactly():
    uninterrupted = Batches(IMAGES, LABELS, 3, seed=11)
    expected = [epoch(uninterrupted) for _ in range(3)]

    interrupted = Batches(IMAGES, LABELS, 3, seed=11)
    epoch(interrupted)
    batches = iter(interrupted)
    done = [next(batches)[1].tolist(), next(batches)[1].tolist()]
    checkpoint = copy.deepcopy((interrupted.epoch_start_state, len(done)))

    rng = np.random.default_rng()
    rng.bit_generator.state = checkpoint[0]
    resumed = Batches(IMAGES, LABELS, 3, rng=rng)
    assert done + epoch(resumed, start_batch=checkpoint[1]) == expected[1]
    assert epoch(resumed) == expected[2]


def test_a_generator_passed_in_is_the_one_used():
    rng = np.random.default_rng(3)
    batches = Batches(IMAGES, LABELS, 5, rng=rng)
    assert batches.rng is rng
    assert epoch(batches) == epoch(Batches(IMAGES, LABELS, 5, seed=3))


@pytest.mark.parametrize(
    "options, match",
    [
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"batch_size": 2, "seed": 1, "rng": np.random.default_rng()}, "not both"),
    ],
)
def test_bad_options_are_refused(options, match):
    with pytest.raises(DataError, match=match):
        Batches(IMAGES, LABELS, **options)


def test_start_batch_outside_the_epoch_is_refused():
    with pytest.raises(DataError, match="start_batch 5 is outside 0..4"):
        Batches(IMAGES, LABELS, 3, seed=0).iter_epoch(start_batch=5)
