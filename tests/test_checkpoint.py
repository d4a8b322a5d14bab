"""Checkpoint files: exact round trips, atomic writes, and a one-line CheckpointError naming the
file for anything unsafe, damaged or for another model."""

import json
import os
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn
from chainrule.errors import CheckpointError
from chainrule.training import load_checkpoint, load_model, save_checkpoint
from chainrule.training.files import write_atomically

CONFIG = {"sizes": [6, 5, 3], "activation": "relu", "dropout": 0.0, "loss": "fused",
          "dtype": "float32", "classes": ["a", "b", "c"], "dataset": "digits"}


def _model_checkpoint(path, config=CONFIG, state=None):
    model = nn.MLP(config["sizes"], rng=np.random.default_rng(0),
                   dtype=np.dtype(config["dtype"]))
    save_checkpoint(path, {"config": config, "model": model.state_dict() if state is None
                           else state})
    return model


def test_a_tree_of_arrays_and_json_values_round_trips_exactly(tmp_path):
    generator = np.random.default_rng(5)
    tree = {
        "model": {"layers.0.weight": generator.random((3, 2), dtype=np.float32)},
        "buffers": {"exp_avg": [np.arange(3.0), np.zeros((2, 2), np.float32)]},
        "steps": 7, "lr": 1e-3, "name": "Adam", "nothing": None, "flags": [True, False],
        "rng": generator.bit_generator.state,
    }
    save_checkpoint(tmp_path / "c.npz", tree)
    loaded = load_checkpoint(tmp_path / "c.npz")
    assert loaded["rng"] == tree["rng"] and loaded["steps"] == 7 and loaded["nothing"] is None
    assert loaded["flags"] == [True, False] and loaded["lr"] == 1e-3
    np.testing.assert_array_equal(loaded["model"]["layers.0.weight"],
                                  tree["model"]["layers.0.weight"])
    assert loaded["model"]["layers.0.weight"].dtype == np.float32
    for mine, theirs in zip(loaded["buffers"]["exp_avg"], tree["buffers"]["exp_avg"],
                            strict=True):
        np.testing.assert_array_equal(mine, theirs)
        assert mine.dtype == theirs.dtype


def test_a_checkpoint_is_a_plain_zip_of_npy_files_and_json(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"model": {"w": np.ones(2)}, "steps": 1})
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert sorted(archive.namelist()) == ["meta.json.npy", "model/w.npy"]


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"steps": 1})
    save_checkpoint(path, {"steps": 2})
    assert load_checkpoint(path)["steps"] == 2
    assert os.listdir(tmp_path) == ["c.npz"]


def test_a_write_that_fails_half_way_keeps_the_old_file(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"steps": 1})

    def fail_half_way(stream):
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, fail_half_way)
    assert load_checkpoint(path)["steps"] == 1
    assert os.listdir(tmp_path) == ["c.npz"]


