"""`chainrule serve` in a real browser (Debian's chromium, driven by Playwright): digits
drawn with mouse moves get the model's prediction and `chainrule explain`'s numbers, the
gradient step lowers C, and a run's curves grow with its metrics.jsonl.

Screenshots go to $CHAINRULE_SCREENSHOTS when set (else the test's temporary folder).
"""

import base64
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from chainrule.data.digit_prep import digit_from_grey  # noqa: E402
from chainrule.serve import ServedModel, create_app  # noqa: E402
from chainrule.training import load_model, probabilities  # noqa: E402
from test_serve import (  # noqa: E402
    decoded_canvas,
    explain_json,
    mnist_test_digits,
    running,
    small_mnist_run,
)

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAD_SCALE = 10  # the drawing canvas is 280 px for 28 MNIST pixels
SETTLE_MS = 30_000

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM),
                                reason=f"no chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from conftest import MNIST_DIR

    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the real MNIST files are not in {MNIST_DIR}")
    return small_mnist_run(tmp_path_factory)


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("browser-runs")


@pytest.fixture(scope="module")
def url(run_dir, runs_root):
    model, config = load_model(run_dir)
    served = ServedModel(model, config, f"{run_dir.name} (a 1-epoch MNIST test run)", run_dir)
    with running(create_app(served, runs_root, poll_seconds=0.1)) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, url):
    # The tests wait on JavaScript predicates, which the page's CSP (no eval) would refuse;
    # test_the_page_loads_nothing_but_its_own_files keeps the CSP on.
    context = browser.new_context(viewport={"width": 1400, "height": 1250}, bypass_csp=True)
    opened = context.new_page()
    opened.sent = []  # the canvas payloads the page posted, in order
    opened.on("request", lambda request: opened.sent.append(json.loads(request.post_data))
              if request.url.endswith("/api/analyze") else None)
    errors = []  # script errors, refused loads (the page's CSP), failed requests
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text)
              if message.type == "error" else None)
    opened.goto(url)
    opened.wait_for_function("window.chainrule && window.chainrule.model !== null")
    yield opened
    context.close()
    assert errors == []


