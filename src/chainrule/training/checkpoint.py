"""Checkpoint files: nested dicts of arrays and JSON values in one NumPy .npz, never pickle.

Arrays go into the zip as `.npy` members named by their path in the tree
(`model/layers.0.weight`, `optimizer/buffers/exp_avg/0`); everything else (numbers,
strings, generator states, metrics) goes into one JSON member, `meta.json`, stored as
bytes, where each array is replaced by {"__array__": its member name}. Reading parses
each .npy header itself and refuses object dtypes, so a pickle is refused, never executed.
"""

import json
import math
import struct
import zipfile
from tokenize import TokenError

import numpy as np

from chainrule import _backend
from chainrule._reading import NPY_HEADER_READERS, open_regular, read_npy_header, regular_file_size
from chainrule.errors import CheckpointError, reason
from chainrule.training.files import write_atomically
from chainrule.training.schema import MAX_JSON_BYTES, parse_json

FORMAT = "chainrule-checkpoint"
VERSION = 1
META = "meta.json"
MAX_MEMBERS = 4096
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 320
MAX_ARRAY_BYTES = 2**30
"""All arrays of a checkpoint together, whatever its config says (a 784-65536-10 model
with Adam's two buffers is 600 MiB)."""
DEFLATE_RATIO = 1032
"""Deflate cannot expand data more than this, so a member's compressed stream bounds the
bytes it can really hold, whatever its .npy header or the zip directory claim."""

_ARRAY = "__array__"
_ZIP_MAGIC = b"PK\x03\x04"
_END_OF_DIRECTORY = b"PK\x05\x06"
_PICKLE_MAGIC = b"\x80"
_PICKLED = ("holds pickled Python objects, which are refused (never unpickled): a checkpoint "
            "holds only numeric arrays")
_NOT_NPZ = "not a checkpoint: not a NumPy .npz file"
_CHUNK = 1 << 20
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError,
                UnicodeDecodeError, zipfile.LargeZipFile, NotImplementedError, SyntaxError,
                TokenError, RecursionError, struct.error, OverflowError,
                RuntimeError)  # zipfile raises RuntimeError for an encrypted member
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""np.savez stores, np.savez_compressed deflates; other methods expand without a bound."""


def save_checkpoint(path, tree):
    """Write `tree` (dicts, lists, arrays, JSON values) to the .npz file `path` atomically.

    Arrays on a device are written from host copies: the file is the same from any device.
    """
    arrays = {}
    meta = {"format": FORMAT, "version": VERSION, "tree": _split(tree, [], arrays)}
    arrays[META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    write_atomically(path, lambda stream: np.savez(stream, **arrays))


def load_checkpoint(path, expected=None):
    """The tree saved by `save_checkpoint`; CheckpointError naming `path` for any problem.

    Nothing is trusted before it is bounded: the member count and directory size come
    first, then duplicate and non-.npy names, then meta.json (bounded, nesting limited),
    which says which arrays belong; unknown members are refused by name before their data
    is read. Each array's declared size must fit its compressed stream, MAX_ARRAY_BYTES in
    all, and `expected(tree)`'s check when given (a function of the metadata tree that
    returns `check(name, shape, dtype)` -> a problem or None, or raises CheckpointError).
    Data is read in chunks into the declared size only; a member that holds more is refused.
    """
    with open_regular(path, CheckpointError, "checkpoint file") as stream:
        size = regular_file_size(stream)
        magic = stream.read(len(_ZIP_MAGIC))
        if magic != _ZIP_MAGIC:
            problem = _PICKLED if magic.startswith(_PICKLE_MAGIC) else _NOT_NPZ
            raise CheckpointError(f"{path}: {problem}")
        try:
            return _read(stream, size, path, expected)
        except CheckpointError:
            raise
        except MemoryError:
            raise CheckpointError(f"{path}: its arrays do not fit in memory") from None
        except _READ_ERRORS as exc:
            raise CheckpointError(f"{path}: damaged: {reason(exc)}") from None


def _read(stream, size, path, expected):
    _check_directory(stream, size, path)
    with zipfile.ZipFile(stream) as archive:
        members = _members(archive, path)
        if META not in members:
            raise CheckpointError(f"{path}: not a chainrule checkpoint (no {META} inside)")
        budget = _Budget(size)
        meta_bytes = _read_array(archive, members[META], path, budget,
                                 lambda name, shape, dtype: _meta_problem(shape, dtype))
        meta = _meta(meta_bytes, path)
        tree = meta.get("tree")
        referenced = set()
        _references(tree, referenced)
        check = None
        if expected is not None:
            try:
                check = expected(tree)
            except CheckpointError as exc:
                raise CheckpointError(f"{path}: {exc}") from None
        unexpected = sorted(set(members) - referenced - {META})
        if unexpected:
            raise CheckpointError(f"{path}: unexpected arrays {', '.join(unexpected[:5])}")
        missing = sorted(referenced - set(members))
        if missing:
            raise CheckpointError(f"{path}: array {missing[0]} is missing (truncated or edited)")
        headers = {name: _header(archive, info, path, budget, check)
                   for name, info in members.items() if name != META}
        arrays = {name: _read_data(archive, members[name], header, path)
                  for name, header in headers.items()}
    return _join(tree, arrays)


def _check_directory(stream, size, path):
    """Refuse a zip whose end record announces too many members or too large a directory,
    before zipfile parses the directory."""
    tail_size = min(size, 22 + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = len(tail) - 22 if tail[-22:-18] == _END_OF_DIRECTORY else tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no zip directory at its end (truncated?)")
    count, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if count > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise CheckpointError(f"{path}: its zip directory lists {count} members in "
                              f"{directory_bytes} bytes, over the limit of {MAX_MEMBERS} "
                              "members; refused without reading them")
    stream.seek(0)


def _members(archive, path):
    """{array name: ZipInfo}; refuses too many members, duplicates and non-.npy names."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(f"{path}: its zip directory lists {len(infos)} members, over "
                              f"the limit of {MAX_MEMBERS} members")
    members = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise CheckpointError(f"{path}: member {info.filename!r} is not a .npy array")
        if info.compress_type not in _COMPRESSIONS or info.flag_bits & 0x1:
            raise CheckpointError(f"{path}: member {info.filename!r} is encrypted or uses "
                                  f"compression method {info.compress_type}; a checkpoint's "
                                  "members are stored or deflated")
        name = info.filename.removesuffix(".npy")
        if name in members:
            raise CheckpointError(f"{path}: member {info.filename!r} appears twice")
        members[name] = info
    return members


