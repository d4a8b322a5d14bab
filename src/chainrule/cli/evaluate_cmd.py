"""`chainrule evaluate`: accuracy, per-class accuracy and confusion matrix of a trained model."""

from chainrule.errors import CheckpointError
from chainrule.training import (
    confusion_matrix,
    evaluate,
    format_confusion,
    load_model,
    load_splits,
    per_class_accuracy,
)
from chainrule.training.loading import checkpoint_file

SPLITS = ("test", "val", "train")


def add_parser(subparsers):
    """Add `evaluate` to an argparse subparsers object."""
    parser = subparsers.add_parser("evaluate", help="accuracy and confusion matrix of a model",
                                   description="Evaluate a trained model on its data set.")
    parser.add_argument("path", metavar="RUN_OR_CHECKPOINT",
                        help="a run directory or a checkpoint.npz")
    parser.add_argument("--split", choices=SPLITS, default="test", help="default test")
    parser.add_argument("--data-dir", help="folder holding the data set (default: the run's)")
    parser.add_argument("--no-download", dest="download", action="store_false",
                        help="fail instead of downloading a missing data set")
    parser.add_argument("--device", default="cpu",
                        help="where to compute: cpu (default) or cuda")
    return parser


def run(args):
    """Print the accuracy, per-class accuracy and confusion matrix. Returns 0."""
    model, config = load_model(args.path, args.device)
    splits = load_splits(config["dataset"], args.data_dir or config.get("data_dir"),
                         args.download, config["val_fraction"], config["seed"], config["dtype"])
    images = getattr(splits, f"{args.split}_x")
    labels = getattr(splits, f"{args.split}_y")
    if images.shape[1] != model.sizes[0]:
        raise CheckpointError(f"{checkpoint_file(args.path)}: the model takes {model.sizes[0]} "
                              f"inputs but {config['dataset']} images have {images.shape[1]}")
    if not len(labels):
        raise CheckpointError(f"{checkpoint_file(args.path)}: the {args.split} split is empty")
    result = evaluate(model, images, labels)
    classes = config.get("classes") or [str(k) for k in range(model.sizes[-1])]
    matrix = confusion_matrix(labels, result["predictions"], len(classes))
    correct = int(matrix.trace())
    print(f"{checkpoint_file(args.path)}: MLP {'-'.join(map(str, model.sizes))} "
          f"{config['activation']}, {config['dataset']} {args.split} split")
    print(f"accuracy {100 * result['accuracy']:.2f}% ({correct}/{len(labels)}), "
          f"loss {result['loss']:.4f}")
    print("per-class accuracy:")
    width = max(len(str(name)) for name in classes)
    for name, share, total in zip(classes, per_class_accuracy(matrix), matrix.sum(axis=1),
                                  strict=True):
        shown = "   n/a" if total == 0 else f"{100 * share:6.2f}%"
        print(f"  {str(name).rjust(width)}  {shown}  ({int(round(share * total)) if total else 0}"
              f"/{total})")
    print("confusion matrix (rows: true class, columns: predicted class):")
    print(format_confusion(matrix, classes))
    return 0
