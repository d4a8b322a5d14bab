"""Global switches: whether ops record a graph, and whether anomaly checks run."""

import contextlib
import threading


class _Modes(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.transform_depth = 0


modes = _Modes()


def is_grad_enabled():
    """True when ops on Tensors that require grad record the graph."""
    return modes.grad_enabled


@contextlib.contextmanager
def _grad_mode(enabled):
    previous = modes.grad_enabled
    modes.grad_enabled = enabled
    try:
        yield
    finally:
        modes.grad_enabled = previous


@contextlib.contextmanager
def transforming():
    """Mark a transformation as running: Tensors in its graph must not leave it silently,
    and nested transformations build differentiable results."""
    modes.transform_depth += 1
    try:
        yield
    finally:
        modes.transform_depth -= 1


def in_differentiated_graph(tensor):
    """True when a transformation is differentiating through `tensor` right now."""
    return tensor.requires_grad and modes.grad_enabled and modes.transform_depth > 0


def no_grad():
    """Context in which no op records a graph (inference, optimiser steps)."""
    return _grad_mode(False)


def enable_grad():
    """Context in which ops record the graph again, even inside `no_grad`."""
    return _grad_mode(True)


@contextlib.contextmanager
def detect_anomaly():
    """Check every op's output and every gradient for NaN/inf while active.

    The first non-finite value raises `AnomalyError` naming the op, its input shapes and
    the line of user code that created it. Off by default; when off it costs one flag test.
    """
    previous = modes.anomaly
    modes.anomaly = True
    try:
        yield
    finally:
        modes.anomaly = previous
