"""What the data tests share: the real MNIST folder, tiny data sets, and a local HTTP server."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from chainrule.data.idx import write_idx
from chainrule.data.locate import FILES
from conftest import MNIST_DIR, requires_mnist  # noqa: F401 - re-exported for the data tests


def write_tiny_dataset(folder, label=0, train=3, test=2, gzip=True):
    """Write a tiny MNIST-style data set whose labels are all `label` (to tell folders apart)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(label)
    arrays = (
        rng.integers(0, 256, size=(train, 28, 28), dtype=np.uint8),
        np.full(train, label, dtype=np.uint8),
        rng.integers(0, 256, size=(test, 28, 28), dtype=np.uint8),
        np.full(test, label, dtype=np.uint8),
    )
    for name, array in zip(FILES, arrays, strict=True):
        write_idx(folder / (name if gzip else name.removesuffix(".gz")), array)
    return folder


@dataclass
class Route:
    """What the test server answers on one path: `body`, of which only `send` bytes go out.

    `length` is the Content-Length announced (default: all of `body`); sending less than
    that and closing is a connection that dies mid-stream. `pause` seconds pass between
    8 KiB chunks; `barrier`, if given, is waited on before the body is sent.
    """

    body: bytes
    send: int = None
    length: int = None
    pause: float = 0.0
    barrier: threading.Barrier = None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        send = len(route.body) if route.send is None else route.send
        self.send_response(200)
        length = len(route.body) if route.length is None else route.length
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if route.barrier is not None:
            route.barrier.wait(timeout=20)
        for start in range(0, send, 8192):
            self.wfile.write(route.body[start : min(start + 8192, send)])
            self.wfile.flush()
            if route.pause:
                threading.Event().wait(route.pause)

    def log_message(self, *args):
        pass


class LocalServer:
    """A real HTTP server on 127.0.0.1 (a free port) serving `routes`, in a thread."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def add(self, path, route):
        """Serve `route` at `path`; returns the URL of the folder holding it."""
        self.httpd.routes[path] = route
        return self.url + path.rsplit("/", 1)[0]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()
