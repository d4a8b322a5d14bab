"""Name chainrule.scipy's replacement when SciPy code tries to turn a Tensor into an array.

SciPy's Python-level functions (`scipy.stats.norm.logpdf`, `scipy.special.logsumexp`)
call `np.asarray` on their arguments; on a Tensor that requires grad, Tensor.__array__
refuses, and this module finds which SciPy function the user called so the error can
name the differentiable one to use instead. Nothing here imports SciPy.
"""

import importlib
import re
import sys


def replacement_hint():
    """A sentence naming the chainrule.scipy replacement of the SciPy function that called
    np.asarray on a Tensor (the caller's caller), or "" when SciPy is not the caller."""
    try:
        entry = _scipy_entry_frame(sys._getframe(2))
        return "" if entry is None else _hint(*_public_name(entry))
    except Exception:  # the hint must never hide the error it decorates
        return ""


def _scipy_entry_frame(frame):
    """The outermost SciPy frame among the calls that led to `frame` (NumPy's skipped),
    preferring SciPy's public subpackages to its private wrappers (scipy._lib)."""
    public = private = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("scipy._"):
            private = frame
        elif module.startswith("scipy."):
            public = frame
        elif not (module == "numpy" or module.startswith("numpy.")):
            break
        frame = frame.f_back
    return public or private


def _wrapped_function(frame):
    """The public SciPy function that a private wrapper's frame is about to call."""
    for value in frame.f_locals.values():
        module = getattr(value, "__module__", None) or ""
        if callable(value) and module.startswith("scipy.") and not module.startswith("scipy._"):
            return module.split(".")[1], value.__name__
    raise LookupError("no SciPy function in the wrapper's frame")


def _public_name(frame):
    """(subpackage, path) of the SciPy function a frame runs: ("stats", "norm.logpdf")."""
    if frame.f_globals["__name__"].startswith("scipy._"):
        return _wrapped_function(frame)
    subpackage = frame.f_globals["__name__"].split(".")[1]
    function = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    if owner is None:
        return subpackage, function
    distribution = getattr(owner, "dist", owner)
    name = getattr(distribution, "name", None) or re.sub(
        "_(gen|frozen)$", "", type(distribution).__name__
    )
    return subpackage, f"{name}.{function}"


def _hint(subpackage, path):
    scipy_name = f"scipy.{subpackage}.{path}"
    try:
        replacement = importlib.import_module(f"chainrule.scipy.{subpackage}")
    except ModuleNotFoundError:
        replacement = None
    for part in path.split("."):
        replacement = getattr(replacement, part, None)
    if replacement is None:
        return (
            f" {scipy_name} calls np.asarray on its arguments and chainrule.scipy has no "
            "differentiable replacement for it."
        )
    return (
        f" {scipy_name} calls np.asarray on its arguments: use chainrule.scipy."
        f"{subpackage}.{path} instead, which is differentiable."
    )
