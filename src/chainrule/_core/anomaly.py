"""Anomaly checks: find the first NaN/inf and name the op and the user's line."""

import linecache
import os
import sys

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.errors import AnomalyError

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENGINE_DIRS = tuple(os.path.join(_PACKAGE_DIR, name)
                     for name in ("_core", "ops", "api.py", os.path.join("nn", "functional.py")))
_STDLIB_DIR = os.path.dirname(os.path.abspath(os.__file__))
_CLI_DIR = os.path.join(_PACKAGE_DIR, "cli")


def user_frame():
    """`file:line: code` of the line that made the op: the innermost frame of user code.

    User code is anything outside chainrule and the standard library. When chainrule itself
    is the user (its command line trains a model), it is the innermost frame outside the
    engine, such as the layer that called the op, named with the layer's class.
    """
    engine_caller = None
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if path.startswith(_CLI_DIR):
            break
        if not path.startswith((_PACKAGE_DIR, _STDLIB_DIR)):
            return _describe(frame)
        if engine_caller is None and path.startswith(_PACKAGE_DIR):
            if not path.startswith(_ENGINE_DIRS):
                engine_caller = _describe(frame, with_layer=True)
        frame = frame.f_back
    return engine_caller or "<unknown>"


def _describe(frame, with_layer=False):
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    layer = frame.f_locals.get("self") if with_layer else None
    weight = getattr(getattr(layer, "weight", None), "shape", None)
    shape = f" with weight {tuple(weight)}" if weight is not None else ""
    where = f" (in layer {type(layer).__name__}{shape})" if layer is not None else ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}{where}"


def all_finite(value):
    """True when every value of an array or Tensor (on any device) is finite."""
    array = raw(value)
    module = _backend.array_module(array)
    return bool(module.all(module.isfinite(array)))


def _shapes(args):
    return ", ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))


def check_output(prim, raw_args, ans):
    """Forward check: raise if op `prim` gave a NaN or inf (saying whether it made it)."""
    if getattr(ans, "dtype", None) is None or ans.dtype.kind not in "fc" or all_finite(ans):
        return
    bad_inputs = [
        str(tuple(a.shape)) for a in raw_args
        if getattr(a, "dtype", None) is not None and a.dtype.kind in "fc" and not all_finite(a)
    ]
    cause = (
        f"received a non-finite input (shape {', '.join(bad_inputs)}) that no recorded op made"
        if bad_inputs else "produced a non-finite value (NaN or inf) from finite inputs"
    )
    raise AnomalyError(
        f"{prim.name} {cause} in the forward pass; input shapes ({_shapes(raw_args)}); "
        f"created at {user_frame()}"
    )


def check_gradient(node, parent, cotangent):
    """Backward check: raise if the VJP of `node`'s op gave a NaN or inf gradient."""
    if all_finite(cotangent):
        return
    where = node._trace or "<line not recorded: the op ran outside detect_anomaly>"
    raise AnomalyError(
        f"the gradient of {node._prim.name} (input of shape {parent.shape}) is not finite "
        f"in the backward pass; op output shape {node.shape}, input shapes "
        f"({_shapes([parent for _, parent in node._parents])}); created at {where}"
    )
