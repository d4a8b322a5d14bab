"""One schema for what a run stores as JSON: config.json and a checkpoint's metadata.

Each value is checked for its type (a bool is never a number, "128" is never an integer)
and its range; every problem gets its own message, and callers join them into one line
naming the file. JSON is parsed only after its size and nesting depth are bounded.
"""

import json
import math
import re
from itertools import pairwise
from typing import NamedTuple

import numpy as np

MAX_JSON_BYTES = 16 * 2**20
MAX_DEPTH = 32
MAX_WIDTH = 65536
MAX_LAYERS = 64
MAX_INPUTS = 2**24
"""The widest input layer a checkpoint may describe (pixels of an image)."""
MAX_PARAMETERS = 2**27
"""134M weights (512 MiB in float32): far above MNIST's 784-512-10 and refused before any
array is allocated, so a typo such as --hidden 100000000 costs nothing."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def parse_json(data):
    """The JSON value in `data` (bytes or str); ValueError if too large, too deep or invalid."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(f"{len(data)} bytes of JSON, over the {MAX_JSON_BYTES}-byte limit")
    brackets = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    steps = np.isin(brackets, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(brackets, (ord("]"), ord("}")))
    depth = int(np.cumsum(steps).max(initial=0))
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON nested {depth} deep, over the limit of {MAX_DEPTH}")
    return json.loads(data.decode())


class Spec(NamedTuple):
    """What a value must be: an accepted Python type and a range, in words for the message."""

    kind: str
    ok: object = None
    wanted: str = ""
    optional: bool = False


_KIND_WORDS = {"number": "a finite number", "float": "a number", "int": "an integer",
               "str": "a string", "bool": "true or false", "list": "a list",
               "dict": "a JSON object"}


def _is(kind, value):
    if isinstance(value, bool):
        return kind == "bool"
    if kind == "int":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, (int, float)) and math.isfinite(value)
    if kind == "float":
        return isinstance(value, (int, float))
    return isinstance(value, {"str": str, "bool": bool, "list": list, "dict": dict}[kind])


def _integer(low, high=2**63 - 1):
    return Spec("int", lambda v: low <= v <= high, f"an integer in [{low}, {high}]")


def _number(ok, wanted):
    return Spec("number", ok, wanted)


def _choice(*allowed):
    return Spec("str", lambda v: v in allowed, f"one of {', '.join(allowed)}")


def _widths(low):
    return Spec("list", lambda v: all(_is("int", w) and low <= w <= MAX_WIDTH for w in v)
                and len(v) <= MAX_LAYERS,
                f"a list of at most {MAX_LAYERS} integer widths in [{low}, {MAX_WIDTH}]")


def train_fields():
    """The spec of every TrainConfig field (the options of `chainrule train`)."""
    from chainrule.data import NAMES
    from chainrule.training.config import (
        ACTIVATIONS,
        DTYPES,
        LOSSES,
        OPTIMIZERS,
        SCHEDULES,
    )

    fraction = _number(lambda v: 0 <= v < 1, "in [0, 1)")
    positive = _number(lambda v: v > 0, "a finite number > 0")
    return {
        "dataset": _choice(*NAMES), "data_dir": Spec("str", optional=True),
        "download": Spec("bool"), "hidden": _widths(1), "activation": _choice(*ACTIVATIONS),
        "dropout": fraction, "loss": _choice(*LOSSES), "label_smoothing": fraction,
        "dtype": _choice(*DTYPES), "epochs": _integer(1, 100_000),
        "batch_size": _integer(1, 2**20), "optimizer": _choice(*OPTIMIZERS),
        "lr": positive._replace(optional=True), "momentum": fraction, "nesterov": Spec("bool"),
        "weight_decay": _number(lambda v: v >= 0, "a finite number >= 0"),
        "schedule": _choice(*SCHEDULES),
        "step_epochs": _integer(1, 100_000), "gamma": _number(lambda v: 0 < v <= 1, "in (0, 1]"),
        "warmup_steps": _integer(0, 2**40), "val_fraction": fraction,
        "standardize": Spec("bool"), "seed": _integer(0, 2**63 - 1),
        "checkpoint_every": _integer(0, 2**40),
        "device": Spec("str", lambda v: re.fullmatch(r"[a-z]+(:[0-9]{1,3})?", v) is not None,
                       "a device name such as cpu, cuda or cuda:1"),
    }


MODEL_FIELDS = {
    "sizes": Spec("list", lambda v: 2 <= len(v) <= MAX_LAYERS + 2 and all(
        _is("int", w) and 1 <= w <= MAX_INPUTS for w in v),
        f"a list of 2 to {MAX_LAYERS + 2} integer widths in [1, {MAX_INPUTS}]"),
    "input_mean": _number(None, "a finite number"),
    "input_std": _number(lambda v: v > 0, "a finite number > 0"),
    "classes": Spec("list", lambda v: all(_is("str", name) for name in v),
                    "a list of class names (strings)", optional=True),
    "image_shape": Spec("list", lambda v: 1 <= len(v) <= 3 and all(
        _is("int", s) and s >= 1 for s in v), "a list of positive integers"),
    "train_size": _integer(1), "val_size": _integer(0), "test_size": _integer(0),
}
"""What a run adds to its TrainConfig in config.json and in every checkpoint."""

