"""Module: parameters, submodules, state dicts and train/eval mode; Sequential."""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor, mark_updated_in_place, raw
from chainrule.errors import CheckpointError
from chainrule.nn.parameter import pack, repack


class Module:
    """A piece of a network: its parameters are its Tensor attributes, its children its Module
    attributes, both in the order they were assigned.

    Subclasses define `forward`; calling the module calls it.
    """

    def __init__(self):
        self.training = True

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def named_children(self):
        """(attribute name, module) for each direct submodule."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def named_parameters(self, prefix=""):
        """(dotted name, Tensor) for every parameter of this module and its descendants."""
        out = [(prefix + name, value) for name, value in vars(self).items()
               if isinstance(value, Tensor)]
        for name, child in self.named_children():
            out.extend(child.named_parameters(f"{prefix}{name}."))
        return out

    def parameters(self):
        """The parameter Tensors, in `named_parameters` order (what an optimiser updates)."""
        return [parameter for _, parameter in self.named_parameters()]

    def modules(self):
        """This module and all its descendants, parents first."""
        out = [self]
        for _, child in self.named_children():
            out.extend(child.modules())
        return out

    def name_parameters(self):
        """Set each parameter's `.name` to its dotted path (`layers.0.weight`); returns self."""
        for name, parameter in self.named_parameters():
            parameter.name = name
        return self

    def flatten_parameters(self):
        """Lay the parameters end to end in one flat buffer per dtype (each `.data` becomes a
        view), so an optimiser updates them in one pass; returns self."""
        parameters = self.parameters()
        if parameters:
            pack(parameters)
        return self

    @property
    def device(self):
        """Where the parameters live: "cpu", "cuda", ... ("cpu" for a module without any)."""
        parameters = self.parameters()
        return _backend.device_of(parameters[0].data) if parameters else "cpu"

    def to(self, device):
        """Move every parameter's values (and gradient) to `device` ("cpu", "cuda"), in their
        flat buffers rebuilt there; returns self.

        The Parameter objects stay the same, so references to them remain valid; but an
        optimiser holds buffers on the device it was built on, so build it after `.to`, as
        in PyTorch. Raises DeviceError for a device that cannot be used here.
        """
        backend = _backend.device_backend(device)
        parameters = self.parameters()
        if all(_backend.backend_of(p.data) is backend for p in parameters):
            return self
        repack(parameters, device)
        mark_updated_in_place(parameters)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the parameters' gradients: set `.grad` to None (as PyTorch does), or fill it
        with zeros in place when `set_to_none=False`."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                raw(parameter.grad)[...] = 0

    def train(self, mode=True):
        """Switch this module and its descendants to training mode (dropout on); returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off); returns self."""
        return self.train(False)

    def state_dict(self):
        """{dotted name: a NumPy copy of the parameter's array}, wherever the model lives (so a
        checkpoint is the same file from every device)."""
        return {name: _host_copy(parameter.data) for name, parameter in self.named_parameters()}

    def load_state_dict(self, state):
        """Copy arrays from `state` (host or device arrays) into the parameters, in place, on
        the model's device (optimisers keep working).

        Raises CheckpointError listing missing or unexpected names and any array whose shape
        or dtype differs from the parameter's; nothing is copied unless everything fits.
        """
        parameters = dict(self.named_parameters())
        problems = [f"missing {name}" for name in parameters if name not in state]
        problems += [f"unexpected {name}" for name in state if name not in parameters]
        values = {}
        for name, parameter in parameters.items():
            value = state.get(name)
            if value is None:
                continue
            value = values[name] = value if _backend.is_array(value) else numpy.asarray(value)
            if tuple(value.shape) != parameter.shape or value.dtype != parameter.dtype:
                problems.append(f"{name} is {_describe(value)} but the model has "
                                f"{_describe(parameter.data)}")
        if problems:
            raise CheckpointError(f"state does not fit {type(self).__name__}: "
                                  + "; ".join(problems))
        for name, parameter in parameters.items():
            device = _backend.device_of(parameter.data)
            parameter.data[...] = _backend.to_device(values[name], device)
        mark_updated_in_place(parameters.values())

    def extra_repr(self):
        """The arguments shown inside this module's repr parentheses."""
        return ""

    def __repr__(self):
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}(" + self.extra_repr()]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


def _host_copy(array):
    """A NumPy array with `array`'s values that shares no memory with it."""
    host = _backend.to_host(array)
    return host.copy() if host is array else host


def _describe(array):
    return f"{tuple(array.shape)} {array.dtype}"


class Sequential(Module):
    """Modules applied one after another; children are named by position: 0, 1, 2, ..."""

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def named_children(self):
        return [(str(index), module) for index, module in enumerate(self.layers)]

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)
