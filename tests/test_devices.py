"""Models and training on a device: the strict stand-in (tests/strict_array.py) computes as a
GPU would, refusing NumPy, and must end with the CPU run's weights; checkpoints are the same
files from every device, and `--device cuda` without CuPy fails in one line."""

import importlib.util
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.cli.main import main
from chainrule.training import TrainConfig, evaluate, load_checkpoint, load_model, train
from chainrule.training.checkpoint import save_checkpoint
from strict_array import StrictArray, to_host, use_strict_device

pytest.importorskip("sklearn")  # the trainer tests use the offline 8x8 digits

FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}


@pytest.fixture(autouse=True)
def strict_device():
    with use_strict_device():
        yield


def _mlp(device="cpu"):
    return nn.MLP((20, 16, 5), rng=np.random.default_rng(1), device=device)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((48, 20)).astype(np.float32), rng.integers(0, 5, 48)


def _train_steps(device, steps=4):
    """Losses and final weights of `steps` Adam steps on `device`, through the public API."""
    images, labels = _data()
    model = _mlp(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    images, labels = cr.Tensor(images, device=device), cr.Tensor(labels, device=device)
    losses = []
    for _ in range(steps):
        loss = nn.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(cr.asnumpy(loss))
    return np.array(losses), model.state_dict()


def test_an_mlp_trained_on_the_device_ends_with_the_cpu_weights():
    cpu_losses, cpu_weights = _train_steps("cpu")
    device_losses, device_weights = _train_steps("strict")
    np.testing.assert_allclose(device_losses, cpu_losses, **FLOAT32)
    for name, weight in cpu_weights.items():
        assert type(device_weights[name]) is np.ndarray
        np.testing.assert_allclose(device_weights[name], weight, **FLOAT32, err_msg=name)


def test_an_mlp_built_on_the_device_has_the_cpu_initial_weights():
    on_cpu, on_device = _mlp("cpu"), _mlp("strict")
    assert on_device.device == "strict"
    assert all(type(p.data) is StrictArray for p in on_device.parameters())
    for name, weight in on_cpu.state_dict().items():
        np.testing.assert_array_equal(on_device.state_dict()[name], weight)


def test_to_device_and_back_keeps_the_parameter_objects_and_their_values():
    model = _mlp()
    parameters = model.parameters()
    before = model.state_dict()
    assert model.to("strict") is model
    assert model.device == "strict"
    assert [id(p) for p in model.parameters()] == [id(p) for p in parameters]
    assert all(type(p.data) is StrictArray for p in parameters)
    assert model.to("strict") is model  # already there: nothing moves
    model.to("cpu")
    assert all(type(p.data) is np.ndarray for p in parameters)
    for name, weight in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], weight)


def test_the_flat_buffer_is_rebuilt_on_the_device_and_an_optimiser_made_after_steps():
    model = _mlp().to("strict")
    images, labels = _data()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = model.state_dict()
    loss = nn.cross_entropy(model(StrictArray(images)), StrictArray(labels))
    loss.backward()
    optimizer.step()
    after = model.state_dict()
    assert all(not np.array_equal(after[name], before[name]) for name in before)
    model.to("cpu")  # and the stepped weights come back
    for name, weight in after.items():
        np.testing.assert_array_equal(model.state_dict()[name], weight)


def test_a_gradient_moves_with_its_parameter():
    model = _mlp()
    images, labels = _data()
    nn.cross_entropy(model(images), labels).backward()
    gradients = [to_host(p.grad) for p in model.parameters()]
    model.to("strict")
    for parameter, gradient in zip(model.parameters(), gradients, strict=True):
        assert type(cr._core.tensor.raw(parameter.grad)) is StrictArray
        np.testing.assert_array_equal(to_host(parameter.grad), gradient)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_hessian_through_an_mlp_on_the_device_is_the_cpus(activation):
    model = nn.MLP((6, 5, 3), activation=activation, rng=np.random.default_rng(2),
                   dtype=np.float64, input_mean=0.3, input_std=2.0)
    x = np.random.default_rng(3).standard_normal((2, 6))

    def f(x):
        return (model(x) ** 2).sum()

    on_cpu = cr.hessian(f)(x)
    model.to("strict")
    on_device = cr.hessian(f)(StrictArray(x.copy()))
    assert type(on_device) is StrictArray
    np.testing.assert_allclose(to_host(on_device), on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, np.inf])
def test_clip_grad_norm_on_the_device_clips_as_on_the_cpu(norm_type):
    images, labels = _data()
    results = []
    for device in ("cpu", "strict"):
        model = _mlp(device)
        nn.cross_entropy(model(cr.Tensor(images, device=device)),
                         cr.Tensor(labels, device=device)).backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), 0.1, norm_type=norm_type)
        results.append((total, [to_host(p.grad) for p in model.parameters()]))
    (cpu_total, cpu_gradients), (device_total, device_gradients) = results
    assert type(device_total) is np.float32 and device_total == cpu_total
    for mine, theirs in zip(device_gradients, cpu_gradients, strict=True):
        np.testing.assert_allclose(mine, theirs, **FLOAT32)


