"""Hostile checkpoints: zip bombs, lying zip directories and .npy headers, duplicate and
countless members, deep JSON, non-finite weights. Each ends in one line naming the file,
exit status 1, under a small address-space limit, before anything large is read."""

import io
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn
from chainrule.errors import CheckpointError
from chainrule.training import load_checkpoint, load_model, save_checkpoint
from hostile_helpers import GiB, assert_one_line_error, chainrule, deflated_zeros, write_zip

CONFIG = {"sizes": [64, 16, 10], "activation": "relu", "dropout": 0.0, "loss": "fused",
          "dtype": "float32", "classes": list("0123456789"), "dataset": "digits",
          "input_mean": 0.3, "input_std": 0.4}


def _members(config=CONFIG, state=None):
    """The (name, bytes) members of a valid checkpoint of `config`'s model."""
    model = nn.MLP(config["sizes"], rng=np.random.default_rng(0))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.npz"
        save_checkpoint(path, {"config": config, "model": model.state_dict()
                               if state is None else state})
        with zipfile.ZipFile(path) as archive:
            return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _npy_header(shape, dtype="<f4"):
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": dtype, "fortran_order": False,
                                                  "shape": shape})
    return stream.getvalue()


def _meta_with(extra_arrays):
    """meta.json's member, whose tree also refers to `extra_arrays` (names)."""
    name, data = next(member for member in _members() if member[0] == "meta.json.npy")
    meta = json.loads(np.load(io.BytesIO(data)).tobytes())
    for extra in extra_arrays:
        meta["tree"]["model"][extra] = {"__array__": f"model/{extra}"}
    stream = io.BytesIO()
    np.save(stream, np.frombuffer(json.dumps(meta).encode(), np.uint8))
    return name, stream.getvalue()


def _evaluate_limited(path):
    return chainrule("evaluate", path, address_space=int(1.5 * GiB))


def test_a_zip_bomb_under_an_unknown_name_is_refused_by_name_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.npz"
    write_zip(path, [*_members(), ("junk.npy", (*deflated_zeros(b"", 3 * GiB), 3 * GiB))])
    assert path.stat().st_size < 4 * 2**20
    assert_one_line_error(_evaluate_limited(path), path, "unexpected arrays junk")


def test_a_zip_bomb_under_a_known_name_stops_at_the_size_its_header_declares(tmp_path):
    path = tmp_path / "bomb.npz"
    members = [member for member in _members() if member[0] != "model/layers.0.weight.npy"]
    bomb = deflated_zeros(_npy_header((16, 64)), 3 * GiB)
    write_zip(path, [*members, ("model/layers.0.weight.npy", (*bomb, 3 * GiB))])
    assert_one_line_error(_evaluate_limited(path), path, "holds more data than the 4096 bytes")


def test_a_header_and_directory_claiming_a_terabyte_are_refused_before_allocating(tmp_path):
    path = tmp_path / "liar.npz"
    members = [member for member in _members() if member[0] != "model/layers.0.weight.npy"]
    liar = deflated_zeros(_npy_header((125_000_000_000,), "<f8"), 8 * 2**20)
    write_zip(path, [*members, ("model/layers.0.weight.npy", (*liar, 0xFFFFFFFE))])
    assert_one_line_error(_evaluate_limited(path), path, "declares 1000000000000 bytes")


def test_an_array_larger_than_the_configured_model_is_refused_before_reading(tmp_path):
    path = tmp_path / "grown.npz"
    members = [member for member in _members() if member[0] != "model/layers.0.weight.npy"]
    grown = np.zeros((4000, 64), np.float32)
    stream = io.BytesIO()
    np.save(stream, grown)
    write_zip(path, [*members, ("model/layers.0.weight.npy", stream.getvalue())])
    with pytest.raises(CheckpointError, match=r"grown\.npz: array model/layers\.0\.weight of "
                                              r"shape \(4000, 64\).*another architecture"):
        load_model(path)


def test_a_duplicate_member_is_refused(tmp_path):
    members = _members()
    twin = next(member for member in members if member[0] == "model/layers.0.bias.npy")
    path = tmp_path / "twins.npz"
    write_zip(path, [*members, (twin[0], twin[1][:-4] + b"\0\0\0\0")])
    assert_one_line_error(_evaluate_limited(path), path,
                          "member 'model/layers.0.bias.npy' appears twice")


@pytest.mark.parametrize("end_count", [None, 1])
def test_thousands_of_members_are_refused_from_the_end_record(tmp_path, end_count):
    path = tmp_path / "crowd.npz"
    tiny = _npy_header((1,)) + b"\0\0\0\0"
    write_zip(path, [*_members(), *((f"x{k}.npy", tiny) for k in range(10_000))], end_count)
    with pytest.raises(CheckpointError, match=r"crowd\.npz: its zip directory lists "
                                              r"\d+ members.*over the limit of 4096 members"):
        load_checkpoint(path)


