"""Training: the loop, checkpoints, the run directory, evaluation and load_model."""

from chainrule.training.checkpoint import load_checkpoint, save_checkpoint
from chainrule.training.config import (
    ConfigError,
    TrainConfig,
    build_model,
    build_optimizer,
    build_schedule,
)
from chainrule.training.evaluation import (
    class_scores,
    confusion_matrix,
    evaluate,
    format_confusion,
    per_class_accuracy,
    probabilities,
)
from chainrule.training.loading import load_model
from chainrule.training.run_dir import RunDirectory, RunError
from chainrule.training.splits import Splits, load_splits
from chainrule.training.trainer import Trainer, TrainingDiverged, train

__all__ = [
    "ConfigError", "RunDirectory", "RunError", "Splits", "TrainConfig", "Trainer",
    "TrainingDiverged",
    "build_model", "build_optimizer", "build_schedule", "class_scores", "confusion_matrix",
    "evaluate", "format_confusion", "load_checkpoint", "load_model", "load_splits",
    "per_class_accuracy", "probabilities", "save_checkpoint", "train",
]
