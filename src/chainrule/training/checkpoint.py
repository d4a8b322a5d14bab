"""Checkpoint files: nested dicts of arrays and JSON values in one NumPy .npz, never pickle.

Arrays go into the zip as `.npy` members named by their path in the tree
(`model/layers.0.weight`, `optimizer/buffers/exp_avg/0`); everything else (numbers,
strings, generator states, metrics) goes into one JSON member, `meta.json`, stored as
bytes, where each array is replaced by {"__array__": its member name}. Reading uses
`np.load(allow_pickle=False)`, so a pickled object is refused, never executed.
"""

import json
import zipfile
from tokenize import TokenError

import numpy as np

from chainrule.errors import CheckpointError, reason
from chainrule.training.files import write_atomically

FORMAT = "chainrule-checkpoint"
VERSION = 1
META = "meta.json"
_ARRAY = "__array__"
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_MAGIC = b"\x80"
_PICKLED = ("holds pickled Python objects, which are refused (never unpickled): a checkpoint "
            "holds only numeric arrays")
_NOT_NPZ = "not a checkpoint: not a NumPy .npz file"
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError,
                UnicodeDecodeError, zipfile.LargeZipFile, NotImplementedError, SyntaxError,
                TokenError, RecursionError)


def save_checkpoint(path, tree):
    """Write `tree` (dicts, lists, arrays, JSON values) to the .npz file `path` atomically."""
    arrays = {}
    meta = {"format": FORMAT, "version": VERSION, "tree": _split(tree, [], arrays)}
    arrays[META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    write_atomically(path, lambda stream: np.savez(stream, **arrays))


def load_checkpoint(path):
    """The tree saved by `save_checkpoint`; CheckpointError naming `path` for any problem."""
    try:
        with open(path, "rb") as stream:
            magic = stream.read(len(_ZIP_MAGIC))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read: {reason(exc)}") from None
    if magic != _ZIP_MAGIC:
        problem = _PICKLED if magic.startswith(_PICKLE_MAGIC) else _NOT_NPZ
        raise CheckpointError(f"{path}: {problem}")
    try:
        _check_members(path)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except _READ_ERRORS as exc:
        problem = _PICKLED if "allow_pickle" in str(exc) else f"damaged: {reason(exc)}"
        raise CheckpointError(f"{path}: {problem}") from None
    if not all(isinstance(value, np.ndarray) for value in arrays.values()):
        raise CheckpointError(f"{path}: {_NOT_NPZ}")
    if META not in arrays:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (no {META} inside)")
    try:
        meta = json.loads(arrays.pop(META).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: {META} is not valid JSON: {reason(exc)}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else meta!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {meta.get('version')} is not "
                              f"supported (this chainrule reads version {VERSION})")
    used = set()
    tree = _join(meta.get("tree"), arrays, used, path)
    unexpected = sorted(set(arrays) - used)
    if unexpected:
        raise CheckpointError(f"{path}: unexpected arrays {', '.join(unexpected[:5])}")
    return tree


def _check_members(path):
    """Refuse members whose .npy header promises more data than the member holds.

    np.load allocates what a header declares before reading, so a header edited to claim
    terabytes would otherwise be allocated; here each member's shape x itemsize is checked
    against its stored size first (and pickled dtypes are refused).
    """
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, _, dtype = header(member)
                if dtype.hasobject:
                    raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
                declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                if declared > info.file_size:
                    raise ValueError(f"{info.filename} declares {declared} bytes of "
                                     f"{shape} {dtype} but holds {info.file_size}")


def _split(tree, path, arrays):
    """`tree` with arrays moved into `arrays` (by '/'-joined path) and replaced by markers."""
    if isinstance(tree, np.ndarray):
        name = "/".join(path)
        arrays[name] = tree
        return {_ARRAY: name}
    if isinstance(tree, dict):
        return {str(key): _split(value, [*path, str(key)], arrays) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_split(value, [*path, str(index)], arrays) for index, value in enumerate(tree)]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree


def _join(tree, arrays, used, path):
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY}:
            name = tree[_ARRAY]
            if not isinstance(name, str) or name not in arrays:
                raise CheckpointError(f"{path}: array {name} is missing (truncated or edited)")
            used.add(name)
            return arrays[name]
        return {key: _join(value, arrays, used, path) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_join(value, arrays, used, path) for value in tree]
    return tree