def test_meta_json_nested_fifty_thousand_deep_is_refused(tmp_path):
    path = tmp_path / "deep.npz"
    meta = ('{"format": "chainrule-checkpoint", "version": 1, "tree": ' + "[" * 50_000
            + "]" * 50_000 + "}")
    stream = io.BytesIO()
    np.save(stream, np.frombuffer(meta.encode(), np.uint8))
    write_zip(path, [("meta.json.npy", stream.getvalue())])
    assert_one_line_error(_evaluate_limited(path), path, "nested 50001 deep")


@pytest.mark.parametrize("change, message", [
    ({"input_mean": "abc"}, "input_mean must be a finite number, got \"abc\""),
    ({"classes": 5}, "classes must be a list of class names"),
    ({"classes": ["a"]}, "classes names 1 classes but the model has 10 outputs"),
    ({"input_std": 0.0}, "input_std must be a finite number > 0, got 0.0"),
    ({"input_std": float("nan")}, "input_std must be a finite number > 0, got nan"),
    ({"sizes": [64, 60_000, 60_000, 10]}, "weights, over the limit of"),
])
def test_a_config_of_wrong_types_or_ranges_is_refused_naming_the_key(tmp_path, change,
                                                                     message):
    path = tmp_path / "edited.npz"
    state = nn.MLP(CONFIG["sizes"], rng=np.random.default_rng(0)).state_dict()
    save_checkpoint(path, {"config": {**CONFIG, **change}, "model": state})
    assert_one_line_error(chainrule("evaluate", path), path, "model config is invalid",
                          message)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_weights_are_refused_on_load(tmp_path, value):
    path = tmp_path / "nan.npz"
    state = nn.MLP(CONFIG["sizes"], rng=np.random.default_rng(0)).state_dict()
    state["layers.2.weight"][3, 4] = value
    save_checkpoint(path, {"config": CONFIG, "model": state})
    with pytest.raises(CheckpointError, match=r"nan\.npz: weights layers\.2\.weight hold NaN "
                                              "or infinite values"):
        load_model(path)


def test_a_fifo_checkpoint_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for command in ("evaluate", "predict"):
        args = (command, fifo) if command == "evaluate" else (command, fifo, fifo)
        assert_one_line_error(chainrule(*args, timeout=30), fifo,
                              "is a FIFO (named pipe), not a regular checkpoint")


def test_a_device_is_refused_as_a_checkpoint():
    with pytest.raises(CheckpointError, match="/dev/zero: is a character device"):
        load_checkpoint("/dev/zero")


@pytest.mark.parametrize("kind", ["bzip2", "encrypted"])
def test_members_compressed_without_a_bound_or_encrypted_are_refused(tmp_path, kind):
    honest, path = tmp_path / "honest.npz", tmp_path / f"{kind}.npz"
    save_checkpoint(honest, {"w": np.ones(3)})
    if kind == "bzip2":
        with zipfile.ZipFile(honest) as source, \
                zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info))
    else:
        data = bytearray(honest.read_bytes())
        at = data.find(b"PK\x01\x02")
        while at >= 0:
            data[at + 8] |= 1  # the central directory's "encrypted" flag
            at = data.find(b"PK\x01\x02", at + 1)
        path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"{kind}\.npz: member 'w\.npy' is encrypted or "
                                              "uses compression method"):
        load_checkpoint(path)


def _with_escape_in_header(data):
    """A .npy file's bytes whose header names its dtype with an invalid escape ('\\o4')."""
    start = data.index(b"'<f4'")
    return data[:start] + b"'\\o4'" + data[start + 5:]


def test_a_header_with_a_bad_escape_is_refused_without_a_python_warning(tmp_path):
    """NumPy parses .npy headers with Python's literal parser, which warns about '\\o'
    before the header is refused: the user sees our one-line error, not that warning."""
    from chainrule.data import load_digit_image
    from chainrule.errors import DataError

    members = [(name, _with_escape_in_header(data) if name.startswith("model/") else data)
               for name, data in _members()]
    checkpoint = tmp_path / "escape.npz"
    write_zip(checkpoint, members)
    stream = io.BytesIO()
    np.save(stream, np.zeros((28, 28), np.float32))
    picture = tmp_path / "escape.npy"
    picture.write_bytes(_with_escape_in_header(stream.getvalue()))
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(CheckpointError, match="escape.npz"):
            load_model(checkpoint)
        with pytest.raises(DataError, match="escape.npy"):
            load_digit_image(picture)
    assert [str(warning.message) for warning in shown] == []
