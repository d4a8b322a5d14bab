"""`chainrule explain`: the tutorial's numbers in text and JSON, a real test image, heatmaps
and the graph, and errors that say what went wrong."""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chainrule.cli.main import main
from conftest import MNIST_DIR, requires_mnist

SRC = Path(__file__).resolve().parents[1] / "src"


def explain(capsys, *argv):
    """(exit code, stdout, stderr) of `chainrule explain ARGV`, run in this process."""
    code = main(["explain", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def tutorial_json():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["explain", "--tutorial", "--json"]) == 0
    return json.loads(buffer.getvalue())


def test_tutorial_json_has_the_tutorials_cost_and_dc_dy(tutorial_json):
    assert tutorial_json["label"] == 2
    assert tutorial_json["C"] == pytest.approx(1.17118, abs=5e-6)
    np.testing.assert_allclose(tutorial_json["y"],
                               [.01, .11, .31, .11, .21, .01, .01, .01, .21, .01], atol=1e-12)
    dc_dy = tutorial_json["dC/dy"]
    assert dc_dy["shape"] == [1, 10]
    assert dc_dy["at_label"] == pytest.approx(-3.22581, abs=5e-6)
    assert dc_dy["values"][0][2] == pytest.approx(-1 / 0.31)
    assert dc_dy["nonzero"] == [2]


def test_tutorial_json_has_the_softmax_jacobian_and_its_structure(tutorial_json):
    y = np.array(tutorial_json["y"])
    jacobian = tutorial_json["dy/dz2"]
    np.testing.assert_allclose(jacobian["values"], np.diag(y) - np.outer(y, y), atol=1e-15)
    assert jacobian["values"][2][2] == pytest.approx(0.31 * 0.69)
    assert jacobian["values"][2][4] == pytest.approx(-0.31 * 0.21)
    assert max(jacobian["symmetric"], jacobian["row_sums"]) < 1e-15


def test_tutorial_json_has_the_sparse_dz2_dw2_the_product_and_the_shortcut(tutorial_json):
    sparse = tutorial_json["dz2/dW2"]
    assert sparse["shape"] == [10, 10, 512]
    assert sparse["nonzero"] == 10 * sparse["active_a1"]
    assert sparse["rule_max_difference"] == 0
    product = tutorial_json["dC/dW2"]
    assert product["shape"] == [1, 10, 512]
    assert product["outer_product_max_difference"] < 1e-15
    np.testing.assert_allclose(tutorial_json["dC/dz2"]["shortcut"],
                               [.01, .11, -.69, .11, .21, .01, .01, .01, .21, .01], atol=1e-12)
    assert tutorial_json["dC/dz2"]["shortcut_max_difference"] < 1e-15


def test_tutorial_json_checks_the_product_against_backprop_and_finite_differences(
        tutorial_json):
    checks = {check["wrt"]: check for check in tutorial_json["checks"]}
    assert set(checks) == {"x", "W1", "b1", "W2", "b2"}
    for check in checks.values():
        assert check["product_vs_reverse"]["largest"] < 1e-10
        assert check["reverse_vs_finite_differences"]["largest"] < 1e-6
        assert check["reverse_vs_finite_differences"]["entries"] > 0


def test_tutorial_text_prints_the_derivation(capsys):
    code, out, _ = explain(capsys, "--tutorial")
    assert code == 0
    for expected in ("C = -ln y_2 = -ln 0.31 = 1.17118", "dC/dy_2 = -1/y_2 = -3.22581",
                     "Step 2. dy/dz2 (10x10)", "Step 3. dz2/dW2 (10x10x512)",
                     "(1x10) (10x10) (10x10x512) -> (1x10x512)",
                     "dC/dz2 = dC/dy · dy/dz2 = y - onehot(r)", "(-0.6900)",
                     "[ 0.0099 -0.0011 -0.0031 -0.0011 -0.0021 -0.0001",
                     "dz1/dW1    512x512x784  not built"):
        assert expected in out, expected


@requires_mnist
def test_explain_a_real_test_image_with_its_label(capsys):
    code, out, _ = explain(capsys, "--index", "0", "--data-dir", str(MNIST_DIR), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["label"] == 7  # the first MNIST test image is a 7
    assert report["input"] == "mnist test image 0"
    assert report["C"] == pytest.approx(-np.log(report["y"][7]))


def test_explain_a_picture_file_with_a_given_label(capsys, tmp_path):
    picture = np.zeros((28, 28), dtype=np.float32)
    picture[6:22, 13:15] = 1.0  # a 1
    np.save(tmp_path / "one.npy", picture)
    code, out, _ = explain(capsys, "--image", str(tmp_path / "one.npy"), "--label", "1",
                           "--json")
    assert code == 0
    assert json.loads(out)["label"] == 1


def test_explain_a_picture_shows_the_28x28_input_the_network_saw(capsys, tmp_path):
    from chainrule.data import load_digit_image

    page = np.ones((300, 200), dtype=np.float32)
    page[60:240, 95:110] = 0.1  # a dark 1 on a white page, far larger than 28x28
    np.save(tmp_path / "page.npy", page)
    code, out, _ = explain(capsys, "--image", str(tmp_path / "page.npy"), "--json")
    assert code == 0
    pixels = np.array(json.loads(out)["pixels"])
    np.testing.assert_array_equal(pixels, load_digit_image(tmp_path / "page.npy"))
    code, out, _ = explain(capsys, "--image", str(tmp_path / "page.npy"))
    picture = [line.strip() for line in out.splitlines() if line.startswith("    |")]
    assert len(picture) == 28 and all(len(row) == 30 for row in picture)
    assert picture[14].strip("| ").startswith("@") and picture[0] == "|" + " " * 28 + "|"


def test_plot_writes_a_png_of_the_jacobians(capsys, tmp_path):
    code, out, _ = explain(capsys, "--tutorial", "--plot", str(tmp_path / "jacobians.png"))
    assert code == 0
    assert f"wrote {tmp_path / 'jacobians.png'}" in out
    with Image.open(tmp_path / "jacobians.png") as image:
        image.load()
        assert image.size == (2200, 1000)


def test_graph_is_written_as_dot_for_the_mnist_network(capsys, tmp_path):
    code, _, err = explain(capsys, "--tutorial", "--json", "--graph", str(tmp_path / "net.dot"))
    assert code == 0
    assert "wrote" in err  # stdout stays pure JSON
    dot = (tmp_path / "net.dot").read_text()
    assert dot.startswith('digraph "mnist_network"')
    assert '"W2\\nparameter\\n(10, 512) float32"' in dot


def test_an_index_outside_the_test_set_is_an_error(capsys, tmp_path):
    from data_helpers import write_tiny_dataset

    write_tiny_dataset(tmp_path, label=4)
    code, out, err = explain(capsys, "--index", "5", "--data-dir", str(tmp_path))
    assert code == 1
    assert out == ""
    assert "--index 5 is outside the 2 test images of mnist" in err


def test_explain_a_trained_checkpoint_on_its_own_data_set(capsys, tiny_run):
    from chainrule.data import load_digits

    code, out, _ = explain(capsys, str(tiny_run), "--index", "3", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["network"] == f"checkpoint {tiny_run}"
    assert report["input"] == "digits test image 3"
    assert report["label"] == int(load_digits().test_labels[3])
    assert report["dz2/dW2"]["shape"] == [10, 10, 32]
    assert {check["wrt"] for check in report["checks"]} == {"x", "W1", "b1", "W2", "b2"}
    assert max(check["product_vs_reverse"]["largest"] for check in report["checks"]) < 1e-10


def test_explained_probabilities_are_the_models_own_with_standardised_inputs(capsys, tiny_run):
    from chainrule.data import load_digits, to_float
    from chainrule.training import load_model, probabilities

    model, _ = load_model(tiny_run)
    assert model.input_std != 1.0
    image = to_float(load_digits().test_images[3:4]).astype(np.float64)
    expected = probabilities(model, image)[0]
    code, out, _ = explain(capsys, str(tiny_run), "--index", "3", "--json")
    np.testing.assert_allclose(json.loads(out)["y"], expected, atol=1e-5)


def test_a_missing_checkpoint_is_an_error_naming_it(capsys, tmp_path):
    code, _, err = explain(capsys, str(tmp_path / "missing"), "--tutorial")
    assert code == 1
    assert "missing" in err


def test_python_m_chainrule_explain_tutorial_json():
    result = subprocess.run([sys.executable, "-m", "chainrule", "explain", "--tutorial",
                             "--json"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["C"] == pytest.approx(1.17118, abs=5e-6)


def test_a_label_outside_the_classes_is_an_error(capsys):
    code, _, err = explain(capsys, "--tutorial", "--label", "10")
    assert code == 1
    assert "--label 10 is not one of the network's 10 classes (0 to 9)" in err
