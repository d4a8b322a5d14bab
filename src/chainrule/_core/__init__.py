"""The engine: Tensor (the graph node), grad mode, and the reverse pass."""

from chainrule._core.engine import backward, topological_order
from chainrule._core.modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from chainrule._core.tensor import Tensor

__all__ = [
    "Tensor",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
