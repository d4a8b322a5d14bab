"""`chainrule serve` latency: from a canvas update to the rendered prediction and chain rule.

Serves a 784-512-10 network (a run's, or fresh weights of the MNIST shape: the work per
update does not depend on the weights) on 127.0.0.1, opens the page in Debian's chromium
through Playwright, draws MNIST test digits with mouse moves, and reads the page's own
timings: from sending a drawing to the rendered prediction, Jacobians and saliency, and from
the first stroke an update carries to the same (which adds the ~10/s throttle's wait). Also
times the server's share (preparation, explain, JSON) on the drawings the page sent.

Run: python benchmarks/bench_serve.py [--run RUN] [--digits 10]
"""

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import time
import urllib.request

import numpy as np

from chainrule.data import load_dataset
from chainrule.nn import MLP
from chainrule.serve import ServedModel, create_app, one_blas_thread
from chainrule.serve.picture import canvas_grey, network_input
from chainrule.training import load_model

POINTER_INTERVAL = 1 / 60
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a run directory or checkpoint (default: fresh weights)")
    parser.add_argument("--digits", type=int, default=10, help="MNIST test digits to draw")
    parser.add_argument("--data-dir", help="folder holding the MNIST files")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    one_blas_thread()
    if args.run:
        model, config = load_model(args.run)
        served = ServedModel(model, config, args.run)
    else:
        model = MLP(sizes=(784, 512, 10), rng=np.random.default_rng(0))
        served = ServedModel(model, {}, "fresh 784-512-10")
    images = load_dataset("mnist", data_dir=args.data_dir).test_images[: args.digits]
    with _serving(create_app(served, "runs")) as url:
        timings, sent = _draw_in_browser(url, images, args.chromium)
    server = [_server_seconds(served, payload) for payload in sent[-50:]]
    sizes = "-".join(map(str, served.describe()["sizes"]))
    print(f"chainrule serve, {sizes} ({served.source}): {len(timings['timings'])} updates "
          f"while drawing {len(images)} MNIST digits with the mouse")
    print(f"  drawing sent -> answer rendered       {_summary(timings['timings'])}")
    print(f"  drawing sent -> answer received       {_summary(timings['answered'])}")
    print(f"  first stroke sent -> answer rendered  {_summary(timings['sinceChange'])}")
    for k, what in enumerate(["fetch queued -> request sent", "request -> first byte",
                              "first byte -> last byte"]):
        print(f"  {what:<37} {_summary([row[k] for row in timings['http']])}")
    print(f"  server: prep, explain, JSON           {_summary([w for w, _ in server])}")
    print(f"  the same, CPU time of its thread      {_summary([c for _, c in server])}")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other "
          "processes stretch the wall-clock times)")


def _summary(milliseconds):
    ordered = sorted(milliseconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered):6.1f} ms   p90 {p90:6.1f} ms"


def _server_seconds(served, payload):
    """(wall-clock, CPU) milliseconds the server spends on one drawing, outside HTTP."""
    wall, cpu = time.perf_counter(), time.thread_time()
    picture = network_input(canvas_grey(payload["canvas"]), served.side)
    json.dumps(served.analysis(picture, payload.get("label")))
    return 1e3 * (time.perf_counter() - wall), 1e3 * (time.thread_time() - cpu)


class _serving:
    """uvicorn on a free port of 127.0.0.1 in a child process (as `chainrule serve` runs:
    the benchmark's own Python, which drives the browser, does not share its GIL)."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(app, self.port), daemon=True)

    def __enter__(self):
        self.process.start()
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/api/model", timeout=5).close()
                return url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join(10)


def _serve(app, port):
    import uvicorn

    one_blas_thread()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def _draw_in_browser(url, images, chromium):
    from playwright.sync_api import sync_playwright

    sent = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200}, bypass_csp=True)
        page.on("request", lambda request: sent.append(json.loads(request.post_data))
                if request.url.endswith("/api/analyze") else None)
        page.goto(url)
        page.wait_for_function("window.chainrule && window.chainrule.model !== null")
        page.fill("#pen", "14")
        for image in images:
            page.click("#clear")
            _draw(page, image)
            page.wait_for_function("document.body.dataset.busy === 'false'")
        timings = {name: page.evaluate(f"window.chainrule.{name}")
                   for name in ("timings", "answered", "sinceChange")}
        timings["http"] = page.evaluate("""performance.getEntriesByType("resource")
            .filter((e) => e.name.endsWith("/api/analyze"))
            .map((e) => [e.requestStart - e.startTime, e.responseStart - e.requestStart,
                         e.responseEnd - e.responseStart])""")
        browser.close()
    return timings, [payload for payload in sent if "canvas" in payload]


def _draw(page, image):
    """One mouse stroke along each run of inked pixels of each row of a 28x28 digit, at a
    hand's pace: a pointer event every 1/60 s, as a mouse reports it."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 28
    for row in range(28):
        inked = np.flatnonzero(image[row] > 100)
        for run in np.split(inked, np.flatnonzero(np.diff(inked) > 1) + 1) if len(inked) else []:
            y = box["y"] + (row + 0.5) * scale
            page.mouse.move(box["x"] + (run[0] + 0.5) * scale, y)
            page.mouse.down()
            for column in run[1::2]:
                time.sleep(POINTER_INTERVAL)
                page.mouse.move(box["x"] + (column + 0.5) * scale, y)
            page.mouse.up()
            time.sleep(POINTER_INTERVAL)


if __name__ == "__main__":
    main()
