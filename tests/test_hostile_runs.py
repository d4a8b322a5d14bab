"""Hostile and careless training runs: out-of-range options, edited run files, two
processes on one run, a full disk, interrupts, FIFOs. Each ends in one line naming the
option or the file, exit status 1, with the previous run and checkpoint intact."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from chainrule.cli import main as cli_main
from chainrule.data import write_idx
from chainrule.data.locate import FILES
from chainrule.training import TrainConfig, load_checkpoint, save_checkpoint, train
from hostile_helpers import SRC, assert_one_line_error, chainrule

pytest.importorskip("sklearn")
DIGITS = ("--dataset", "digits", "--hidden", "16", "--batch-size", "64", "--quiet")


def _train_quietly(out, **options):
    settings = {"dataset": "digits", "hidden": [16], "epochs": 1, "batch_size": 64}
    return train(TrainConfig(**{**settings, **options}), out, progress=False,
                 log=lambda _: None)


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    _train_quietly(out)
    return out


@pytest.fixture
def run_copy(one_epoch_run, tmp_path):
    return shutil.copytree(one_epoch_run, tmp_path / "run")


def _snapshot(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def _main(capsys, *args):
    """(exit status, stderr) of the command line run in this process."""
    status = cli_main.main([str(arg) for arg in args])
    return status, capsys.readouterr().err


def _assert_main_error(capsys, args, *fragments):
    status, err = _main(capsys, *args)
    assert status == 1 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert str(fragment) in err, err


@pytest.mark.parametrize("option, message", [
    (("--seed", "-1"), "seed must be an integer in [0,"),
    (("--hidden", "100000000"), "hidden must be a list of at most 64 integer widths"),
    (("--hidden", "60000", "60000"), "weights"),
    (("--gamma", "-1"), "gamma must be in (0, 1], got -1.0"),
    (("--gamma", "nan"), "gamma must be in (0, 1], got nan"),
    (("--gamma", "inf"), "gamma must be in (0, 1], got inf"),
    (("--lr", "inf"), "lr must be a finite number > 0, got inf"),
    (("--lr", "0"), "lr must be a finite number > 0"),
    (("--epochs", "0"), "epochs must be an integer in [1,"),
    (("--batch-size", "0"), "batch_size must be an integer in [1,"),
    (("--val-fraction", "1"), "val_fraction must be in [0, 1)"),
    (("--checkpoint-every", "-2"), "checkpoint_every must be an integer in [0,"),
])
def test_numeric_options_out_of_range_are_refused_before_anything_runs(tmp_path, capsys,
                                                                      option, message):
    _assert_main_error(capsys, ("train", *DIGITS, *option, "--out", tmp_path / "run"), message)
    assert not (tmp_path / "run").exists()


def test_a_validation_fraction_that_leaves_no_training_image_is_refused(tmp_path, capsys):
    _assert_main_error(capsys, ("train", *DIGITS, "--val-fraction", "0.99999", "--out",
                                tmp_path / "run"), "leaving none to train on")
    assert not (tmp_path / "run").exists()


def _mnist_folder(folder, train=40, test=10):
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = (rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, train, dtype=np.uint8),
              rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, test, dtype=np.uint8))
    for name, array in zip(FILES, arrays, strict=True):
        write_idx(folder / name, array)
    return folder


def test_an_empty_training_file_is_refused_naming_it(tmp_path, capsys):
    data = _mnist_folder(tmp_path / "data", train=0)
    _assert_main_error(capsys, ("train", "--data-dir", data, "--no-download", "--quiet",
                                "--out", tmp_path / "run"),
                       data / FILES[0], "holds no training images")
    assert not (tmp_path / "run").exists()


def test_a_data_dir_missing_a_file_is_refused_not_replaced(tmp_path, capsys):
    data = _mnist_folder(tmp_path / "partial")
    (data / FILES[3]).unlink()
    _assert_main_error(capsys, ("train", "--data-dir", data, "--quiet", "--out",
                                tmp_path / "run"), data, FILES[3], "never replaced")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("key, value, message", [
    ("batch_size", "128", 'batch_size must be an integer in [1, 1048576], got "128"'),
    ("hidden", "abc", 'hidden must be a list of at most 64 integer widths'),
    ("hidden", None, "hidden must be a list"),
    ("epochs", 1.5, "epochs must be an integer in [1, 100000], got 1.5"),
    ("seed", "0", 'seed must be an integer in [0, 9223372036854775807], got "0"'),
    ("data_dir", 5, "data_dir must be a string, got 5"),
    ("input_std", 0, "input_std must be a finite number > 0, got 0"),
])
def test_resume_refuses_a_config_json_edited_to_wrong_types(run_copy, capsys, key, value,
                                                            message):
    config = json.loads((run_copy / "config.json").read_text())
    (run_copy / "config.json").write_text(json.dumps({**config, key: value}))
    before = _snapshot(run_copy)
    _assert_main_error(capsys, ("train", "--resume", run_copy, "--epochs", "2", "--quiet"),
                       run_copy / "config.json", message)
    assert _snapshot(run_copy) == before


def test_resume_refuses_a_config_json_nested_a_hundred_thousand_deep(run_copy, capsys):
    (run_copy / "config.json").write_text('{"hidden": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _assert_main_error(capsys, ("train", "--resume", run_copy, "--quiet"),
                       run_copy / "config.json", "nested 100001 deep")


def _edit_checkpoint(folder, edit):
    checkpoint = load_checkpoint(folder / "checkpoint.npz")
    edit(checkpoint)
    save_checkpoint(folder / "checkpoint.npz", checkpoint)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["progress"].update(epoch=-3), "progress.epoch must be an integer in [0,"),
    (lambda c: c["progress"].update(epoch="1"), "progress.epoch must be an integer"),
    (lambda c: c["progress"].pop("totals"), "progress.totals is missing"),
    (lambda c: c["metrics"][0].pop("val_loss"), "metrics[0].val_loss is missing"),
    (lambda c: c["metrics"][0].update(train_loss="low"), "metrics[0].train_loss must be a "
                                                         "number"),
    (lambda c: c.update(metrics={}), "metrics must be a list of rows"),
    (lambda c: c["metrics"].append(c["metrics"][0]), "metrics has 2 rows but progress.epoch"),
    (lambda c: c["optimizer"].update(steps="abc"), "optimizer.steps must be an integer"),
    (lambda c: c["optimizer"]["hyperparameters"].update(lr="x"),
     "optimizer.hyperparameters.lr must be a finite number"),
    (lambda c: c["optimizer"]["buffers"]["exp_avg"][0].fill(np.nan),
     "optimizer.buffers.exp_avg must be a list of finite arrays"),
    (lambda c: c["progress"].update(shuffle_state={"bit_generator": "MT19937"}),
     "its training state is damaged"),
])
def test_resume_refuses_edited_progress_and_metrics_before_training(run_copy, capsys, edit,
                                                                    message):
    _edit_checkpoint(run_copy, edit)
    before = _snapshot(run_copy)
    _assert_main_error(capsys, ("train", "--resume", run_copy, "--epochs", "2", "--quiet"),
                       run_copy / "checkpoint.npz", message)
    assert _snapshot(run_copy) == before


def test_resume_into_another_out_folder_is_refused(run_copy, tmp_path, capsys):
    before = _snapshot(run_copy)
    _assert_main_error(capsys, ("train", "--resume", run_copy, "--out", tmp_path / "other",
                                "--epochs", "2", "--quiet"), "--out", "names another one")
    assert _snapshot(run_copy) == before and not (tmp_path / "other").exists()


def test_resume_cannot_shrink_a_run(run_copy, capsys):
    _train_quietly(run_copy.parent / "two", epochs=2)
    two = run_copy.parent / "two"
    before = _snapshot(two)
    _assert_main_error(capsys, ("train", "--resume", two, "--epochs", "1", "--quiet"),
                       "has trained 2 epochs", "--epochs 1 cannot shrink it")
    assert _snapshot(two) == before


def test_a_run_starts_by_removing_its_stale_temporary_files(run_copy, capsys):
    stale = [run_copy / ".checkpoint.npz.x1y2z3.tmp", run_copy / ".metrics.jsonl.abc.tmp"]
    for path in stale:
        path.write_bytes(b"left by a SIGKILL")
    status, _ = _main(capsys, "train", "--resume", run_copy, "--epochs", "2", "--quiet")
    assert status == 0
    assert sorted(path.name for path in run_copy.iterdir()) == [
        "checkpoint.npz", "config.json", "metrics.jsonl", "results.json"]


def test_an_interrupt_while_loading_data_does_not_suggest_resuming(tmp_path, capsys,
                                                                   monkeypatch):
    from chainrule.training import trainer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "load_splits", interrupted)
    status, err = _main(capsys, "train", *DIGITS, "--out", tmp_path / "early")
    assert status == 130 and "--resume" not in err and "nothing to resume" in err
    assert not (tmp_path / "early").exists()


def test_two_trainings_into_one_out_folder_one_fails_at_once(tmp_path):
    out = tmp_path / "race"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    processes = [subprocess.Popen([sys.executable, "-m", "chainrule", "train", *DIGITS,
                                   "--epochs", "30", "--seed", str(seed), "--out", str(out)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for seed in (1, 2)]
    results = [(process.wait(timeout=300), *process.communicate()) for process in processes]
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [0, 1], results
    winner = next(seed for seed, (status, _, _) in zip((1, 2), results, strict=True)
                  if status == 0)
    _, _, loser_err = next(result for result in results if result[0] == 1)
    lines = loser_err.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0], loser_err
    assert "another chainrule process is training this run" in lines[0] or \
        "already holds a run" in lines[0]
    assert load_checkpoint(out / "checkpoint.npz")["config"]["seed"] == winner
    assert json.loads((out / "config.json").read_text())["seed"] == winner


def test_resuming_a_run_that_another_process_trains_fails_at_once(tmp_path):
    out = tmp_path / "busy"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    first = subprocess.Popen([sys.executable, "-m", "chainrule", "train", *DIGITS, "--epochs",
                              "1000", "--out", str(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.npz").exists() and first.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first training ended before the test could resume it"
        second = chainrule("train", "--resume", out, "--epochs", "1000", "--quiet",
                           timeout=60)
        assert_one_line_error(second, out, "another chainrule process is training this run")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)


def test_a_full_disk_names_the_checkpoint_and_the_one_that_is_kept(run_copy):
    size = (run_copy / "checkpoint.npz").stat().st_size
    before = (run_copy / "checkpoint.npz").read_bytes()
    result = chainrule("train", "--resume", run_copy, "--epochs", "2", "--quiet",
                       file_size=size // 2)
    assert_one_line_error(result, run_copy / "checkpoint.npz", "File too large",
                          "is kept (it holds the end of epoch 1, step")
    assert (run_copy / "checkpoint.npz").read_bytes() == before
    assert not [path for path in run_copy.iterdir() if path.name.endswith(".tmp")]


@pytest.mark.parametrize("name", ["config.json", "checkpoint.npz"])
def test_a_fifo_in_place_of_a_run_file_is_refused_without_blocking(run_copy, name):
    (run_copy / name).unlink()
    os.mkfifo(run_copy / name)
    result = chainrule("train", "--resume", run_copy, "--epochs", "2", "--quiet", timeout=60)
    assert_one_line_error(result, run_copy / name, "is a FIFO (named pipe)")


def test_a_fifo_in_the_data_folder_is_refused_without_blocking(tmp_path):
    data = _mnist_folder(tmp_path / "data")
    (data / FILES[2]).unlink()
    os.mkfifo(data / FILES[2])
    result = chainrule("train", "--data-dir", data, "--no-download", "--quiet", "--out",
                       tmp_path / "run", timeout=60)
    assert_one_line_error(result, data / FILES[2], "is a FIFO (named pipe), not a regular IDX file")


def test_detect_anomaly_reports_epoch_step_layer_and_op(tmp_path, capsys):
    status, err = _main(capsys, "train", *DIGITS, "--optimizer", "sgd", "--lr", "1e30",
                        "--schedule", "constant", "--detect-anomaly", "--out",
                        tmp_path / "run")
    assert status == 1 and len(err.strip().splitlines()) == 1, err
    assert "epoch 1, batch " in err and "(step " in err and "linear" in err
    assert "in layer Linear with weight" in err and "bin/chainrule" not in err


def test_explain_refuses_a_negative_index_or_seed(one_epoch_run, capsys):
    _assert_main_error(capsys, ("explain", one_epoch_run, "--index", "-1"),
                       "--index -1 is outside the")
    _assert_main_error(capsys, ("explain", "--tutorial", "--seed", "-1"),
                       "--seed must be a non-negative integer, got -1")


def test_plot_refuses_a_fifo_metrics_file_without_blocking(run_copy):
    pytest.importorskip("matplotlib")
    (run_copy / "metrics.jsonl").unlink()
    os.mkfifo(run_copy / "metrics.jsonl")
    assert_one_line_error(chainrule("plot", run_copy, timeout=60), run_copy / "metrics.jsonl",
                          "is a FIFO (named pipe)")


def test_plot_refuses_a_run_whose_test_split_is_empty(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    data = _mnist_folder(tmp_path / "data", test=0)
    train(TrainConfig(dataset="mnist", data_dir=str(data), download=False, hidden=[8],
                      epochs=1, batch_size=16), tmp_path / "run", progress=False,
          log=lambda _: None)
    _assert_main_error(capsys, ("plot", tmp_path / "run"), tmp_path / "run",
                       f"the test split of {data / FILES[2]} is empty")
