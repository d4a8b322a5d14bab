"""Optimizer: the parameters in flat buffers, their state buffers, zero_grad, step and state
dicts."""

from chainrule import _backend
from chainrule._core.tensor import Tensor, mark_updated_in_place
from chainrule.errors import CheckpointError
from chainrule.nn.parameter import flat_groups


class Optimizer:
    """Updates parameter Tensors in place from their `.grad`, one fused pass per dtype.

    The parameters of each dtype lie end to end in one flat array (a FlatGroup; a model
    packs its parameters so at build time, otherwise the optimiser packs them and each
    `.data` becomes a view), and so do their gradients and the state buffers.
    A subclass names its hyperparameters (`self.hyperparameters`, plain numbers) and its
    state buffers (`BUFFERS`, starting at zero) and defines
    `update(parameter, gradient, *buffers)` on flat 1-D arrays: all of a group, or one
    parameter's range when some parameters have no gradient. `self.buffers[name]` lists
    one view per parameter. `steps` counts the steps taken; `lr` may be changed between
    steps (a schedule sets it).
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
        self.groups = flat_groups(self.parameters)
        self.flat_buffers = {
            name: [_backend.array_module(group.data).zeros_like(group.data)
                   for group in self.groups]
            for name in self.BUFFERS
        }
        views = {}
        for name, arrays in self.flat_buffers.items():
            for group, array in zip(self.groups, arrays):
                for parameter, view in zip(group.parameters, group.views(array)):
                    views.setdefault(name, {})[id(parameter)] = view
        self.buffers = {name: [views[name][id(p)] for p in self.parameters]
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
        """Update every parameter that has a gradient: one pass over each flat group."""
        self.steps += 1
        mark_updated_in_place([p for p in self.parameters if p.grad is not None])
        for index, group in enumerate(self.groups):
            buffers = [arrays[index] for arrays in self.flat_buffers.values()]
            present = group.gather_gradients()
            if len(present) == len(group.parameters):
                self.update(group.data, group.grad, *buffers)
                continue
            for part in present:
                self.update(group.data[part], group.grad[part], *(b[part] for b in buffers))

    def update(self, parameter, gradient, *buffers):
        """Update the flat `parameter` from `gradient`, with this optimiser's `buffers`."""
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
        """Restore a `state_dict` (its arrays on any device: they are copied to the
        parameters'); CheckpointError if it is for another optimiser or model."""
        name = type(self).__name__
        if state.get("kind") != name:
            raise CheckpointError(f"optimizer state is for {state.get('kind')}, not {name}")
        buffers = state.get("buffers", {})
        if set(buffers) != set(self.buffers):
            raise CheckpointError(f"{name} state has buffers {sorted(buffers)}, expected "
                                  f"{sorted(self.buffers)}")
        copies = []
        for buffer, arrays in buffers.items():
            if len(arrays) != len(self.parameters):
                raise CheckpointError(f"{name} state has {len(arrays)} {buffer} arrays for "
                                      f"{len(self.parameters)} parameters")
            pairs = zip(arrays, self.buffers[buffer], strict=True)
            for index, (array, mine) in enumerate(pairs):
                array = _backend.to_device(array, _backend.device_of(mine))
                if array.shape != mine.shape or array.dtype != mine.dtype:
                    raise CheckpointError(
                        f"{name} {buffer}[{index}] is {array.shape} {array.dtype}, expected "
                        f"{mine.shape} {mine.dtype}")
                copies.append((mine, array))
        for mine, array in copies:
            _backend.array_module(mine).copyto(mine, array)
        self.steps = int(state["steps"])
        self.hyperparameters.update(state["hyperparameters"])

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({settings})"