class _Touch:
    """Unpickling this would create a file: the proof that nothing was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_pickled_objects_in_an_npz_are_refused_and_never_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.npz"
    meta = np.frombuffer(json.dumps({"format": "chainrule-checkpoint", "version": 1,
                                     "tree": {"model": {"__array__": "model"}}}).encode(),
                         np.uint8)
    np.savez(path, **{"meta.json": meta, "model": np.array([_Touch(marker)], dtype=object)})
    with pytest.raises(CheckpointError, match=r"evil\.npz: holds pickled Python objects"):
        load_checkpoint(path)
    assert not marker.exists()


def test_a_plain_pickle_file_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Touch(marker)))
    with pytest.raises(CheckpointError, match=r"evil\.npz: holds pickled Python objects"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[: len(data) // 2], "damaged"),
    (lambda data: data[:100], "damaged"),
    (lambda data: b"not a zip at all", "not a checkpoint: not a NumPy .npz file"),
    (lambda data: b"", "not a checkpoint: not a NumPy .npz file"),
    (lambda data: np.lib.format.magic(1, 0) + data, "not a checkpoint: not a NumPy .npz file"),
])
def test_truncated_or_garbage_files_are_named_in_the_error(tmp_path, damage, message):
    path = tmp_path / "run.npz"
    _model_checkpoint(path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=rf"run\.npz: {message}"):
        load_checkpoint(path)


def test_missing_file_and_folder_are_named(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.npz: no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.npz")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


def _npz(path, arrays, meta):
    np.savez(path, **arrays, **{"meta.json": np.frombuffer(json.dumps(meta).encode(), np.uint8)})


@pytest.mark.parametrize("arrays, meta, message", [
    ({"w": np.ones(2)}, None, "not a chainrule checkpoint"),
    ({}, {"format": "something-else", "version": 1, "tree": {}}, "not a chainrule checkpoint"),
    ({}, {"format": "chainrule-checkpoint", "version": 99, "tree": {}}, "version 99"),
    ({}, {"format": "chainrule-checkpoint", "version": 1, "tree": {"w": {"__array__": "w"}}},
     "array w is missing"),
    ({"w": np.ones(2), "x": np.ones(1)},
     {"format": "chainrule-checkpoint", "version": 1, "tree": {"w": {"__array__": "w"}}},
     "unexpected arrays x"),
])
def test_wrong_keys_and_foreign_npz_files_are_refused(tmp_path, arrays, meta, message):
    path = tmp_path / "c.npz"
    if meta is None:
        np.savez(path, **arrays)
    else:
        _npz(path, arrays, meta)
    with pytest.raises(CheckpointError, match=rf"c\.npz: .*{message}"):
        load_checkpoint(path)


def test_load_model_accepts_a_file_or_a_run_directory(tmp_path):
    model = _model_checkpoint(tmp_path / "checkpoint.npz")
    for path in (tmp_path, tmp_path / "checkpoint.npz"):
        loaded, config = load_model(path)
        assert config == CONFIG and not loaded.training
        x = np.random.default_rng(1).random((2, 6)).astype(np.float32)
        np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_load_model_of_a_folder_without_checkpoint_names_the_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz: no such checkpoint file"):
        load_model(tmp_path)


def _state(sizes=(6, 5, 3), dtype=np.float32):
    return nn.MLP(sizes, rng=np.random.default_rng(0), dtype=dtype).state_dict()


@pytest.mark.parametrize("config, state, message", [
    (CONFIG, _state(dtype=np.float64),
     r"layers.0.weight is \(5, 6\) float64 but the model has \(5, 6\) float32"),
    (CONFIG, {**_state(), "layers.0.weight": np.zeros((6, 5), np.float32)},
     r"layers.0.weight is \(6, 5\) float32 but the model has \(5, 6\) float32"),
    (CONFIG, _state((6, 7, 3)), "for another architecture"),
    (CONFIG, {k: v for k, v in _state().items() if k != "layers.2.bias"},
     "for another architecture"),
    ({**CONFIG, "sizes": [6, "5", 3]}, _state(), "model config is invalid"),
    ({**CONFIG, "activation": "swish"}, _state(), "model config is invalid"),
])
def test_load_model_refuses_wrong_shapes_dtypes_and_architectures(tmp_path, config, state,
                                                                  message):
    path = tmp_path / "model.npz"
    save_checkpoint(path, {"config": config, "model": state})
    with pytest.raises(CheckpointError, match=rf"model\.npz: .*{message}"):
        load_model(path)


def test_load_model_refuses_a_checkpoint_without_model(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"steps": 3})
    with pytest.raises(CheckpointError, match="has no model config or no model state"):
        load_model(tmp_path / "c.npz")


def test_a_header_claiming_terabytes_is_refused_before_anything_is_allocated(tmp_path):
    honest = tmp_path / "honest.npz"
    _model_checkpoint(honest)
    hostile = tmp_path / "hostile.npz"
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(hostile, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "model/layers.0.weight.npy":
                data = data.replace(b"(5, 6)", b"(1000000, 1000000)")
            target.writestr(info, data)
    tracemalloc.start()
    with pytest.raises(CheckpointError, match=r"hostile\.npz.*declares 4000000000000 bytes"):
        load_model(hostile)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20
