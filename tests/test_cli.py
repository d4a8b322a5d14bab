"""`chainrule` / `python -m chainrule`: train, evaluate and predict as a user runs them, and
bad input that ends in one line naming the file and the problem, exit status 1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli import main as cli_main
from chainrule.training import save_checkpoint

SRC = Path(__file__).resolve().parents[1] / "src"


def chainrule(*args, cwd=None):
    """Run the command line in a fresh interpreter; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "chainrule", *map(str, args)], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True,
                          text=True, timeout=300)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    result = chainrule("train", "--dataset", "digits", "--hidden", "64", "--epochs", "2",
                       "--batch-size", "32", "--lr", "3e-3", "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.fixture(scope="module")
def mnist_shaped_checkpoint(tmp_path_factory):
    """A 784-32-10 model checkpoint, as `chainrule train --dataset mnist` would write one."""
    path = tmp_path_factory.mktemp("model") / "checkpoint.npz"
    model = nn.MLP((784, 32, 10), rng=np.random.default_rng(0))
    config = {"sizes": [784, 32, 10], "activation": "relu", "dropout": 0.0, "loss": "fused",
              "dtype": "float32", "dataset": "mnist", "classes": list("0123456789")}
    save_checkpoint(path, {"config": config, "model": model.state_dict()})
    return path


def test_train_off_a_terminal_prints_one_line_per_epoch_with_the_runs_eta(digits_run):
    out, result = digits_run
    summaries = [line for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert len(summaries) == 2
    assert "train loss" in summaries[0] and "val loss" in summaries[0]
    assert "test acc" in summaries[0] and "img/s" in summaries[0]
    assert f"run saved in {out}" in result.stdout.splitlines()[-1]
    assert "run ETA" in summaries[0] and "run ETA" not in summaries[1]
    assert "epoch 1/2:" not in result.stderr and "|" not in result.stderr  # no bar off a tty
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.npz", "config.json", "metrics.jsonl", "results.json"]
    assert json.loads((out / "results.json").read_text())["test_accuracy"] > 0.8


def test_evaluate_prints_accuracy_per_class_and_the_confusion_matrix(digits_run):
    out, _ = digits_run
    result = chainrule("evaluate", out)
    assert result.returncode == 0, result.stderr
    accuracy = json.loads((out / "results.json").read_text())["test_accuracy"]
    assert f"accuracy {100 * accuracy:.2f}%" in result.stdout
    lines = result.stdout.splitlines()
    assert lines.index("per-class accuracy:") + 11 == lines.index(
        "confusion matrix (rows: true class, columns: predicted class):")
    matrix = [[int(v) for v in line.split()[1:]] for line in lines[-10:]]
    assert sum(map(sum, matrix)) == 359


def test_evaluate_reads_a_checkpoint_file_too(digits_run):
    out, _ = digits_run
    result = chainrule("evaluate", out / "checkpoint.npz", "--split", "val")
    assert result.returncode == 0 and "digits val split" in result.stdout


def test_predict_prints_the_class_and_probabilities_of_each_picture(tmp_path,
                                                                    mnist_shaped_checkpoint):
    from PIL import Image, ImageDraw

    picture = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(picture).line([(50, 10), (50, 90)], fill=0, width=8)
    picture.save(tmp_path / "one.png")
    strokes = np.zeros((40, 40), np.uint8)
    strokes[5:35, 18:22] = 255
    np.save(tmp_path / "one.npy", strokes)
    result = chainrule("predict", mnist_shaped_checkpoint, tmp_path / "one.png",
                       tmp_path / "one.npy")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, ("one.png", "one.npy"), strict=True):
        assert name in line and "0:" in line and "9:" in line
        shares = [float(part.split(":")[1]) for part in line.split("  ")[1:]]
        assert sum(shares) == pytest.approx(1, abs=0.01)


def test_predict_names_a_file_that_is_not_a_picture_and_classifies_the_rest(
        tmp_path, mnist_shaped_checkpoint):
    (tmp_path / "notes.png").write_text("this is not a picture")
    strokes = np.zeros((28, 28), np.uint8)
    strokes[4:24, 12:16] = 255
    np.save(tmp_path / "digit.npy", strokes)
    result = chainrule("predict", mnist_shaped_checkpoint, tmp_path / "notes.png",
                       tmp_path / "digit.npy")
    assert_one_line_error(result, "notes.png")
    assert "digit.npy" in result.stdout


def test_predict_with_a_model_for_8x8_digits_says_it_cannot_take_28x28(tmp_path, digits_run):
    out, _ = digits_run
    np.save(tmp_path / "digit.npy", np.eye(28, dtype=np.uint8) * 255)
    result = chainrule("predict", out, tmp_path / "digit.npy")
    assert_one_line_error(result, "checkpoint.npz", "takes 64 inputs")


@pytest.mark.parametrize("content, problem", [
    (b"garbage", "not a NumPy .npz file"),
    (b"PK\x03\x04 truncated", "damaged"),
])
def test_evaluate_names_a_bad_checkpoint_in_one_line(tmp_path, content, problem):
    (tmp_path / "bad.npz").write_bytes(content)
    assert_one_line_error(chainrule("evaluate", tmp_path / "bad.npz"), "bad.npz", problem)


def test_train_with_a_missing_data_folder_names_it_and_writes_nothing(tmp_path):
    result = chainrule("train", "--data-dir", tmp_path / "absent", "--no-download", "--out",
                       tmp_path / "run")
    assert_one_line_error(result, "absent", "does not exist")
    assert not (tmp_path / "run").exists()


def test_train_refuses_a_folder_holding_a_run_and_changes_nothing(tmp_path, digits_run):
    out, _ = digits_run
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    result = chainrule("train", "--dataset", "digits", "--out", out)
    assert_one_line_error(result, str(out), "already holds a run", "--resume")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_train_refuses_options_out_of_range_in_one_line(tmp_path):
    result = chainrule("train", "--dataset", "digits", "--dropout", "1.5", "--out", tmp_path)
    assert_one_line_error(result, "dropout must be in [0, 1), got 1.5")


def test_a_diverging_run_stops_with_a_diagnosis(tmp_path):
    result = chainrule("train", "--dataset", "digits", "--optimizer", "sgd", "--lr", "1e30",
                       "--schedule", "constant", "--quiet", "--out", tmp_path / "run")
    assert_one_line_error(result, "training stopped", "--detect-anomaly")
    anomaly = chainrule("train", "--dataset", "digits", "--optimizer", "sgd", "--lr", "1e30",
                        "--schedule", "constant", "--quiet", "--detect-anomaly", "--out",
                        tmp_path / "anomaly")
    assert_one_line_error(anomaly, "produced a non-finite value", "linear")


def test_resume_needs_a_run_directory(tmp_path):
    assert_one_line_error(chainrule("train", "--resume"), "--resume needs the run directory")
    assert_one_line_error(chainrule("train", "--resume", tmp_path), "holds no run to resume")


def test_train_help_does_not_import_the_optional_commands():
    code = ("import sys\nfrom chainrule.cli.main import main\ntry:\n    main(['train', '--help'])"
            "\nexcept SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if 'plot' in m"
            " or 'explain' in m))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_an_optional_command_with_a_missing_dependency_becomes_a_stub(tmp_path, monkeypatch,
                                                                      capsys):
    (tmp_path / "fancy_cmd.py").write_text("import a_package_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli_main, "OPTIONAL", {"fancy": "fancy_cmd",
                                               "absent": "chainrule.cli.absent_cmd"})
    assert cli_main.main(["fancy", "--anything"]) == 1
    message = capsys.readouterr().err
    assert "chainrule fancy: error:" in message
    assert "a_package_that_is_not_installed" in message
    with pytest.raises(SystemExit):
        cli_main.main(["absent"])


def test_help_lists_every_command():
    result = chainrule("--help")
    for command in ("train", "evaluate", "predict"):
        assert command in result.stdout
