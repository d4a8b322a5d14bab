"""`chainrule predict`: the digit (or class) in each picture, with its probabilities."""

import sys

from chainrule._backend import to_host
from chainrule.data import load_digit_image
from chainrule.errors import ChainruleError, CheckpointError
from chainrule.training import load_model, probabilities
from chainrule.training.loading import checkpoint_file


def add_parser(subparsers):
    """Add `predict` to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "predict", help="classify pictures of digits with a trained model",
        description="Classify pictures (PNG, JPEG, .npy), converted as MNIST was made: grey, "
                    "light ink on dark, fitted to 20x20 and centred by mass in 28x28.")
    parser.add_argument("path", metavar="RUN_OR_CHECKPOINT",
                        help="a run directory or a checkpoint.npz")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="picture files")
    parser.add_argument("--device", default="cpu",
                        help="where to compute: cpu (default) or cuda")
    return parser


def run(args):
    """Print each picture's predicted class and the probability of every class.

    Returns 0, or 1 if any picture could not be read (the others are still classified).
    """
    model, config = load_model(args.path, args.device)
    if model.sizes[0] != 28 * 28:
        raise CheckpointError(
            f"{checkpoint_file(args.path)}: the model takes {model.sizes[0]} inputs "
            f"({config.get('dataset')} images), but predict makes 28x28 MNIST-style inputs")
    classes = config.get("classes") or [str(k) for k in range(model.sizes[-1])]
    failures = 0
    for path in args.images:
        try:
            pixels = load_digit_image(path)
        except ChainruleError as exc:
            print(f"chainrule predict: error: {exc}", file=sys.stderr)
            failures += 1
            continue
        rows = pixels.reshape(1, -1).astype(model.dtype)
        shares = to_host(probabilities(model, rows)[0])
        best = int(shares.argmax())
        listing = "  ".join(f"{name}:{share:.3f}" for name, share in zip(classes, shares,
                                                                          strict=True))
        print(f"{path}: {classes[best]} ({100 * shares[best]:.1f}%)  {listing}")
    return 1 if failures else 0