@pytest.fixture
def screenshots(tmp_path):
    folder = Path(os.environ.get("CHAINRULE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def draw(page, image):
    """Draw a 28x28 digit with the mouse: one stroke along each run of inked pixels in
    each row, as a pen would fill it in."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 28
    page.fill("#pen", "14")
    for row in range(28):
        inked = np.flatnonzero(image[row] > 100)
        if not len(inked):
            continue
        runs = np.split(inked, np.flatnonzero(np.diff(inked) > 1) + 1)
        for run in runs:
            y = box["y"] + (row + 0.5) * scale
            page.mouse.move(box["x"] + (run[0] + 0.5) * scale, y)
            page.mouse.down()
            page.mouse.move(box["x"] + (run[-1] + 0.5) * scale, y, steps=max(2, len(run) // 2))
            page.mouse.up()
    settle(page)


def settle(page):
    """Wait until the page has sent its last update and drawn the answer."""
    page.wait_for_function("document.body.dataset.busy === 'false'", timeout=SETTLE_MS)


def number(locator):
    return float(locator.get_attribute("data-value"))


def shown_analysis(page):
    """The prediction and the chain rule as the page shows them."""
    bars = page.locator("#bars .bar")
    return {
        "predicted": int(page.locator("#bars").get_attribute("data-predicted")),
        "label": int(page.locator("#r").get_attribute("data-value")),
        "y": [number(bars.nth(i).locator(".value")) for i in range(bars.count())],
        "C": number(page.locator("#cost")),
        "cells": {(i, j): number(page.locator(f"#jacobian .cell[data-i='{i}'][data-j='{j}']"))
                  for i in range(10) for j in range(10)},
    }


def saved_canvas(page, folder):
    """The last canvas the page sent, saved as the .npy picture `explain --image` reads."""
    canvas = decoded_canvas(page.sent[-1]["canvas"])
    path = folder / "canvas.npy"
    np.save(path, canvas)
    return canvas, path


def test_drawn_digits_get_the_models_prediction_and_explains_numbers(page, run_dir, tmp_path,
                                                                     screenshots):
    images, labels = mnist_test_digits([0, 1, 2])
    model, _ = load_model(run_dir)
    correct = 0
    for image, label in zip(images, labels, strict=True):
        page.click("#clear")
        draw(page, image)
        canvas, picture_file = saved_canvas(page, tmp_path)
        shown = shown_analysis(page)
        picture = digit_from_grey(canvas.astype(np.float32) / 255, "canvas")
        shares = probabilities(model, picture.reshape(1, -1))[0]
        assert shown["predicted"] == int(np.argmax(shares)) == shown["label"]
        np.testing.assert_allclose(shown["y"], shares, atol=2e-6)
        correct += shown["predicted"] == label
        report = explain_json(run_dir, picture_file, shown["label"])
        assert shown["C"] == pytest.approx(report["C"], rel=1e-12)
        jacobian = np.array(report["dy/dz2"]["values"])
        for (i, j), value in shown["cells"].items():
            assert value == pytest.approx(jacobian[i, j], rel=1e-12, abs=1e-18)
    assert correct >= 2, "the 1-epoch model should read at least two of these three digits"
    sent_at = page.evaluate("window.chainrule.sentAt")
    assert len(sent_at) >= 6  # updates came while drawing, not only at the end
    assert min(np.diff(sent_at)) >= 99  # throttled: at most 10 updates a second
    page.screenshot(path=str(screenshots / "serve_prediction.png"), full_page=True)


def test_hovering_a_jacobian_cell_shows_y_i_times_delta_minus_y_j(page, run_dir, tmp_path,
                                                                  screenshots):
    images, _ = mnist_test_digits([0])
    draw(page, images[0])
    bars = page.locator("#bars .bar")
    bars.nth(3).click()  # choose r = 3, not the predicted 7
    page.wait_for_function("document.querySelector('#r').dataset.value === '3'")
    settle(page)
    _, picture_file = saved_canvas(page, tmp_path)
    report = explain_json(run_dir, picture_file, 3)
    shown = shown_analysis(page)
    assert shown["label"] == 3 and shown["C"] == pytest.approx(report["C"], rel=1e-12)
    assert shown["C"] == pytest.approx(-math.log(report["y"][3]), rel=1e-12)
    assert number(page.locator("#minus-inverse")) == pytest.approx(-1 / report["y"][3])
    y = np.array(report["y"])
    for i, j in [(7, 7), (3, 7), (7, 3), (0, 9)]:
        page.hover(f"#jacobian .cell[data-i='{i}'][data-j='{j}']")
        tip = page.locator("#tip")
        assert tip.is_visible()
        expected = report["dy/dz2"]["values"][i][j]
        assert float(tip.get_attribute("data-value")) == pytest.approx(expected, rel=1e-12)
        assert expected == pytest.approx(y[i] * ((i == j) - y[j]), rel=1e-9, abs=1e-15)
        text = tip.inner_text().replace("−", "-")
        assert f"y{i}(δ{i}{j} - y{j})" in text
        assert float(text.rsplit("= ", 1)[1]) == pytest.approx(expected, rel=1e-5)
    page.screenshot(path=str(screenshots / "serve_jacobian_hover.png"), full_page=True)
    saliency = np.array(page.evaluate("window.chainrule.latest.saliency"))
    for k, warm in [(int(np.argmax(saliency)), True), (int(np.argmin(saliency)), False)]:
        row, column = divmod(k, 28)  # the 140 px map: 5 px a pixel
        red, _, blue = page.evaluate(
            f"Array.from(document.querySelector('#saliency').getContext('2d')"
            f".getImageData({5 * column + 2}, {5 * row + 2}, 1, 1).data)")[:3]
        assert (red > blue) == warm, (k, saliency[k], red, blue)  # red raises C, blue lowers


def test_a_gradient_step_lowers_c_and_reset_restores_it(page, screenshots):
    images, _ = mnist_test_digits([2])
    draw(page, images[0])
    original = number(page.locator("#cost"))
    page.fill("#lr", "-1")  # lr = 0.1
    page.dispatch_event("#lr", "input")
    page.click("#step")
    page.wait_for_function("document.querySelector('#after-cost').dataset.value")
    before, after = number(page.locator("#before-cost")), number(page.locator("#after-cost"))
    assert before == original and after < before
    assert number(page.locator("#after-yr")) > number(page.locator("#before-yr"))
    assert number(page.locator("#cost")) == after
    assert "1 SGD step" in page.locator("#steps-note").inner_text()
    page.screenshot(path=str(screenshots / "serve_step.png"), full_page=True)
    page.click("#reset")
    page.wait_for_function("document.querySelector('#steps-note').textContent === ''")
    settle(page)
    assert number(page.locator("#cost")) == original


def test_a_runs_curves_update_as_metrics_jsonl_grows(page, runs_root, run_dir, screenshots):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rows = [rows[0] | {"epoch": epoch, "train_loss": rows[0]["train_loss"] / epoch,
                       "val_loss": rows[0]["val_loss"] / epoch ** 0.5,
                       "train_accuracy": 1 - (1 - rows[0]["train_accuracy"]) / epoch}
            for epoch in (1, 2, 3)]
    run = runs_root / "live"  # started after the page was opened: listed when the list is
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps(rows[0]) + "\n")
    page.focus("#run-select")
    page.locator("#run-select option[value='live']").wait_for(state="attached")
    page.select_option("#run-select", "live")
    chart = page.locator("#loss-chart")
    for count in (1, 2, 3):
        if count > 1:  # the trainer rewrites the file whole, by a rename
            partial = run / "metrics.jsonl.tmp"
            partial.write_text("".join(json.dumps(row) + "\n" for row in rows[:count]))
            os.replace(partial, run / "metrics.jsonl")
        page.wait_for_function(f"document.querySelector('#loss-chart').dataset.points === "
                               f"'{count}'", timeout=SETTLE_MS)
    polyline = chart.locator("polyline[data-key='train_loss']")
    assert len(polyline.get_attribute("points").split()) == 3
    (run / "results.json").write_text(json.dumps({"test_accuracy": 0.91}))
    page.wait_for_function("document.querySelector('#run-status').textContent"
                           ".startsWith('finished')", timeout=SETTLE_MS)
    assert "91.00%" in page.locator("#run-status").inner_text()
    page.screenshot(path=str(screenshots / "serve_curves.png"), full_page=True)


def test_undo_and_clear_change_what_the_network_sees(page, screenshots):
    images, _ = mnist_test_digits([3])
    draw(page, images[0])
    first = base64.b64decode(page.sent[-1]["canvas"]["data"])
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 260)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 260, steps=5)
    page.mouse.up()
    settle(page)
    assert base64.b64decode(page.sent[-1]["canvas"]["data"]) != first
    page.screenshot(path=str(screenshots / "serve_before_undo.png"), full_page=True)
    page.click("#undo")
    settle(page)
    assert base64.b64decode(page.sent[-1]["canvas"]["data"]) == first
    page.click("#clear")
    settle(page)
    assert "Draw a digit" in page.locator("#message").inner_text()
    assert page.locator("#bars .value[data-value]").count() == 0  # no stale prediction
    assert page.locator("#bars").get_attribute("data-predicted") is None


def test_a_finger_draws_as_the_mouse_does(browser, url, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1250}, has_touch=True,
                                  bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.chainrule && window.chainrule.model !== null")
    box = page.locator("#pad").bounding_box()
    touch = context.new_cdp_session(page)
    x = box["x"] + box["width"] / 2
    for kind, top in [("touchStart", 40)] + [("touchMove", y) for y in range(50, 250, 10)]:
        touch.send("Input.dispatchTouchEvent",
                   {"type": kind, "touchPoints": [{"x": x, "y": box["y"] + top}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    settle(page)
    assert page.evaluate("window.chainrule.strokes.length") == 1
    assert page.evaluate("window.chainrule.strokes[0].points.length") > 10
    seen = np.array(page.evaluate("window.chainrule.latest.picture")).reshape(28, 28)
    columns = np.flatnonzero(seen.max(axis=0) > 0.5)
    rows = np.flatnonzero(seen.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] >= 15 and columns[-1] - columns[0] <= 6  # a tall, thin stroke
    assert page.locator("#bars").get_attribute("data-predicted") is not None
    page.screenshot(path=str(screenshots / "serve_touch.png"), full_page=True)
    context.close()


def test_the_page_works_under_its_policy_and_loads_nothing_from_elsewhere(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1250})
    page = context.new_page()
    errors, elsewhere = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith(url)
            or request.url.startswith("data:") else elsewhere.append(request.url))
    page.goto(url)
    page.locator("#model-source").filter(has_text="784-64-10").wait_for()
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 240, steps=10)
    page.mouse.up()
    page.locator("#cost[data-value]").wait_for()
    page.locator("#run-status").filter(has_text="no runs").or_(
        page.locator("#run-status").filter(has_text="epoch")).wait_for()
    context.close()
    assert errors == [] and elsewhere == []
