"""chainrule's own exception types: each names what went wrong in the user's terms."""

import numpy


def reason(exc):
    """The first line of a low-level exception's message (its type's name when empty),
    for the one-line errors chainrule raises in its place."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""


class ShapeError(ChainruleError, ValueError):
    """An op was given operands whose shapes do not fit (names the op and the shapes)."""


class LinAlgError(ChainruleError, numpy.linalg.LinAlgError):
    """A matrix routine failed (singular, not positive definite, no convergence); names the
    op and the matrix shape. It is also NumPy's LinAlgError, so existing handlers catch it."""


class GradientError(ChainruleError, TypeError):
    """A gradient was asked for something that has none (an integer input, a non-scalar)."""


class MissingDerivativeError(GradientError, NotImplementedError):
    """A gradient reached an input of a primitive that has no VJP rule for it (defvjp)."""


class AnomalyError(ChainruleError, FloatingPointError):
    """A NaN or inf appeared under `detect_anomaly` (names the op and the user's line)."""


class DataError(ChainruleError, ValueError):
    """A data file (IDX, image) is missing, malformed or hostile; names the file."""


class DownloadError(ChainruleError, OSError):
    """A data set could not be fetched from any mirror; says how to supply the files."""


class CheckpointError(ChainruleError, ValueError):
    """A checkpoint is missing, malformed, unsafe or for another model; names the file."""


class ConfigError(ChainruleError, ValueError):
    """A training option is out of range or not one of its choices."""


class RunError(ChainruleError, ValueError):
    """A run directory cannot be used as asked (it holds another run, or none to resume)."""


class TrainingDiverged(ChainruleError, FloatingPointError):
    """The loss or the weights became NaN or infinite; the last good checkpoint is kept."""


class PlottingUnavailable(ChainruleError, ImportError):
    """Plots were asked for but matplotlib is not installed."""
