"""`chainrule explain`: the tutorial's chain rule for one image, with real numbers, checked."""

import json
import math
import sys

import numpy as np

from chainrule.errors import ChainruleError
from chainrule.explain import (
    TUTORIAL_LABEL,
    TUTORIAL_Y,
    chain_function,
    derivation,
    explain,
    format_derivation,
    forward,
    graph,
    model_layers,
    network_stages,
    plot_derivation,
    with_output,
    write_graph,
)

DESCRIPTION = """\
Print the chain rule of the MNIST network for one test image, as the tutorial derives it:
C, dC/dy, the softmax Jacobian dy/dz2, dz2/dW2, their product dC/dW2 and the shortcut
dC/dz2 = y - onehot, each checked against backpropagation and finite differences."""


def add_parser(subparsers):
    """Add the `explain` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser("explain", help="show every Jacobian of the chain rule",
                                   description=DESCRIPTION)
    parser.add_argument("checkpoint", nargs="?", metavar="RUN_OR_CHECKPOINT",
                        help="a run directory or checkpoint (default: a freshly initialised "
                             "784-512-10 network)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--index", type=int, help="test image index (default 0)")
    source.add_argument("--image", metavar="FILE", help="a picture of a digit (PNG, JPEG, "
                                                        ".npy) instead of a test image")
    parser.add_argument("--label", type=int,
                        help="the true class r (default: the test image's label; for --image "
                             "the predicted class)")
    parser.add_argument("--tutorial", action="store_true",
                        help="the tutorial's own example: b2 set so that y = [.01 .11 .31 .11 "
                             ".21 .01 .01 .01 .21 .01], true class 2")
    parser.add_argument("--dataset", help="data set of the test image (default: the run's, "
                                          "else mnist)")
    parser.add_argument("--data-dir", help="folder holding the data set's files")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the fresh network and of the finite-difference samples")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--plot", metavar="FILE.png", help="write heatmaps of the Jacobians")
    parser.add_argument("--graph", metavar="FILE",
                        help="write the computation graph (.dot; .svg/.png with Graphviz)")
    return parser


def run(args):
    """Explain one image; returns 0. Errors are ChainruleErrors, which `main` reports."""
    if args.seed < 0:
        raise ChainruleError(f"--seed must be a non-negative integer, got {args.seed}")
    model, config, network = _network(args)
    dense, activations = model_layers(model)
    x, label, image, pixels = _input(args, config, dense, activations, _standardizer(model))
    if args.label is not None:
        label = _checked_label(args.label, dense)
    explained = dense
    if args.tutorial:
        if dense[-1][0].shape[0] != TUTORIAL_Y.size:
            raise ChainruleError(f"--tutorial needs a network with {TUTORIAL_Y.size} outputs; "
                                 f"this one has {dense[-1][0].shape[0]}")
        explained = with_output(dense, activations, x, TUTORIAL_Y)
        label = TUTORIAL_LABEL
        network += "; b2 set so that y is the tutorial's"
    explanation = explain(network_stages(explained, activations, label), x, seed=args.seed)
    report = {"network": network, "input": image, **derivation(explanation, label)}
    if args.image:
        report["pixels"] = pixels.reshape(_square(pixels.size)).tolist()
    notices = []
    if args.plot:
        written = plot_derivation(explanation, label, args.plot, pixels=pixels,
                                  input_std=float(getattr(model, "input_std", 1.0)))
        notices.append(f"wrote {written}")
    if args.graph:  # the model's own network, in its own dtype
        source = graph(chain_function(network_stages(dense, activations, label)),
                       x.astype(dense[0][0].dtype), title="mnist_network")
        written = write_graph(source, args.graph)
        notices.append(f"wrote {written}" + ("" if str(written) == args.graph else
                                             " (Graphviz `dot` is not installed: DOT source)"))
    print(json.dumps(report, indent=1) if args.json else format_derivation(report))
    for notice in notices:
        print(notice, file=sys.stderr if args.json else sys.stdout)
    return 0


def _network(args):
    """(model, config, description) from the checkpoint, or a fresh 784-512-10 MLP."""
    if args.checkpoint:
        from chainrule.training import load_model

        model, config = load_model(args.checkpoint)
        return model, config, f"checkpoint {args.checkpoint}"
    from chainrule.nn import MLP

    model = MLP(sizes=(784, 512, 10), rng=np.random.default_rng(args.seed))
    return model, {}, f"freshly initialised (seed {args.seed})"


def _standardizer(model):
    """What the model does to pixels before its first layer (the chain starts after it)."""
    if getattr(model, "input_mean", 0.0) == 0.0 and getattr(model, "input_std", 1.0) == 1.0:
        return lambda x: x
    mean, std = float(model.input_mean), float(model.input_std)
    return lambda x: (x - mean) / std


def _input(args, config, dense, activations, standardize):
    """(x in float64, true class, description, pixels) for --image, --index or the tutorial.

    pixels are the picture as the network gets it, in [0, 1] (for --image, the picture
    prepared as MNIST's digits were); x is what the first dense layer sees: pixels
    standardised as the model was trained.
    """
    size = dense[0][0].shape[1]
    if args.image:
        from chainrule.data import load_digit_image

        pixels = load_digit_image(args.image).reshape(-1).astype(np.float64)
        x = standardize(pixels)
        _check_size(x, size, args.image)
        predicted = int(np.argmax(forward(dense, activations, x)))
        return x, predicted, f"{args.image}" + (" (label: predicted)" if args.label is None
                                                else ""), pixels
    if args.tutorial and args.index is None:
        pixels = np.random.default_rng(args.seed).uniform(0.0, 1.0, size)
        return (standardize(pixels), TUTORIAL_LABEL,
                f"{size} pixels drawn uniformly from [0, 1] (seed {args.seed})", pixels)
    from chainrule.data import load_dataset, to_float

    name = args.dataset or config.get("dataset", "mnist")
    dataset = load_dataset(name, data_dir=args.data_dir or config.get("data_dir"))
    index = args.index or 0
    if not 0 <= index < len(dataset.test_images):
        raise ChainruleError(f"--index {index} is outside the {len(dataset.test_images)} "
                             f"test images of {name}")
    pixels = to_float(dataset.test_images[index : index + 1])[0].astype(np.float64)
    x = standardize(pixels)
    _check_size(x, size, f"{name} test image {index}")
    return x, int(dataset.test_labels[index]), f"{name} test image {index}", pixels.ravel()


def _square(size):
    """(side, side) for a square number of pixels (784 -> 28x28), else (1, size)."""
    side = math.isqrt(size)
    return (side, side) if side * side == size else (1, size)


def _checked_label(label, dense):
    classes = dense[-1][0].shape[0]
    if not 0 <= label < classes:
        raise ChainruleError(f"--label {label} is not one of the network's {classes} classes "
                             f"(0 to {classes - 1})")
    return label


def _check_size(x, size, what):
    if x.size != size:
        raise ChainruleError(f"{what} has {x.size} pixels but the network takes {size} inputs")

