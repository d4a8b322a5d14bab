"""`chainrule serve` over HTTP, against a real uvicorn server on 127.0.0.1: the numbers are
`chainrule explain`'s, the SGD step lowers C, runs are followed live, and every malformed
or hostile request gets a 4xx JSON error."""

import base64
import contextlib
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from chainrule.cli.main import build_parser, main  # noqa: E402
from chainrule.data import load_mnist  # noqa: E402
from chainrule.data.digit_prep import digit_from_grey  # noqa: E402
from chainrule.serve import RunsRoot, ServedModel, create_app  # noqa: E402
from chainrule.serve.picture import _area_matrix, network_input  # noqa: E402
from chainrule.training import load_model, probabilities  # noqa: E402
from conftest import MNIST_DIR, requires_mnist  # noqa: E402

SENT_SIDE = 112  # what the page sends: 4 canvas pixels per MNIST pixel


# ---- shared with the browser tests ------------------------------------------------------

def small_mnist_run(tmp_path_factory):
    """A 784-64-10 run trained for one epoch on real MNIST, shared by the serve test modules
    (trained once per session: the run directory is found again under the base temp)."""
    from chainrule.training import TrainConfig, train

    run_dir = tmp_path_factory.getbasetemp() / "serve-runs" / "mnist-64"
    if not (run_dir / "results.json").is_file():
        train(TrainConfig(dataset="mnist", data_dir=str(MNIST_DIR), hidden=[64], epochs=1,
                          batch_size=128, seed=0), run_dir, progress=False,
              log=lambda message: None)
    return run_dir


def mnist_test_digits(indices):
    """(images (N, 28, 28) uint8, labels) of MNIST test images."""
    dataset = load_mnist(MNIST_DIR)
    return dataset.test_images[list(indices)], dataset.test_labels[list(indices)]