class _Budget:
    """What the arrays may still claim: MAX_ARRAY_BYTES in all, and no more than a member's
    compressed bytes can expand to."""

    def __init__(self, file_size):
        self.file_size = file_size
        self.left = MAX_ARRAY_BYTES

    def claim(self, info, declared):
        """None if `declared` bytes fit; otherwise the problem, in words."""
        compressed = min(info.compress_size, self.file_size)
        ratio = 1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_RATIO
        if declared > compressed * ratio + 64:
            return (f"declares {declared} bytes but its {compressed} compressed bytes hold at "
                    f"most {compressed * ratio}")
        if declared > self.left:
            return f"declares {declared} bytes, over the {MAX_ARRAY_BYTES}-byte limit in all"
        self.left -= declared
        return None


def _header(archive, info, path, budget, check):
    """(shape, dtype, fortran_order, declared bytes) of a member's .npy header, checked."""
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in NPY_HEADER_READERS:
            raise ValueError(f"{info.filename}: unsupported .npy version {version}")
        shape, fortran, dtype = read_npy_header(version, member)
    if dtype.hasobject:
        raise CheckpointError(f"{path}: {_PICKLED}")
    if dtype.kind not in "biuf":
        raise CheckpointError(f"{path}: array {name} has dtype {dtype}, not a number type")
    declared = math.prod(shape) * dtype.itemsize
    problem = budget.claim(info, declared) or (
        check(name, shape, dtype) if check is not None else None)
    if problem:
        raise CheckpointError(f"{path}: array {name} of shape {shape} {dtype}: {problem}")
    return shape, dtype, fortran, declared


def _read_array(archive, info, path, budget, check):
    return _read_data(archive, info, _header(archive, info, path, budget, check), path)


def _read_data(archive, info, header, path):
    """The member's values, read in chunks into exactly the declared bytes."""
    shape, dtype, fortran, declared = header
    values = np.empty(declared, dtype=np.uint8)
    view = memoryview(values)
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_npy_header(version, member)
        filled = 0
        while filled < declared:
            count = member.readinto(view[filled : filled + _CHUNK])
            if not count:
                raise CheckpointError(f"{path}: array {info.filename} is truncated: its header "
                                      f"declares {declared} bytes, it holds {filled}")
            filled += count
        if member.read(1):
            raise CheckpointError(f"{path}: array {info.filename} holds more data than the "
                                  f"{declared} bytes its header declares")
    return values.view(dtype).reshape(shape, order="F" if fortran else "C")


def _meta_problem(shape, dtype):
    if len(shape) != 1 or dtype != np.uint8:
        return "meta.json must be a 1-D uint8 array"
    if shape[0] > MAX_JSON_BYTES:
        return f"over the {MAX_JSON_BYTES}-byte limit of meta.json"
    return None


def _meta(data, path):
    try:
        meta = parse_json(data.tobytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: {META} is not valid JSON: {reason(exc)}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else meta!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {meta.get('version')} is not "
                              f"supported (this chainrule reads version {VERSION})")
    return meta


def _references(tree, names):
    """Collect into `names` the array member names the metadata tree refers to."""
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY} and isinstance(tree[_ARRAY], str):
            names.add(tree[_ARRAY])
        for value in tree.values():
            _references(value, names)
    elif isinstance(tree, list):
        for value in tree:
            _references(value, names)


def _split(tree, path, arrays):
    """`tree` with arrays moved into `arrays` (by '/'-joined path) and replaced by markers."""
    if not isinstance(tree, (np.ndarray, np.generic)) and _backend.is_array(tree):
        tree = _backend.to_host(tree)
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


def _join(tree, arrays):
    """The metadata tree with each array marker replaced by its array."""
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY} and isinstance(tree[_ARRAY], str):
            return arrays[tree[_ARRAY]]
        return {key: _join(value, arrays) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_join(value, arrays) for value in tree]
    return tree

