"""`chainrule serve`: draw a digit in the browser and watch the chain rule of the network."""

import contextlib
import threading
import time
import webbrowser
from pathlib import Path

import uvicorn

from chainrule.serve import RunsRoot, ServedModel, create_app, one_blas_thread
from chainrule.training import TrainConfig, load_model, train
from chainrule.training.run_dir import RunDirectory

DEFAULT_RUNS = Path("runs")
TRAINED_HERE = "serve-digits"
DIGITS_CONFIG = {"dataset": "digits", "hidden": [64], "epochs": 30, "batch_size": 64,
                 "lr": 0.003}
"""The model serve trains when there is none: about 95% on the 8x8 digits in seconds."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(subparsers):
    """Add `serve` to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "serve", help="draw a digit in the browser and watch the chain rule, live",
        description="Serve a local page: draw a digit, see the network's prediction, the "
                    "cost C, dC/dy, the softmax Jacobian, dC/dz2, dC/dW2 and the saliency "
                    "for your drawing (the numbers `chainrule explain` prints), take SGD "
                    "steps on it, and follow a run's training curves. Needs the `web` "
                    "extra: pip install \"chainrule[web]\".")
    parser.add_argument("run_path", nargs="?", metavar="RUN",
                        help="a run directory or checkpoint (default: the newest run under "
                             "--runs, else a model trained now on the 8x8 digits)")
    parser.add_argument("--runs", metavar="DIR",
                        help="the runs root whose training curves the page may open "
                             "(default: runs/, or RUN's parent when RUN lies elsewhere)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    return parser


def run(args):
    """Serve until interrupted; returns 0."""
    runs_root = Path(args.runs) if args.runs else _default_runs(args.run_path)
    served = serve_model(args.run_path, runs_root)
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"chainrule serve: model {served.source}")
    print(f"chainrule serve: runs under {runs_root.resolve()}")
    if args.host not in LOOPBACK:
        print(f"chainrule serve: warning: listening on {args.host}, so other machines can "
              "open the page")
    one_blas_thread()
    server = uvicorn.Server(uvicorn.Config(create_app(served, runs_root), host=args.host,
                                           port=args.port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    if args.open:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    print(f"chainrule serve: open {url} (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is stopped
        server.run()
    print("chainrule serve: stopped")
    return 0


def serve_model(run, runs_root):
    """The ServedModel for RUN; without one the newest run under `runs_root`, else a model
    trained now on the 8x8 digits into `runs_root`/serve-digits."""
    if run:
        path = Path(run)
        model, config = load_model(path)
        return ServedModel(model, config, f"{run}", path if path.is_dir() else None)
    runs = RunsRoot(runs_root)
    newest = runs.newest_checkpoint()
    if newest is not None:
        model, config = load_model(newest)
        shown = Path(runs_root) / runs.name_of(newest)
        return ServedModel(model, config, f"{shown} (the newest run under {runs_root})",
                           newest)
    run_dir = runs_root / TRAINED_HERE
    if not (run_dir / RunDirectory.CHECKPOINT).is_file():
        print(f"chainrule serve: no run under {runs_root}; training a small model on "
              f"scikit-learn's 8x8 digits into {run_dir} (a few seconds)", flush=True)
        train(TrainConfig(**DIGITS_CONFIG), run_dir, progress=False, log=lambda message: None)
    model, config = load_model(run_dir)
    return ServedModel(model, config, f"{run_dir} (trained by serve on the 8x8 digits: no run "
                                      f"was under {runs_root})", run_dir)


def _default_runs(run):
    if run is None or not Path(run).is_dir():
        return DEFAULT_RUNS
    if Path(run).resolve().is_relative_to(DEFAULT_RUNS.resolve()):
        return DEFAULT_RUNS
    return Path(run).resolve().parent


def _open_when_started(server, url):
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        webbrowser.open(url)
