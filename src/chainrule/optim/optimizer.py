"""Optimizer: the parameters, their per-parameter buffers, zero_grad, step and state dicts."""

from chainrule._backend import xp
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import CheckpointError


class Optimizer:
    """Updates parameter Tensors in place from their `.grad`.

    A subclass names its hyperparameters (`self.hyperparameters`, plain numbers) and its
    per-parameter buffers (`BUFFERS`, arrays shaped like the parameters, starting at zero)
    and defines `update(index, parameter, gradient)` on raw arrays (the parameter's
    buffers are `self.buffers[name][index]`). `steps` counts the
    steps taken; `lr` may be changed between steps (a schedule sets it).
    """

    BUFFERS = ()

    def __init__(self, parameters, **hyperparameters):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{type(self).__name__}: no parameters to optimise")
        for parameter in self.parameters:
            if not isinstance(parameter, Tensor) or not parameter.requires_grad:
                raise TypeError(f"{type(self).__name__}: parameters must be Tensors with "
                                f"requires_grad=True, got {parameter!r:.60}")
        if hyperparameters["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: lr must be >= 0, got {hyperparameters['lr']}")
        self.hyperparameters = hyperparameters
        self.steps = 0
        self.buffers = {name: [xp.zeros_like(p.data) for p in self.parameters]
                        for name in self.BUFFERS}

    @property
    def lr(self):
        """The learning rate the next step uses."""
        return self.hyperparameters["lr"]

    @lr.setter
    def lr(self, value):
        self.hyperparameters["lr"] = value

    def zero_grad(self):
        """Forget the accumulated gradients (set `.grad` to None, as PyTorch does)."""
        for parameter in self.parameters:
            parameter.grad = None

    def step(self):
        """Update every parameter that has a gradient."""
        self.steps += 1
        for index, parameter in enumerate(self.parameters):
            if parameter.grad is None:
                continue
            self.update(index, parameter.data, raw(parameter.grad))

    def update(self, index, parameter, gradient):
        raise NotImplementedError

    def state_dict(self):
        """{"kind", "steps", "hyperparameters", "buffers": {name: [array per parameter]}}."""
        return {
            "kind": type(self).__name__,
            "steps": self.steps,
            "hyperparameters": dict(self.hyperparameters),
            "buffers": {name: [array.copy() for array in arrays]
                        for name, arrays in self.buffers.items()},
        }

    def load_state_dict(self, state):
        """Restore a `state_dict`; CheckpointError if it is for another optimiser or model."""
        name = type(self).__name__
        if state.get("kind") != name:
            raise CheckpointError(f"optimizer state is for {state.get('kind')}, not {name}")
        buffers = state.get("buffers", {})
        if set(buffers) != set(self.buffers):
            raise CheckpointError(f"{name} state has buffers {sorted(buffers)}, expected "
                                  f"{sorted(self.buffers)}")
        for buffer, arrays in buffers.items():
            if len(arrays) != len(self.parameters):
                raise CheckpointError(f"{name} state has {len(arrays)} {buffer} arrays for "
                                      f"{len(self.parameters)} parameters")
            pairs = zip(arrays, self.buffers[buffer], strict=True)
            for index, (array, mine) in enumerate(pairs):
                array = xp.asarray(array)
                if array.shape != mine.shape or array.dtype != mine.dtype:
                    raise CheckpointError(
                        f"{name} {buffer}[{index}] is {array.shape} {array.dtype}, expected "
                        f"{mine.shape} {mine.dtype}")
        for buffer, arrays in buffers.items():
            for array, mine in zip(arrays, self.buffers[buffer], strict=True):
                xp.copyto(mine, array)
        self.steps = int(state["steps"])
        self.hyperparameters.update(state["hyperparameters"])

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({settings})"