def test_load_state_dict_uploads_host_arrays_to_the_models_device():
    state = _mlp().state_dict()
    model = nn.MLP((20, 16, 5), rng=np.random.default_rng(7), device="strict")
    model.load_state_dict(state)
    assert model.device == "strict"
    for name, weight in state.items():
        np.testing.assert_array_equal(model.state_dict()[name], weight)


def test_a_checkpoint_from_the_device_is_the_same_file_as_from_the_cpu(tmp_path):
    cpu, device = _mlp("cpu"), _mlp("strict")
    optimizer = optim.Adam(device.parameters(), lr=1e-3)
    save_checkpoint(tmp_path / "cpu.npz", {"model": cpu.state_dict()})
    save_checkpoint(tmp_path / "device.npz", {"model": device.state_dict()})
    assert (tmp_path / "cpu.npz").read_bytes() == (tmp_path / "device.npz").read_bytes()
    save_checkpoint(tmp_path / "raw.npz", {"model": {n: p.data for n, p in
                                                     device.named_parameters()},
                                           "optimizer": optimizer.state_dict()})
    loaded = load_checkpoint(tmp_path / "raw.npz")
    assert all(type(array) is np.ndarray for array in loaded["model"].values())


def test_evaluate_on_the_device_gives_the_cpu_numbers():
    images, labels = _data()
    on_cpu = evaluate(_mlp("cpu"), images, labels)
    on_device = evaluate(_mlp("strict"), images, labels)
    assert on_device["loss"] == pytest.approx(on_cpu["loss"], rel=1e-6)
    assert on_device["accuracy"] == on_cpu["accuracy"]
    assert type(on_device["predictions"]) is np.ndarray
    np.testing.assert_array_equal(on_device["predictions"], on_cpu["predictions"])


def _config(**overrides):
    settings = {"dataset": "digits", "hidden": [16], "epochs": 2, "batch_size": 64, "seed": 0}
    return TrainConfig(**{**settings, **overrides})


def _train(folder, resume=False, **overrides):
    return train(_config(**overrides), folder, resume=resume, progress=False,
                 log=lambda _: None)


def _metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def _assert_same_run(first, second):
    """The metrics and the checkpointed weights of two runs agree to float32 rounding."""
    for mine, theirs in zip(_metrics(first), _metrics(second), strict=True):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss",
                    "test_accuracy", "steps", "lr"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6), key
    weights = load_checkpoint(first / "checkpoint.npz")["model"]
    others = load_checkpoint(second / "checkpoint.npz")["model"]
    for name, weight in weights.items():
        np.testing.assert_allclose(others[name], weight, **FLOAT32, err_msg=name)


def test_the_trainer_on_the_device_follows_the_cpu_run(tmp_path):
    _train(tmp_path / "cpu")
    results = _train(tmp_path / "device", device="strict")
    _assert_same_run(tmp_path / "cpu", tmp_path / "device")
    config = json.loads((tmp_path / "device" / "config.json").read_text())
    assert config["device"] == "strict"
    assert isinstance(results["test_accuracy"], float)


def test_a_run_resumes_on_another_device_from_its_host_checkpoint(tmp_path):
    _train(tmp_path / "whole", epochs=2, schedule="constant", dropout=0.2)
    _train(tmp_path / "moved", epochs=1, schedule="constant", dropout=0.2)
    _train(tmp_path / "moved", resume=True, epochs=2, schedule="constant", dropout=0.2,
           device="strict")
    _assert_same_run(tmp_path / "whole", tmp_path / "moved")
    _train(tmp_path / "moved", resume=True, epochs=3, schedule="constant", dropout=0.2,
           device="cpu")
    model, config = load_model(tmp_path / "moved", device="strict")
    assert model.device == "strict" and config["device"] == "cpu"


def test_device_cuda_without_cupy_fails_in_one_line_before_any_work(tmp_path, capsys):
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here")
    out = tmp_path / "run"
    status = main(["train", "--dataset", "digits", "--device", "cuda", "--out", str(out),
                   "--quiet"])
    error = capsys.readouterr().err
    assert status == 1
    assert error.count("\n") == 1
    assert error.startswith("chainrule train: error: device 'cuda' needs CuPy")
    assert not out.exists()


def test_an_unknown_device_is_named_with_the_known_ones(tmp_path, capsys):
    assert main(["train", "--dataset", "digits", "--device", "tpu", "--out",
                 str(tmp_path / "run")]) == 1
    error = capsys.readouterr().err
    assert "unknown device 'tpu'" in error and "cpu" in error and "cuda" in error


def test_resuming_a_run_recorded_on_a_missing_device_says_to_pass_device_cpu(tmp_path, capsys):
    out = tmp_path / "run"
    _train(out, epochs=1)
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "device": "tpu"}))
    assert main(["train", "--resume", str(out), "--epochs", "2", "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "unknown device 'tpu'" in error and "resume it here with --device cpu" in error
    assert main(["train", "--resume", str(out), "--epochs", "2", "--quiet",
                 "--device", "cpu"]) == 0