def drawing_of(image, side=SENT_SIDE):
    """A (side, side) uint8 picture like the page's: dark ink on white paper."""
    big = np.kron(image.astype(np.float64), np.ones((side // 28, side // 28)))
    return (255 - big).round().astype(np.uint8)


def canvas_payload(grey, dtype="uint8"):
    """The JSON canvas the page sends for a picture (uint8, or float32 in [0, 1])."""
    array = np.ascontiguousarray(grey, dtype)
    return {"shape": list(array.shape), "dtype": dtype,
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def decoded_canvas(payload):
    """The (H, W) array a canvas payload holds."""
    dtype = np.uint8 if payload["dtype"] == "uint8" else np.float32
    return np.frombuffer(base64.b64decode(payload["data"]), dtype).reshape(payload["shape"])


def explain_json(run_dir, picture_file, label):
    """`chainrule explain RUN --image FILE --label r --json`, parsed."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["explain", str(run_dir), "--image", str(picture_file), "--label",
                     str(label), "--json"]) == 0
    return json.loads(stdout.getvalue())


def assert_same_numbers_as_explain(page, report):
    """Every number the page draws equals the one `chainrule explain` prints."""
    z, w = report["symbols"]["z"], report["symbols"]["W"]
    assert page["label"] == report["label"] and page["predicted"] == report["predicted"]
    close = {"rtol": 1e-12, "atol": 1e-15}
    np.testing.assert_allclose(page["C"], report["C"], **close)
    np.testing.assert_allclose(page["y"], report["y"], **close)
    np.testing.assert_allclose(page["dC/dy"]["values"], report["dC/dy"]["values"][0], **close)
    np.testing.assert_allclose(page["dC/dy"]["minus_one_over_y_r"],
                               report["dC/dy"]["minus_one_over_y_r"], **close)
    np.testing.assert_allclose(page["dy/dz"]["values"], report[f"dy/d{z}"]["values"], **close)
    np.testing.assert_allclose(page["dC/dz"]["values"], report[f"dC/d{z}"]["values"][0],
                               **close)
    np.testing.assert_allclose(page["dC/dz"]["shortcut"], report[f"dC/d{z}"]["shortcut"],
                               **close)
    gradient = np.frombuffer(base64.b64decode(page["dC/dW"]["float64"]), "<f8")
    np.testing.assert_allclose(gradient.reshape(page["dC/dW"]["shape"]),
                               report[f"dC/d{w}"]["values"][0], **close)
    # The page chains the first layer by VJPs, explain by built Jacobians: both agree with
    # backpropagation to rounding, so the differences match to within rounding too.
    checks = {check["wrt"]: check["product_vs_reverse"]["largest"] for check in report["checks"]}
    shown = {check["wrt"]: check["product_vs_reverse"] for check in page["checks"]}
    assert shown == pytest.approx(checks, rel=1e-12, abs=1e-15)
    assert shown[w] == checks[w] and max(shown.values()) < 1e-12


@contextlib.contextmanager
def running(app):
    """`app` served by uvicorn on 127.0.0.1 (a free port) in a thread; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           timeout_graceful_shutdown=1, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# ---- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the real MNIST files are not in {MNIST_DIR}")
    return small_mnist_run(tmp_path_factory)


@pytest.fixture(scope="module")
def served(run_dir):
    model, config = load_model(run_dir)
    return ServedModel(model, config, str(run_dir), run_dir)


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs-root")
    (root / "inside").mkdir()
    (root / "inside" / "metrics.jsonl").write_text('{"epoch": 1, "train_loss": 0.5}\n')
    return root


@pytest.fixture(scope="module")
def url(served, runs_root):
    app = create_app(served, runs_root, max_body_bytes=300_000, body_seconds=1.0,
                     poll_seconds=0.05)
    with running(app) as address:
        yield address


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def seven():
    images, labels = mnist_test_digits([0])
    assert labels[0] == 7
    return drawing_of(images[0])


def assert_json_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body["error"]


# ---- the numbers ------------------------------------------------------------------------

@requires_mnist
def test_analysis_is_what_chainrule_explain_prints(client, run_dir, seven, tmp_path):
    picture_file = tmp_path / "drawing.npy"
    np.save(picture_file, seven)
    page = client.post("/api/analyze", json={"canvas": canvas_payload(seven)}).json()
    assert page["label"] == page["predicted"] == 7
    assert_same_numbers_as_explain(page, explain_json(run_dir, picture_file, 7))
    other = client.post("/api/analyze", json={"canvas": canvas_payload(seven), "label": 3})
    assert_same_numbers_as_explain(other.json(), explain_json(run_dir, picture_file, 3))


@requires_mnist
def test_the_cost_is_minus_log_y_r_and_dc_dy_has_one_nonzero(client, seven):
    page = client.post("/api/analyze", json={"canvas": canvas_payload(seven), "label": 2}).json()
    y = np.array(page["y"])
    assert page["C"] == pytest.approx(-math.log(y[2]), rel=1e-12)
    expected = np.zeros(10)
    expected[2] = -1 / y[2]
    np.testing.assert_allclose(page["dC/dy"]["values"], expected, rtol=1e-12)
    np.testing.assert_allclose(page["dy/dz"]["values"], np.diag(y) - np.outer(y, y),
                               atol=1e-15)


@requires_mnist
def test_prediction_and_picture_are_the_models_on_predicts_preparation(client, served, seven):
    page = client.post("/api/analyze", json={"canvas": canvas_payload(seven)}).json()
    picture = digit_from_grey(seven.astype(np.float32) / 255, "canvas")
    np.testing.assert_array_equal(np.array(page["picture"], np.float32), picture.reshape(-1))
    shares = probabilities(served.model, picture.reshape(1, -1))[0]
    assert page["predicted"] == int(np.argmax(shares))
    np.testing.assert_allclose(page["y"], shares, atol=2e-6)


@requires_mnist
def test_saliency_is_dc_dpixel_by_finite_differences(client, served, seven):
    page = client.post("/api/analyze", json={"canvas": canvas_payload(seven)}).json()
    picture = np.array(page["picture"])
    label = page["label"]

    def cost(pixels):
        x = served.model.standardize(pixels)
        hidden = np.maximum(served.dense[0][0].astype(np.float64) @ x + served.dense[0][1], 0)
        z = served.dense[1][0].astype(np.float64) @ hidden + served.dense[1][1]
        return -(z[label] - z.max() - np.log(np.exp(z - z.max()).sum()))

    saliency = np.array(page["saliency"])
    for k in np.argsort(-np.abs(saliency))[:5].tolist() + [0, 400]:
        step = np.zeros_like(picture)
        step[k] = 1e-6
        numeric = (cost(picture + step) - cost(picture - step)) / 2e-6
        assert saliency[k] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@requires_mnist
def test_an_sgd_step_lowers_c_raises_y_r_and_reset_restores_the_model(client, seven):
    canvas = canvas_payload(seven)
    original = client.post("/api/analyze", json={"canvas": canvas, "label": 3}).json()
    stepped = client.post("/api/step", json={"canvas": canvas, "label": 3,
                                             "learning_rate": 0.05, "session": "page-a"}).json()
    before, after = stepped["before"], stepped["after"]
    assert before["C"] == original["C"] and before["steps"] == 0 and after["steps"] == 1
    assert after["C"] < before["C"]
    assert after["y"][3] > before["y"][3]
    again = client.post("/api/analyze", json={"canvas": canvas, "label": 3,
                                              "session": "page-a"}).json()
    assert again["C"] == after["C"] and again["steps"] == 1
    untouched = client.post("/api/analyze", json={"canvas": canvas, "label": 3,
                                                  "session": "page-b"}).json()
    assert untouched["C"] == original["C"] and untouched["steps"] == 0
    assert client.post("/api/reset", json={"session": "page-a"}).json() == {"steps": 0}
    reset = client.post("/api/analyze", json={"canvas": canvas, "label": 3,
                                              "session": "page-a"}).json()
    assert reset["C"] == original["C"] and reset["steps"] == 0


@requires_mnist
def test_the_sgd_step_is_w_minus_lr_times_the_gradient(served, seven):
    picture = network_input(seven.astype(np.float32) / 255, served.side)
    result = served.step(picture, 5, 0.5, "direct")
    explanation, _ = served._explained(picture, 5, served.dense)
    stepped, steps = served._weights("direct")
    served.reset("direct")
    assert steps == 1
    for k, ((weight, bias), (new_weight, new_bias)) in enumerate(
            zip(served.dense, stepped, strict=True), start=1):
        np.testing.assert_allclose(new_weight, weight - 0.5 * explanation.reverse[f"W{k}"][0],
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(new_bias, bias - 0.5 * explanation.reverse[f"b{k}"][0],
                                   rtol=1e-6, atol=1e-7)
    assert result["after"]["C"] < result["before"]["C"]


# ---- the page and the runs --------------------------------------------------------------

@requires_mnist
def test_the_page_and_its_files_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "<canvas id=\"pad\"" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    everything = page.text + client.get("/static/app.js").text + \
        client.get("/static/style.css").text
    for remote in ("http://", "https://", "//cdn", "@import", "url("):
        assert remote not in everything.replace("http://www.w3.org/2000/svg", "")
    info = client.get("/api/model").json()
    assert info["sizes"] == [784, 64, 10] and info["side"] == 28


@requires_mnist
def test_runs_are_listed_and_followed_as_metrics_jsonl_grows(client, runs_root):
    run = runs_root / "growing"
    run.mkdir()
    rows = [{"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "train_accuracy": 0.7}]
    (run / "metrics.jsonl").write_text(json.dumps(rows[0]) + "\n")
    assert "growing" in client.get("/api/runs").json()["runs"]
    assert client.get("/api/metrics", params={"run": "growing"}).json()["rows"] == rows
    with client.stream("GET", "/api/events", params={"run": "growing"}) as stream:
        events = _events(stream.iter_lines())
        assert next(events) == ("rows", rows)
        rows.append({"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "train_accuracy": 0.8})
        replacement = run / "metrics.jsonl.tmp"  # as the trainer writes it: a whole new file
        replacement.write_text("".join(json.dumps(row) + "\n" for row in rows))
        os.replace(replacement, run / "metrics.jsonl")
        assert next(events) == ("rows", rows[1:])
        (run / "results.json").write_text(json.dumps({"test_accuracy": 0.9}))
        assert next(events) == ("finished", {"test_accuracy": 0.9})


def _events(lines):
    """(name, data) of each server-sent event, skipping comments."""
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            yield name, json.loads(line[len("data: "):])


def test_run_names_are_confined_to_the_runs_root(tmp_path):
    root = tmp_path / "runs"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "metrics.jsonl").write_text("")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "metrics.jsonl").write_text('{"epoch": 1}\n')
    (root / "link").symlink_to(tmp_path / "secret")
    runs = RunsRoot(root)
    assert runs.run("a/b") == (root / "a" / "b").resolve()
    assert runs.runs() == ["a/b"]
    from chainrule.serve.errors import NotFound, PathRefused

    for name in ("../secret", "a/../../secret", "/etc", "link", "a//b", "a\\b", "", ".",
                 "a/./b", "x" * 300, "a/b\x00", None, 3):
        with pytest.raises(PathRefused):
            runs.run(name)
    with pytest.raises(NotFound):
        runs.run("a")


# ---- safety -----------------------------------------------------------------------------

@requires_mnist
@pytest.mark.parametrize("run", ["../inside", "..", "/etc/passwd", "inside/../../x",
                                 "%2e%2e/inside", "inside\\..\\x", "a" * 400])
def test_run_paths_outside_the_root_are_refused(client, run):
    assert_json_error(client.get("/api/metrics", params={"run": run}), 403)
    assert_json_error(client.get("/api/events", params={"run": run}), 403)


@requires_mnist
def test_an_unknown_run_or_page_is_a_404_json_error(client):
    assert_json_error(client.get("/api/metrics", params={"run": "nothing-here"}), 404)
    assert_json_error(client.get("/api/metrics"), 403)
    assert_json_error(client.get("/no/such/page"), 404)
    assert_json_error(client.get("/static/../serve_cmd.py"), 404)
    assert_json_error(client.get("/api/analyze"), 405)


@requires_mnist
def test_request_bodies_are_bounded(url):
    huge = b'{"canvas": "' + b"A" * 400_000 + b'"}'
    with httpx.Client(base_url=url, timeout=30) as session:
        assert "limit" in assert_json_error(session.post(
            "/api/analyze", content=huge, headers={"content-type": "application/json"}), 413)

        def chunks():  # no Content-Length: the limit holds while reading
            for _ in range(40):
                yield b" " * 10_000

        assert_json_error(session.post("/api/analyze", content=chunks(),
                                       headers={"content-type": "application/json"}), 413)


@requires_mnist
@pytest.mark.parametrize("body, status", [
    (b"{not json", 400),
    (b"[1, 2]", 400),
    (b"\xff\xfe", 400),
    (b'{"canvas": {"shape": [112, 112], "dtype": "uint8", "data": "%%%"}}', 422),
    (b'{"canvas": [1, 2, 3]}', 422),
    (b"{}", 422),
])
def test_malformed_bodies_get_json_errors(client, body, status):
    assert_json_error(client.post("/api/analyze", content=body,
                                  headers={"content-type": "application/json"}), status)


@requires_mnist
def test_a_body_that_is_not_json_is_refused(client):
    assert_json_error(client.post("/api/analyze", content=b"a=1",
                                  headers={"content-type": "application/x-www-form-urlencoded"}),
                      415)


def _canvas_with(**changes):
    payload = canvas_payload(np.full((16, 16), 255, np.uint8)) | changes
    return {"canvas": payload}


@requires_mnist
@pytest.mark.parametrize("body", [
    _canvas_with(shape=[16]),
    _canvas_with(shape=[16, 16, 1]),
    _canvas_with(shape=[4, 4]),
    _canvas_with(shape=[4096, 4096]),
    _canvas_with(shape=[16.0, 16]),
    _canvas_with(shape=[True, 16]),
    _canvas_with(shape=[-16, -16]),
    _canvas_with(shape=[16, 15]),
    _canvas_with(dtype="float64"),
    _canvas_with(dtype="object"),
    _canvas_with(data=123),
    _canvas_with(data=base64.b64encode(b"\x00" * 255).decode()),
    {"canvas": canvas_payload(np.full((16, 16), 1.5, np.float32), "float32")},
    {"canvas": canvas_payload(np.full((16, 16), -0.1, np.float32), "float32")},
    {"canvas": canvas_payload(np.full((16, 16), np.nan, np.float32), "float32")},
    {"canvas": canvas_payload(np.full((16, 16), np.inf, np.float32), "float32")},
])
def test_canvas_payloads_of_the_wrong_shape_dtype_or_range_are_refused(client, body):
    assert "canvas" in assert_json_error(client.post("/api/analyze", json=body), 422)


@requires_mnist
def test_a_blank_drawing_is_a_422_saying_so(client):
    body = {"canvas": canvas_payload(np.full((112, 112), 255, np.uint8))}
    assert "blank" in assert_json_error(client.post("/api/analyze", json=body), 422)


@requires_mnist
@pytest.mark.parametrize("changes", [
    {"label": 10}, {"label": -1}, {"label": "3"}, {"label": True}, {"label": 2.0},
    {"learning_rate": 0}, {"learning_rate": -1}, {"learning_rate": 1e9},
    {"learning_rate": "0.1"}, {"learning_rate": None},
])
def test_step_fields_out_of_range_are_refused(client, seven, changes):
    body = {"canvas": canvas_payload(seven), "label": 1, "learning_rate": 0.1,
            "session": "s1"} | changes
    assert_json_error(client.post("/api/step", json=body), 422)


@requires_mnist
@pytest.mark.parametrize("session", [None, "", "a" * 65, "../x", 5, ["a"]])
def test_sessions_must_be_short_plain_names(client, seven, session):
    body = {"canvas": canvas_payload(seven), "label": 1, "learning_rate": 0.1,
            "session": session}
    assert_json_error(client.post("/api/step", json=body), 400)
    assert_json_error(client.post("/api/reset", json={"session": session}), 400)


@requires_mnist
def test_a_stalled_client_neither_blocks_others_nor_holds_on_forever(url, client):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as stalled:
        stalled.sendall(b"POST /api/analyze HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ca")
        with socket.create_connection((host, int(port)), timeout=30) as silent:
            for _ in range(3):  # others are served while both hang
                assert client.get("/api/model").status_code == 200
            silent.sendall(b"GET /api/model HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in _response(silent)
        response = _response(stalled)  # the stalled body runs out of time: 408, as JSON
    assert b"408" in response.split(b"\r\n")[0]
    assert b'{"error"' in response


def _response(connection):
    """One whole HTTP response (headers and a Content-Length body) read from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += connection.recv(4096)
    return head + b"\r\n\r\n" + body


# ---- the model and the command ------------------------------------------------------------

def test_area_matrix_averages_what_each_output_pixel_covers():
    matrix = _area_matrix(28, 8)
    np.testing.assert_allclose(matrix.sum(axis=1), 1)
    np.testing.assert_allclose(matrix.sum(axis=0), 8 / 28)  # every input counts as much
    np.testing.assert_allclose(matrix[0, :5], np.array([1, 1, 1, 0.5, 0]) / 3.5)
    np.testing.assert_allclose(_area_matrix(5, 5), np.eye(5))


def test_an_8x8_digits_model_sees_the_drawing_fitted_to_its_field(tiny_run):
    grey = np.ones((112, 112), np.float32)  # a 7: a bar across the top and a long stroke down
    grey[20:30, 30:80] = 0
    for row in range(30, 95):
        grey[row, 75 - (row - 30) // 3 : 85 - (row - 30) // 3] = 0
    picture = network_input(grey, 8)
    assert picture.shape == (8, 8) and picture.dtype == np.float32
    assert 0 <= picture.min() and picture.max() <= 1
    inked_rows = np.flatnonzero(picture.max(axis=1) > 0.05)
    assert inked_rows[0] == 0 and inked_rows[-1] == 7  # the tall digit fills the field
    model, config = load_model(tiny_run)
    page = ServedModel(model, config, "tiny").analysis(picture)
    assert len(page["picture"]) == 64 and len(page["saliency"]) == 64
    assert page["C"] == pytest.approx(-math.log(page["y"][page["label"]]), rel=1e-12)


def test_serve_without_a_run_trains_one_on_the_digits_then_finds_the_newest(tmp_path):
    pytest.importorskip("sklearn")
    from chainrule.cli import serve_cmd

    root = tmp_path / "runs"
    served = serve_cmd.serve_model(None, root)
    assert (root / "serve-digits" / "checkpoint.npz").is_file()
    assert "trained by serve on the 8x8 digits" in served.source and served.side == 8
    again = serve_cmd.serve_model(None, root)
    assert "newest run under" in again.source and again.run_dir == root / "serve-digits"


def test_serve_is_a_command_with_localhost_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--port" in text and "--open" in text and "127.0.0.1" in text
    args = build_parser("serve").parse_args(["serve"])
    assert (args.host, args.port, args.open, args.run_path) == ("127.0.0.1", 8000, False, None)
    assert build_parser("serve").parse_args(["serve", "runs/x"]).run_path == "runs/x"


@requires_mnist
def test_chainrule_serve_runs_a_server_until_interrupted(run_dir, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "chainrule", "serve", str(run_dir),
                               "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        for _ in range(300):
            try:
                info = httpx.get(f"http://127.0.0.1:{port}/api/model", timeout=5).json()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        else:
            pytest.fail("chainrule serve did not answer")
        assert info["source"] == str(run_dir) and info["run"] == run_dir.name
        assert info["runs_root"] == str(run_dir.parent.resolve())  # RUN lies outside runs/
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert f"open http://127.0.0.1:{port}/" in output


def test_open_waits_for_the_server_then_opens_the_page(monkeypatch):
    from chainrule.cli import serve_cmd

    opened = []
    monkeypatch.setattr(serve_cmd.webbrowser, "open", opened.append)

    class Server:
        def __init__(self, ready_after, should_exit=False):
            self.polls, self.ready_after, self.should_exit = 0, ready_after, should_exit

        @property
        def started(self):
            self.polls += 1
            return self.polls > self.ready_after

    starting = Server(ready_after=3)
    serve_cmd._open_when_started(starting, "http://127.0.0.1:8000/")
    assert opened == ["http://127.0.0.1:8000/"] and starting.polls > 3
    serve_cmd._open_when_started(Server(ready_after=10**9, should_exit=True), "http://x/")
    assert opened == ["http://127.0.0.1:8000/"]  # a server that stopped first: no page
