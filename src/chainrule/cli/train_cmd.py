"""`chainrule train`: train the MLP on MNIST (or Fashion-MNIST, or the 8x8 digits)."""

import argparse
import sys
import time
from pathlib import Path

from chainrule import _backend
from chainrule._backend import DeviceError
from chainrule.data import NAMES
from chainrule.optim.threads import set_threads
from chainrule.training import TrainConfig, train
from chainrule.training.config import (
    ACTIVATIONS,
    DEFAULT_LR,
    DTYPES,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
)
from chainrule.training.run_dir import RunDirectory, RunError

DESCRIPTION = """\
Train a multilayer perceptron (784-512-10 with ReLU by default) and write a run directory:
config.json, metrics.jsonl (one line per epoch), checkpoint.npz and results.json.
The same --seed gives the same loss curve, bit for bit; a killed run continues exactly
where its last checkpoint left it with --resume."""


def add_parser(subparsers):
    """Add `train` to an argparse subparsers object; every option defaults to None (unset)."""
    defaults = TrainConfig()
    parser = subparsers.add_parser(
        "train",
        help="train the MLP and save a run directory",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=NAMES,
        help=f"data set (default {defaults.dataset}; digits works offline, its test set a "
        "random stratified 20%% drawn with a fixed seed)",
    )
    data.add_argument("--data-dir", help="folder holding the IDX files (searched first)")
    data.add_argument(
        "--no-download",
        dest="download",
        action="store_const",
        const=False,
        help="fail instead of downloading a missing data set",
    )
    data.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_const",
        const=False,
        help="feed pixels in [0, 1] as they are, as the tutorial "
        "does (default: standardised by the training pixels' mean and std)",
    )
    data.add_argument(
        "--val-fraction",
        type=float,
        help=f"share of the training set held out (default {defaults.val_fraction})",
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--hidden",
        type=int,
        nargs="*",
        metavar="WIDTH",
        help="hidden layer widths (default 512; none: no hidden layer)",
    )
    model.add_argument("--activation", choices=ACTIVATIONS, help="default relu")
    model.add_argument("--dropout", type=float, help="dropout probability (default 0)")
    model.add_argument(
        "--loss",
        choices=LOSSES,
        help="fused softmax cross-entropy (default), or the tutorial's: a "
        "softmax layer and the cost's gradient -1/y_r",
    )
    model.add_argument("--label-smoothing", type=float, help="default 0")
    model.add_argument("--dtype", choices=DTYPES, help="default float32")
    fit = parser.add_argument_group("optimisation")
    fit.add_argument("--epochs", type=int, help=f"default {defaults.epochs}")
    fit.add_argument("--batch-size", type=int, help=f"default {defaults.batch_size}")
    fit.add_argument("--optimizer", choices=tuple(OPTIMIZERS), help="default adam")
    fit.add_argument(
        "--lr",
        type=float,
        help="learning rate (default: "
        + ", ".join(f"{name} {lr:g}" for name, lr in DEFAULT_LR.items())
        + ")",
    )
    fit.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    fit.add_argument("--nesterov", action="store_const", const=True, help="Nesterov momentum (SGD)")
    fit.add_argument("--weight-decay", type=float, help="default 0")
    fit.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning-rate schedule: cosine "
        "decay from --lr to 0 over the run (default), constant, or step (times "
        "--gamma every --step-epochs)",
    )
    fit.add_argument("--step-epochs", type=int, help=f"default {defaults.step_epochs}")
    fit.add_argument("--gamma", type=float, help=f"default {defaults.gamma}")
    fit.add_argument("--warmup-steps", type=int, help="linear warm-up steps (default 0)")
    fit.add_argument(
        "--seed", type=int, help="seeds weights, split, shuffling, dropout (default 0)"
    )
    run = parser.add_argument_group("run")
    run.add_argument(
        "--out", "--output-dir", dest="out", help="run directory (default runs/DATASET-DATE-TIME)"
    )
    run.add_argument(
        "--resume",
        nargs="?",
        const=True,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR (or --out) from its checkpoint",
    )
    run.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="STEPS",
        help="also checkpoint every STEPS steps (default: each epoch only)",
    )
    run.add_argument(
        "--detect-anomaly",
        action="store_true",
        help="check every op for NaN/inf and name the first op that makes one",
    )
    run.add_argument(
        "--device",
        help="where to train: cpu (default) or cuda (a GPU, through CuPy: pip install "
        "'chainrule[gpu]'); a resumed run may change it",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--threads", type=_positive_int, metavar="N",
                     help="BLAS threads for the training step (default: the BLAS's own)")
    return parser


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args):
    """Train from parsed arguments; prints one summary line per epoch. Returns 0."""
    given = {
        name: value
        for name, value in vars(args).items()
        if name in TrainConfig.__dataclass_fields__ and value is not None
    }
    if args.resume:
        out = args.out if args.resume is True else args.resume
        if out is None:
            raise RunError("--resume needs the run directory: --resume RUN_DIR or --out RUN_DIR")
        if args.out is not None and Path(args.out).resolve() != Path(out).resolve():
            raise RunError(f"--resume {out} continues that run in its own folder; --out "
                           f"{args.out} names another one (drop --out, or start a new run)")
        config = TrainConfig.from_dict({**RunDirectory(out).read_config(), **given})
        if "device" not in given:
            _check_recorded_device(config.device, out)
    else:
        config = TrainConfig(**given)
        out = args.out or _default_out(config)
    if args.threads:
        set_threads(args.threads)
    try:
        results = train(
            config,
            out,
            resume=bool(args.resume),
            progress=not args.quiet,
            detect_anomaly=args.detect_anomaly,
        )
    except KeyboardInterrupt:
        if RunDirectory(out).checkpoint_path.exists():
            advice = f"continue from the last checkpoint with: chainrule train --resume {out}"
        else:
            advice = "no checkpoint had been written yet, so there is nothing to resume"
        print(f"chainrule train: interrupted; {advice}", file=sys.stderr)
        return 130
    accuracy = results["test_accuracy"]
    shown = "n/a" if accuracy is None else f"{100 * accuracy:.2f}%"
    print(f"test accuracy {shown} after {results['epochs']} epochs; run saved in {out}")
    return 0


def _check_recorded_device(device, out):
    """A run recorded on a device this machine lacks resumes here with --device cpu."""
    try:
        _backend.device_backend(device)
    except DeviceError as error:
        raise DeviceError(
            f"{error}; the run in {out} was trained with --device {device}: resume it here "
            "with --device cpu (checkpoints are host copies, so any device can continue it)"
        ) from None


def _default_out(config):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path("runs") / f"{config.dataset}-{stamp}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = Path("runs") / f"{config.dataset}-{stamp}-{suffix}"
    return path
