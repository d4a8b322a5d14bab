"""Anomaly checks: find the first NaN/inf and name the op and the user's line."""

import os
import traceback

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.errors import AnomalyError

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame():
    """`file:line: code` of the innermost stack frame outside chainrule itself."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "<unknown>"


def _is_finite(value):
    return bool(_backend.xp.all(_backend.xp.isfinite(raw(value))))


def _shapes(args):
    return ", ".join(str(tuple(getattr(a, "shape", ()))) for a in args if hasattr(a, "shape"))


def check_output(prim, raw_args, ans):
    """Forward check: raise if op `prim` produced a NaN or inf from finite inputs."""
    if getattr(ans, "dtype", None) is None or ans.dtype.kind not in "fc" or _is_finite(ans):
        return
    raise AnomalyError(
        f"{prim.name} produced a non-finite value (NaN or inf) in the forward pass; "
        f"input shapes ({_shapes(raw_args)}); created at {user_frame()}"
    )


def check_gradient(node, parent, cotangent):
    """Backward check: raise if the VJP of `node`'s op gave a NaN or inf gradient."""
    if _is_finite(cotangent):
        return
    where = node._trace or "<line not recorded: the op ran outside detect_anomaly>"
    raise AnomalyError(
        f"the gradient of {node._prim.name} (input of shape {parent.shape}) is not finite "
        f"in the backward pass; op output shape {node.shape}, input shapes "
        f"({_shapes(node._args)}); created at {where}"
    )