REQUIRED_MODEL_KEYS = ("sizes", "activation", "dropout", "loss", "dtype")
"""What a checkpoint's config needs to rebuild its model (load_model)."""


def problems(values, specs, required=(), where=""):
    """A message for each value in `values` (a dict) that breaks its spec in `specs`."""
    if not isinstance(values, dict):
        return [f"{where} must be a JSON object, got {type(values).__name__}" if where else
                f"must hold a JSON object, got {type(values).__name__}"]
    found = [f"{where}{name} is missing" for name in required if name not in values]
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None or (value is None and spec.optional):
            continue
        if not _is(spec.kind, value) or (spec.ok is not None and not spec.ok(value)):
            wanted = spec.wanted or _KIND_WORDS[spec.kind]
            found.append(f"{where}{name} must be {wanted}, got {_shown(value)}")
    return found


def parameter_count(sizes):
    """The number of weights and biases of an MLP with layer widths `sizes`."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in pairwise(sizes))


def config_problems(config, required=()):
    """Problems of a TrainConfig dict, or of a run config (TrainConfig plus MODEL_FIELDS)."""
    specs = {**train_fields(), **MODEL_FIELDS}
    found = problems(config, specs, required)
    if found or not isinstance(config, dict):
        return found
    sizes = config.get("sizes")
    if isinstance(sizes, list) and parameter_count(sizes) > MAX_PARAMETERS:
        found.append(f"sizes {'-'.join(map(str, sizes))} describe {parameter_count(sizes):,} "
                     f"weights, over the limit of {MAX_PARAMETERS:,}")
    classes = config.get("classes")
    if isinstance(sizes, list) and isinstance(classes, list) and len(classes) != sizes[-1]:
        found.append(f"classes names {len(classes)} classes but the model has {sizes[-1]} "
                     "outputs")
    return found


_ROW = {name: Spec("float", optional=name.startswith(("val_", "test_")))
        for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss",
                     "test_accuracy", "lr", "seconds", "samples_per_second")}
_ROW.update(epoch=_integer(1), steps=_integer(0))
_TOTALS = {"loss_sum": Spec("number"), "correct": _integer(0), "seen": _integer(0),
           "seconds": Spec("number")}


def progress_problems(progress, metrics):
    """Problems of a checkpoint's `progress` and `metrics` (the rows of finished epochs)."""
    found = problems(progress, {"epoch": _integer(0), "batch": _integer(0),
                                "shuffle_state": Spec("dict"), "model_rng_state": Spec("dict"),
                                "totals": Spec("dict")},
                     ("epoch", "batch", "shuffle_state", "model_rng_state", "totals"),
                     "progress.")
    if not found:
        found += problems(progress["totals"], _TOTALS, tuple(_TOTALS), "progress.totals.")
    if not isinstance(metrics, list):
        return [*found, f"metrics must be a list of rows, got {_shown(metrics)}"]
    for index, row in enumerate(metrics):
        found += problems(row, _ROW, tuple(_ROW), f"metrics[{index}].")
    if not found and len(metrics) != progress["epoch"]:
        found.append(f"metrics has {len(metrics)} rows but progress.epoch is "
                     f"{progress['epoch']}")
    return found


def _shown(value):
    try:
        text = repr(value) if isinstance(value, float) else json.dumps(value)
    except (TypeError, ValueError):  # arrays from a checkpoint, or lists of them
        text = f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def optimizer_problems(state):
    """Problems of a checkpoint's optimiser state: its kind, step count, hyperparameters
    (finite numbers, flags, or lists of them, such as Adam's betas) and buffers (lists of
    finite arrays)."""
    found = problems(state, {"kind": Spec("str"), "steps": _integer(0),
                             "hyperparameters": Spec("dict"), "buffers": Spec("dict")},
                     ("kind", "steps", "hyperparameters", "buffers"), "optimizer.")
    if found:
        return found
    for name, value in state["hyperparameters"].items():
        numbers = value if isinstance(value, list) else [value]
        if not all(_is("number", number) or _is("bool", number) for number in numbers):
            found.append(f"optimizer.hyperparameters.{name} must be a finite number (or a "
                         f"list of them), got {_shown(value)}")
    for name, arrays in state["buffers"].items():
        if not isinstance(arrays, list) or not all(
                isinstance(array, np.ndarray) and np.isfinite(array).all() for array in arrays):
            found.append(f"optimizer.buffers.{name} must be a list of finite arrays")
    return found
