"""load_model: a trained model and its run config from a run directory or checkpoint file."""

from itertools import pairwise
from pathlib import Path

import numpy as np

from chainrule.errors import CheckpointError
from chainrule.training.checkpoint import load_checkpoint
from chainrule.training.config import ACTIVATIONS, DTYPES, LOSSES, build_model
from chainrule.training.run_dir import RunDirectory


def checkpoint_file(path):
    """The checkpoint a path means: the file itself, or a run directory's checkpoint.npz."""
    path = Path(path)
    return path / RunDirectory.CHECKPOINT if path.is_dir() else path


def load_model(path):
    """(model in eval mode, run config dict) from a run directory or a checkpoint file.

    Raises CheckpointError, naming the file, for a missing, unreadable, unsafe (pickled),
    truncated or edited checkpoint, or one whose arrays do not fit its architecture.
    """
    file = checkpoint_file(path)
    checkpoint = load_checkpoint(file)
    config, state = checked_contents(checkpoint, file)
    model = build_model(config, np.random.default_rng(0))
    restore_model(model, state, file)
    return model.eval(), config


def checked_contents(checkpoint, file):
    """(run config, model state) of a loaded checkpoint, checked before anything is built."""
    config = checkpoint.get("config")
    state = checkpoint.get("model")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise CheckpointError(f"{file}: has no model config or no model state")
    sizes = config.get("sizes")
    valid = (
        isinstance(sizes, list) and len(sizes) >= 2
        and all(isinstance(size, int) and size >= 1 for size in sizes)
        and config.get("activation") in ACTIVATIONS and config.get("dtype") in DTYPES
        and config.get("loss") in LOSSES
        and isinstance(config.get("dropout"), (int, float)) and 0 <= config["dropout"] < 1
    )
    if not valid:
        raise CheckpointError(f"{file}: its model config is invalid (sizes {sizes!r}, "
                              f"activation {config.get('activation')!r}, "
                              f"dtype {config.get('dtype')!r})")
    expected = sum(fan_out * fan_in + fan_out for fan_in, fan_out in pairwise(sizes))
    stored = sum(np.asarray(value).size for value in state.values())
    if stored != expected:
        raise CheckpointError(
            f"{file}: holds {stored} weights but its config describes an MLP "
            f"{'-'.join(map(str, sizes))} with {expected}: it is for another architecture")
    return config, state


def restore_model(model, state, file):
    """Load `state` into `model`, naming `file` in any error."""
    try:
        model.load_state_dict(state)
    except CheckpointError as exc:
        raise CheckpointError(f"{file}: {exc}") from None
