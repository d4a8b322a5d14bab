"""Resume after a real kill: SIGKILL a training process mid-epoch, restart it with --resume,
and get bit for bit the weights of a run that was never interrupted."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import write_idx
from chainrule.data.locate import FILES
from chainrule.errors import CheckpointError
from chainrule.training import load_checkpoint

SRC = Path(__file__).resolve().parents[1] / "src"


def _tiny_mnist(folder, train=600, test=100):
    """An MNIST-shaped data set of random pictures with random labels."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    arrays = (rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, train, dtype=np.uint8),
              rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, test, dtype=np.uint8))
    for name, array in zip(FILES, arrays, strict=True):
        write_idx(folder / name, array)
    return folder


def _command(data, out, *extra):
    return [sys.executable, "-m", "chainrule", "train", "--dataset", "mnist", "--data-dir",
            str(data), "--no-download", "--hidden", "128", "--epochs", "12", "--batch-size",
            "16", "--dropout", "0.1", "--checkpoint-every", "5", "--seed", "3", "--quiet",
            "--out", str(out), *extra]


def _env():
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _position(path):
    """(epoch, batch) of the checkpoint at `path`, or None while there is none to read."""
    try:
        progress = load_checkpoint(path)["progress"]
    except CheckpointError:
        return None
    return progress["epoch"], progress["batch"]


def _kill_mid_epoch(command, checkpoint, timeout=60):
    """Start `command`; SIGKILL it as soon as it has checkpointed in the middle of an epoch."""
    process = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            position = _position(checkpoint)
            if position is not None and position[1] > 0 and position[0] >= 1:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, (
        f"the run ended on its own (exit {process.returncode}) before it could be killed: "
        f"{process.stderr.read().decode()[-500:]}")


def test_a_run_killed_with_sigkill_mid_epoch_resumes_to_the_same_weights(tmp_path):
    data = _tiny_mnist(tmp_path / "data")
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    _kill_mid_epoch(_command(data, killed), killed / "checkpoint.npz")
    assert not (killed / "results.json").exists()
    epoch, batch = _position(killed / "checkpoint.npz")
    assert batch > 0
    subprocess.run(_command(data, straight), env=_env(), check=True, capture_output=True)
    resumed = subprocess.run(_command(data, killed, "--resume"), env=_env(),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {killed} from epoch {epoch + 1}, batch {batch}" in resumed.stdout
    mine, theirs = load_checkpoint(killed / "checkpoint.npz"), \
        load_checkpoint(straight / "checkpoint.npz")
    for name, weights in theirs["model"].items():
        np.testing.assert_array_equal(mine["model"][name], weights, err_msg=name)
    for name, buffers in theirs["optimizer"]["buffers"].items():
        for index, buffer in enumerate(buffers):
            np.testing.assert_array_equal(mine["optimizer"]["buffers"][name][index], buffer)
    assert [row["train_loss"] for row in mine["metrics"]] == \
        [row["train_loss"] for row in theirs["metrics"]]
    assert (killed / "metrics.jsonl").read_text().count("\n") == 12


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_run_stopped_by_a_signal_resumes_too(tmp_path, signal_name):
    data = _tiny_mnist(tmp_path / "data", train=200, test=20)
    out = tmp_path / "run"
    command = _command(data, out)
    process = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _position(out / "checkpoint.npz") is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)
    if process.returncode != 0:
        assert "Traceback" not in stderr
    resumed = subprocess.run([*command, "--resume"], env=_env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(out / "checkpoint.npz")["progress"]["epoch"] == 12
