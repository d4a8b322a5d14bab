"""The run figures: non-empty, decodable PNG files of the expected size, an index listing
them, SmoothGrad saliency checked against finite differences and a linear model's weights,
and a clear missing-extra error;
`chainrule plot` on a tiny run that the trainer itself wrote."""

import sys

import numpy as np
import pytest
from PIL import Image

from chainrule.cli.main import main
from chainrule.data import Dataset
from chainrule.explain import PlottingUnavailable
from chainrule.explain.figures import DPI
from chainrule.explain.run_figures import SIZES, plot_training_curves
from chainrule.explain.run_plots import (
    INDEX,
    _saliency_examples,
    draw_run,
    read_metrics,
    smoothgrad,
    write_index,
)
from chainrule.nn import MLP

METRICS = [{"epoch": epoch, "train_loss": 1 / epoch, "test_loss": 1.1 / epoch,
            "train_accuracy": 1 - 0.3 / epoch, "test_accuracy": 1 - 0.35 / epoch}
           for epoch in (1, 2, 3)]


def tiny_dataset(side=8, test=40):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(test, side, side), dtype=np.uint8)
    labels = rng.integers(0, 10, size=test).astype(np.uint8)
    return Dataset("tiny", images[:10], labels[:10], images, labels,
                   tuple(str(digit) for digit in range(10)))


def assert_png(path, figure):
    width, height = SIZES[figure]
    assert path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()  # decodes every pixel
        assert image.size == (width * DPI, height * DPI)
        assert np.asarray(image.convert("L")).std() > 0  # something is drawn


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    model = MLP(sizes=(64, 16, 10), rng=np.random.default_rng(0))
    entries = draw_run(model, METRICS, tiny_dataset(), folder)
    return folder, entries, write_index(folder, entries)


def test_every_figure_is_a_png_of_its_size(drawn):
    folder, entries, _ = drawn
    assert [name for name, _, _ in entries] == [f"{figure}.png" for figure in SIZES]
    for figure in SIZES:
        assert_png(folder / f"{figure}.png", figure)


def test_index_lists_every_figure_with_its_title(drawn):
    folder, entries, index = drawn
    assert index == folder / INDEX
    text = index.read_text()
    for name, title, _ in entries:
        assert f"![{title}]({name})" in text


def test_a_run_without_metrics_has_no_training_curves(tmp_path):
    model = MLP(sizes=(64, 16, 10), rng=np.random.default_rng(0))
    entries = draw_run(model, [], tiny_dataset(test=12), tmp_path)
    assert "training_curves.png" not in [name for name, _, _ in entries]


def test_training_curves_skip_epochs_without_a_value(tmp_path):
    metrics = METRICS + [{"epoch": 4, "train_loss": 0.2, "test_loss": None}]
    assert_png(plot_training_curves(metrics, tmp_path / "curves.png"), "training_curves")


def test_smoothgrad_without_noise_is_the_gradient_of_the_class_score():
    model = MLP(sizes=(6, 5, 3), rng=np.random.default_rng(1), dtype=np.float64,
                input_mean=0.2, input_std=0.5)
    inputs = np.random.default_rng(2).uniform(size=(2, 6))
    classes = np.array([2, 0])
    gradients = smoothgrad(model, inputs, classes, samples=1, noise=0.0)
    step = 1e-6
    for row in range(2):
        for pixel in range(6):
            shifted = inputs[row : row + 1].copy()
            shifted[0, pixel] += step
            up = model(shifted).data[0, classes[row]]
            shifted[0, pixel] -= 2 * step
            down = model(shifted).data[0, classes[row]]
            assert gradients[row, pixel] == pytest.approx((up - down) / (2 * step), abs=1e-8)


def test_smoothgrad_of_a_linear_model_is_its_weight_row_whatever_the_noise():
    model = MLP(sizes=(6, 3), rng=np.random.default_rng(3), dtype=np.float64, input_std=0.5)
    weight = model.layers[0].weight.data
    inputs = np.random.default_rng(4).uniform(size=(2, 6))
    maps = smoothgrad(model, inputs, np.array([1, 2]), samples=8, noise=0.3)
    np.testing.assert_allclose(maps, weight[[1, 2]] / 0.5, rtol=1e-12)


def test_smoothgrad_averages_away_the_noise_of_single_gradients():
    model = MLP(sizes=(16, 32, 3), rng=np.random.default_rng(5), dtype=np.float64)
    image = np.random.default_rng(6).uniform(size=(1, 16))
    spread = [np.std([smoothgrad(model, image, [0], samples=samples, seed=seed)[0]
                      for seed in range(8)], axis=0).mean() for samples in (1, 64)]
    assert spread[1] < spread[0] / 4  # 64 samples: about 8 times less spread


def test_saliency_shows_right_then_wrong_examples():
    labels = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    predictions = np.array([1, 0, 3, 0, 5, 6, 0, 8])
    np.testing.assert_array_equal(_saliency_examples(labels, predictions), [0, 2, 4, 1, 3, 6])
    np.testing.assert_array_equal(_saliency_examples(labels, labels), [0, 1, 2, 3, 4, 5])


def test_metrics_lines_that_are_not_json_name_the_file_and_line(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n{"epoch": \n')
    from chainrule.errors import CheckpointError

    with pytest.raises(CheckpointError, match=r"metrics.jsonl:2"):
        read_metrics(tmp_path)
    assert read_metrics(tmp_path / "elsewhere") == []


def test_without_matplotlib_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(PlottingUnavailable, match=r'pip install "chainrule\[plot\]"'):
        plot_training_curves(METRICS, tmp_path / "curves.png")


def plot(capsys, *argv):
    """(exit code, stdout, stderr) of `chainrule plot ARGV`, run in this process."""
    code = main(["plot", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plot_command_draws_a_trained_run_into_its_directory(tiny_run, capsys):
    code, out, _ = plot(capsys, str(tiny_run))
    assert code == 0
    for figure in SIZES:
        assert_png(tiny_run / f"{figure}.png", figure)
        assert f"wrote {tiny_run / figure}.png" in out
    index = (tiny_run / INDEX).read_text()
    assert "2 epochs" in index
    assert "359 test images" in index  # the last 20% of scikit-learn's 1,797 digits


def test_plot_command_on_a_folder_without_a_run_is_an_error(tmp_path, capsys):
    code, out, err = plot(capsys, str(tmp_path))
    assert code == 1
    assert out == ""
    assert "checkpoint.npz" in err
