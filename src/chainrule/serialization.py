"""`chainrule.save` / `chainrule.load`: PyTorch's habit for state dicts, as .npz, never pickle.

The file is a chainrule checkpoint (see `chainrule.training.checkpoint`): arrays as `.npy`
members of a zip, everything else as JSON, read back with `allow_pickle=False`.
"""

import numpy as np

from chainrule._core.tensor import Tensor
from chainrule.errors import CheckpointError

_PLAIN = (str, int, float, bool, type(None), np.ndarray, np.generic)


def save(obj, path):
    """Write `obj` (nested dicts/lists of arrays, Tensors, numbers, strings) to `path` as .npz.

    Tensors are stored as their arrays (detached). Anything else, such as a Module,
    raises CheckpointError naming where it sits: save `module.state_dict()` instead.
    """
    from chainrule.training.checkpoint import save_checkpoint

    save_checkpoint(path, _storable(obj, "obj", path))


def load(path):
    """The object saved by `save` (arrays as NumPy arrays, tuples as lists); never unpickles.

    Raises CheckpointError naming `path` for a missing, damaged or pickled file.
    """
    from chainrule.training.checkpoint import load_checkpoint

    return load_checkpoint(path)


def _storable(tree, where, path):
    """`tree` with Tensors replaced by their arrays, refusing what npz + JSON cannot hold."""
    if isinstance(tree, Tensor):
        return np.array(tree.data)
    if isinstance(tree, dict):
        return {key: _storable(value, f"{where}[{key!r}]", path) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_storable(value, f"{where}[{index}]", path) for index, value in enumerate(tree)]
    if isinstance(tree, _PLAIN):
        return tree
    hint = "; save its .state_dict()" if hasattr(tree, "state_dict") else ""
    raise CheckpointError(
        f"{path}: cannot save {where}, a {type(tree).__name__}: chainrule.save stores arrays, "
        f"numbers and strings in dicts and lists, never pickles{hint}"
    )
