"""The training loop on the offline digits data: determinism, the run directory, exact
resumption, divergence and refusals that leave earlier files untouched."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import CheckpointError, DataError
from chainrule.training import (
    RunError,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    load_checkpoint,
    load_model,
    train,
)
from chainrule.training.evaluation import evaluate


def _config(**overrides):
    settings = {"dataset": "digits", "hidden": [32], "epochs": 2, "batch_size": 64, "seed": 0}
    return TrainConfig(**{**settings, **overrides})


def _train(folder, resume=False, **overrides):
    return train(_config(**overrides), folder, resume=resume, progress=False, log=lambda _: None)


def _weights(folder):
    return load_checkpoint(folder / "checkpoint.npz")["model"]


def _metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def _snapshot(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def _assert_same_weights(first, second):
    assert list(first) == list(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


LOSS_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss",
             "test_accuracy", "steps", "lr")


def test_the_same_seed_gives_the_same_loss_curve_bit_for_bit(tmp_path):
    _train(tmp_path / "a", dropout=0.2)
    _train(tmp_path / "b", dropout=0.2)
    first, second = _metrics(tmp_path / "a"), _metrics(tmp_path / "b")
    assert [[row[k] for k in LOSS_KEYS] for row in first] == \
        [[row[k] for k in LOSS_KEYS] for row in second]
    _assert_same_weights(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    _train(tmp_path / "c", dropout=0.2, seed=1)
    assert _metrics(tmp_path / "c")[0]["train_loss"] != first[0]["train_loss"]


def test_a_run_directory_holds_config_metrics_checkpoint_and_results(tmp_path):
    results = _train(tmp_path, epochs=3, hidden=[64], lr=3e-3)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "checkpoint.npz", "config.json", "metrics.jsonl", "results.json"]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["sizes"] == [64, 64, 10] and config["classes"] == list("0123456789")
    assert config["train_size"] + config["val_size"] == 1438 and config["test_size"] == 359
    metrics = _metrics(tmp_path)
    assert [row["epoch"] for row in metrics] == [1, 2, 3]
    assert metrics[-1]["train_loss"] < metrics[0]["train_loss"]
    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert results["test_accuracy"] == metrics[-1]["test_accuracy"] > 0.8
    model, loaded_config = load_model(tmp_path)
    assert loaded_config == config
    checkpoint = load_checkpoint(tmp_path / "checkpoint.npz")
    assert checkpoint["progress"]["epoch"] == 3 and checkpoint["progress"]["batch"] == 0


def test_the_loaded_model_reproduces_the_reported_test_accuracy(tmp_path):
    from chainrule.training import load_splits

    results = _train(tmp_path)
    model, config = load_model(tmp_path)
    splits = load_splits("digits", val_fraction=config["val_fraction"], seed=config["seed"])
    assert evaluate(model, splits.test_x, splits.test_y)["accuracy"] == results["test_accuracy"]


def test_a_folder_holding_a_run_is_refused_and_left_untouched(tmp_path):
    _train(tmp_path, epochs=1)
    before = _snapshot(tmp_path)
    with pytest.raises(RunError, match="already holds a run .*--resume"):
        _train(tmp_path, epochs=1)
    assert _snapshot(tmp_path) == before


def test_resuming_a_finished_run_with_more_epochs_equals_one_longer_run(tmp_path):
    _train(tmp_path / "short", schedule="constant")
    _train(tmp_path / "short", resume=True, epochs=4, schedule="constant")
    _train(tmp_path / "long", epochs=4, schedule="constant")
    _assert_same_weights(_weights(tmp_path / "short"), _weights(tmp_path / "long"))
    assert _metrics(tmp_path / "short")[-1]["train_loss"] == \
        _metrics(tmp_path / "long")[-1]["train_loss"]


class _Killed(BaseException):
    """Stands for a kill at a chosen step (BaseException: nothing catches it)."""


@pytest.mark.parametrize("kill_at_step, settings", [
    (5, {}),
    (23, {"dropout": 0.3}),
    (30, {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "schedule": "step",
          "step_epochs": 1}),
    (21, {"warmup_steps": 10, "optimizer": "adamw", "weight_decay": 0.1}),
])
def test_a_run_interrupted_mid_epoch_resumes_to_the_same_weights(tmp_path, monkeypatch,
                                                                 kill_at_step, settings):
    settings = {"epochs": 3, "checkpoint_every": 4, **settings}
    _train(tmp_path / "straight", **settings)
    step = Trainer._step

    def step_then_maybe_die(self, *args):
        if self.optimizer.steps == kill_at_step:
            raise _Killed
        return step(self, *args)

    monkeypatch.setattr(Trainer, "_step", step_then_maybe_die)
    with pytest.raises(_Killed):
        _train(tmp_path / "resumed", **settings)
    monkeypatch.setattr(Trainer, "_step", step)
    _train(tmp_path / "resumed", resume=True, **settings)
    _assert_same_weights(_weights(tmp_path / "resumed"), _weights(tmp_path / "straight"))
    assert _metrics(tmp_path / "resumed") == [
        {**row, "seconds": mine["seconds"], "samples_per_second": mine["samples_per_second"]}
        for row, mine in zip(_metrics(tmp_path / "straight"), _metrics(tmp_path / "resumed"),
                             strict=True)]


def test_a_resumed_run_cannot_change_what_defines_it(tmp_path):
    _train(tmp_path, epochs=1)
    before = _snapshot(tmp_path)
    with pytest.raises(RunError, match=r"cannot change hidden \[32\] -> \[16\]"):
        _train(tmp_path, resume=True, hidden=[16])
    assert _snapshot(tmp_path) == before


def test_resuming_from_a_checkpoint_of_another_architecture_names_the_file(tmp_path):
    _train(tmp_path / "small", epochs=1, hidden=[8])
    _train(tmp_path / "run", epochs=1)
    (tmp_path / "run" / "checkpoint.npz").write_bytes(
        (tmp_path / "small" / "checkpoint.npz").read_bytes())
    before = _snapshot(tmp_path / "run")
    with pytest.raises(CheckpointError, match=r"run/checkpoint\.npz: is for another model .*"
                                              r"sizes \[64, 8, 10\], not \[64, 32, 10\]"):
        _train(tmp_path / "run", resume=True)
    assert _snapshot(tmp_path / "run") == before


def test_resuming_a_run_killed_before_its_first_checkpoint_starts_over(tmp_path):
    _train(tmp_path / "straight", epochs=1)
    (tmp_path / "resumed").mkdir()
    (tmp_path / "resumed" / "config.json").write_text(
        (tmp_path / "straight" / "config.json").read_text())
    _train(tmp_path / "resumed", resume=True, epochs=1)
    _assert_same_weights(_weights(tmp_path / "resumed"), _weights(tmp_path / "straight"))


def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    _train(tmp_path, epochs=1, optimizer="sgd", lr=0.05, momentum=0.0, schedule="constant")
    metrics_before = (tmp_path / "metrics.jsonl").read_bytes()
    with pytest.raises(TrainingDiverged) as caught:
        _diverge(tmp_path)
    message = str(caught.value)
    assert "training stopped" in message and "is kept" in message and "--lr" in message
    assert "\n" not in message
    checkpoint = load_checkpoint(tmp_path / "checkpoint.npz")
    assert all(np.isfinite(value).all() for value in checkpoint["model"].values())
    assert (tmp_path / "metrics.jsonl").read_bytes() == metrics_before


def _diverge(folder):
    """Resume the run in `folder` with weights scaled up until the loss overflows."""
    trainer = Trainer(_config(epochs=3, optimizer="sgd", lr=0.05, momentum=0.0,
                              schedule="constant", checkpoint_every=1), folder,
                      progress=False, log=lambda _: None)
    step = trainer._step

    def growing_step(*args):
        for parameter in trainer.model.parameters():
            parameter.data *= 1e4
        return step(*args)

    trainer._step = growing_step
    trainer.run(resume=True)


def test_a_diverging_run_without_checkpoint_says_so(tmp_path):
    with pytest.raises(TrainingDiverged, match="no checkpoint had been written yet"):
        _train(tmp_path, optimizer="sgd", lr=1e30, momentum=0.0, schedule="constant")


def test_detect_anomaly_names_the_op_that_made_the_first_non_finite_value(tmp_path):
    with pytest.raises(cr.AnomalyError, match="produced a non-finite value"):
        train(_config(optimizer="sgd", lr=1e30, momentum=0.0, schedule="constant"), tmp_path,
              progress=False, log=lambda _: None, detect_anomaly=True)


def test_the_tutorial_loss_trains_as_well_as_the_fused_one(tmp_path):
    fused = _train(tmp_path / "fused", epochs=3, lr=3e-3)
    tutorial = _train(tmp_path / "tutorial", epochs=3, lr=3e-3, loss="tutorial")
    model, _ = load_model(tmp_path / "tutorial")
    assert model.output == "softmax"
    assert tutorial["test_accuracy"] == pytest.approx(fused["test_accuracy"], abs=0.03)


def test_a_missing_data_folder_fails_before_anything_is_written(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        train(TrainConfig(dataset="mnist", data_dir=str(tmp_path / "absent"), download=False),
              tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_config_values_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        TrainConfig(dropout=1.5)
    with pytest.raises(ValueError, match="optimizer must be one of adam, adamw, sgd"):
        TrainConfig(optimizer="lbfgs")


def test_atomically_written_files_get_the_usual_permissions_not_0600(tmp_path):
    import os
    import stat

    from chainrule._files import write_atomically

    write_atomically(tmp_path / "atomic.bin", lambda stream: stream.write(b"x"))
    (tmp_path / "plain.bin").write_bytes(b"x")
    mode = [stat.S_IMODE(os.stat(tmp_path / name).st_mode) for name in ("atomic.bin", "plain.bin")]
    assert mode[0] == mode[1]
