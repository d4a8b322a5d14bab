"""`chainrule plot RUN_DIR`: a training run's figures as PNG files in the run directory."""

from chainrule.explain.run_plots import plot_run

DESCRIPTION = """\
Draw what a training run learned, as PNG files in its directory: training curves, the
confusion matrix, misclassified test digits, the first layer's weights as images and
saliency maps; plots.md lists them. Needs matplotlib: pip install "chainrule[plot]"."""


def add_parser(subparsers):
    """Add the `plot` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser("plot", help="draw a training run's figures (PNG)",
                                   description=DESCRIPTION)
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory of chainrule train")
    parser.add_argument("--data-dir", help="folder holding the data set's files")
    return parser


def run(args):
    """Plot the run; returns 0. Errors are ChainruleErrors, which `main` reports."""
    for path in plot_run(args.run_dir, data_dir=args.data_dir):
        print(f"wrote {path}")
    return 0
