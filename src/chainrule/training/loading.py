"""load_model: a trained model and its run config from a run directory or checkpoint file."""

import math
from itertools import pairwise
from pathlib import Path

import numpy as np

from chainrule.errors import CheckpointError
from chainrule.training.checkpoint import load_checkpoint
from chainrule.training.config import build_model
from chainrule.training.run_dir import RunDirectory
from chainrule.training.schema import REQUIRED_MODEL_KEYS, config_problems, parameter_count


def checkpoint_file(path):
    """The checkpoint a path means: the file itself, or a run directory's checkpoint.npz."""
    path = Path(path)
    return path / RunDirectory.CHECKPOINT if path.is_dir() else path


def load_model(path, device="cpu"):
    """(model in eval mode on `device`, run config dict) from a run directory or a checkpoint
    file.

    Raises CheckpointError, naming the file, for a missing, unreadable, unsafe (pickled),
    truncated or edited checkpoint, one whose arrays do not fit its architecture, or one
    whose weights are not finite.
    """
    file = checkpoint_file(path)
    checkpoint = load_checkpoint(file, expected=model_arrays)
    config, state = checked_contents(checkpoint, file)
    model = build_model(config, np.random.default_rng(0), device)
    restore_model(model, state, file)
    return model.eval(), config


def model_arrays(tree):
    """For load_checkpoint: every array must fit the MLP that the tree's config describes.

    No array may hold more values than the model's largest weight matrix, and all of them
    together no more than the model and three optimiser buffers per weight.
    """
    config = _checked_config(tree.get("config") if isinstance(tree, dict) else None)
    sizes = config["sizes"]
    largest = max(fan_in * fan_out for fan_in, fan_out in pairwise(sizes))
    left = [4 * parameter_count(sizes)]

    def check(name, shape, dtype):
        values = math.prod(shape)
        left[0] -= values
        if values > largest or left[0] < 0:
            return (f"more values than the MLP {'-'.join(map(str, sizes))} of its config holds: "
                    "it is for another architecture")
        return None

    return check


def _checked_config(config):
    if not isinstance(config, dict):
        raise CheckpointError("has no model config or no model state")
    found = config_problems(config, REQUIRED_MODEL_KEYS)
    if found:
        raise CheckpointError(f"its model config is invalid: {'; '.join(found)}")
    return config


def checked_contents(checkpoint, file):
    """(run config, model state) of a loaded checkpoint, checked before anything is built."""
    config = checkpoint.get("config")
    state = checkpoint.get("model")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise CheckpointError(f"{file}: has no model config or no model state")
    try:
        _checked_config(config)
    except CheckpointError as exc:
        raise CheckpointError(f"{file}: {exc}") from None
    sizes = config["sizes"]
    expected = parameter_count(sizes)
    stored = sum(np.asarray(value).size for value in state.values())
    if stored != expected:
        raise CheckpointError(
            f"{file}: holds {stored} weights but its config describes an MLP "
            f"{'-'.join(map(str, sizes))} with {expected}: it is for another architecture")
    not_finite = sorted(name for name, value in state.items()
                        if not np.isfinite(np.asarray(value)).all())
    if not_finite:
        raise CheckpointError(f"{file}: weights {', '.join(not_finite[:3])} hold NaN or "
                              "infinite values; refused")
    return config, state


def restore_model(model, state, file):
    """Load `state` into `model`, naming `file` in any error."""
    try:
        model.load_state_dict(state)
    except CheckpointError as exc:
        raise CheckpointError(f"{file}: {exc}") from None
