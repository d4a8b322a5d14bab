"""Tensor: an array that remembers the op that made it, so gradients can flow back."""

from chainrule import _backend
from chainrule._core.modes import in_differentiated_graph, modes
from chainrule._core.node import DROPPED, Node
from chainrule.errors import GradientError

_DIFFERENTIABLE_KINDS = "fc"


def is_differentiable_dtype(dtype):
    """Floating (and complex) dtypes carry gradients; integers and booleans do not."""
    return _backend.dtype_kind(dtype) in _DIFFERENTIABLE_KINDS


class Tensor:
    """An array and, when it came from an op, the graph node of that op call.

    `data` is the backend array (its dtype is kept: float32 stays float32). A Tensor made
    by an op on inputs that require grad points to a `Node` (`_node`): the op, the values
    its VJP reads, and the nodes of the inputs to send gradients to (`_parents`, pairs of
    argument position and node; a leaf Tensor is its own node). Operators and methods are
    attached by `chainrule.ops`.
    """

    __slots__ = ("data", "requires_grad", "grad", "name", "_node", "_version", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None, name=None, device=None):
        if isinstance(data, Tensor):
            refuse_graph_exit(data, "cr.Tensor(t) (a new leaf with t's values)", TENSOR_INSTEAD)
            data = data.data
        if device is None:
            array = _backend.asarray(data, dtype=dtype)
        else:
            array = _backend.to_device(data, device, dtype=dtype)
        if requires_grad and not is_differentiable_dtype(array.dtype):
            raise GradientError(
                f"only floating-point tensors can require grad; got dtype {array.dtype}"
            )
        self.data = array
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self._node = None
        self._version = 0

    @classmethod
    def _from_op(cls, data, prim, args, kwargs, parents, containers=True, parent_nodes=False):
        """The Tensor of an op call; its Node keeps what `prim`'s VJP reads (`prim.saves`).

        `args` is a list this call may change; `parents` pairs of position and Tensor (or
        graph node, with `parent_nodes=True`); `containers=False` says that no argument is
        a container holding a parent.
        """
        data = data if type(data) is _backend.ndarray else _backend.asarray(data)
        version = _in_place_writes[0]
        keeps_ans, unsaved = prim.recording(len(args))
        for i in unsaved:
            if type(args[i]) not in CONTAINERS:
                args[i] = DROPPED
        if not parent_nodes:
            parents = [(i, parent._node or parent) for i, parent in parents]
        node = Node(prim, args, kwargs, parents, data if keeps_ans else DROPPED, data.shape,
                    data.dtype, version, containers)
        return cls._made(data, True, version, node)

    @classmethod
    def _of_node(cls, data, node):
        """A Tensor for the values `data` of an existing graph `node` (a saved input or
        output handed to a VJP that records a graph): gradients flow into `node`."""
        return cls._made(data, True, node._version, node)

    @classmethod
    def _constant(cls, data):
        data = data if type(data) is _backend.ndarray else _backend.asarray(data)
        return cls._made(data, False, _in_place_writes[0], None)

    @classmethod
    def _made(cls, data, requires_grad, version, node):
        """A Tensor of the array `data` made by chainrule, not by the user (no name, no
        gradient yet): what `_from_op`, `_of_node` and `_constant` hand out."""
        tensor = cls.__new__(cls)
        tensor.data = data
        tensor.requires_grad = requires_grad
        tensor.grad = None
        tensor.name = None
        tensor._version = version
        tensor._node = node
        return tensor

    _prim = property(lambda self: None if self._node is None else self._node._prim)
    _args = property(lambda self: None if self._node is None else self._node._args)
    _kwargs = property(lambda self: None if self._node is None else self._node._kwargs)
    _parents = property(lambda self: () if self._node is None else self._node._parents)

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by an op."""
        return self._node is None

    @property
    def op_name(self):
        """The name of the op that made this tensor, or None for a leaf."""
        return None if self._node is None else self._node._prim.name

    shape = property(lambda self: self.data.shape, doc="The array's shape.")
    dtype = property(lambda self: self.data.dtype, doc="The array's dtype.")
    ndim = property(lambda self: self.data.ndim, doc="The number of axes.")
    size = property(lambda self: self.data.size, doc="The number of elements.")
    device = property(
        lambda self: _backend.device_of(self.data), doc='Where the values live: "cpu", "cuda".'
    )

    def numpy(self):
        """The values as a NumPy array (no graph); a copy from the device for device values."""
        refuse_graph_exit(self, ".numpy()", ARRAY_INSTEAD)
        return _backend.to_host(self.data)

    def to(self, device):
        """This tensor's values on `device` ("cpu", "cuda"); itself when already there.

        The move is an op: gradients flow back to the original device, as in PyTorch.
        """
        if _backend.device_backend(device) is _backend.backend_of(self.data):
            return self
        from chainrule.ops.devices import to_device

        return to_device(self, str(device), self.device)

    def cpu(self):
        """`self.to("cpu")`."""
        return self.to("cpu")

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        refuse_graph_exit(self, ".item()", NUMBER_INSTEAD)
        return self.data.item()

    def tolist(self):
        """The values as nested Python lists of Python numbers (a number for 0-d)."""
        refuse_graph_exit(self, ".tolist()", ARRAY_INSTEAD)
        return _backend.to_host(self.data).tolist()

    def _owns_gradient(self, array):
        """True when `array` is memory this leaf keeps for its own gradient alone (a slot of
        a flat gradient buffer), so backward may hand it out without an aliasing check."""
        return False

    def detach(self):
        """A tensor with the same values that is cut off from the graph."""
        return Tensor._constant(self.data)

    def requires_grad_(self, requires_grad=True):
        """Mark this leaf as a variable to differentiate with respect to; returns self."""
        if requires_grad and not is_differentiable_dtype(self.data.dtype):
            raise GradientError(
                f"only floating-point tensors can require grad; got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        A non-scalar tensor needs `gradient` (the cotangent, same shape as self). With
        `create_graph=True` the gradients are Tensors that can be differentiated again.
        Gradients accumulate, as in PyTorch: reset them (`optimizer.zero_grad()`) per step.
        """
        if not self.requires_grad:
            raise GradientError(
                "backward() on a tensor that does not require grad: none of its inputs "
                "has requires_grad=True (or it was computed under no_grad)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise GradientError(
                    f"backward() on a non-scalar tensor of shape {self.shape} needs "
                    "gradient= (a cotangent of the same shape), or reduce it first (.sum())"
                )
            if _backend.dtype_kind(self.data.dtype) == "c":
                raise GradientError(
                    "backward() on a complex tensor needs gradient= (a complex output has "
                    "no single gradient; see docs/core.md, Complex numbers), or take its "
                    "real part, abs or abs**2 first"
                )
            module = _backend.array_module(self.data)
            gradient = (module.asarray(1, dtype=self.data.dtype) if not self.data.ndim
                        else module.ones_like(self.data))
        elif isinstance(gradient, Tensor):
            gradient = gradient if create_graph else gradient.data
        else:
            gradient = _backend.asarray(gradient, dtype=self.data.dtype, like=self.data)
        if tuple(gradient.shape) != tuple(self.shape):
            raise GradientError(
                f"backward(): gradient has shape {tuple(gradient.shape)} but the tensor has "
                f"shape {self.shape}"
            )
        _engine.accumulate_into_leaves(self, gradient, create_graph)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad and modes.grad_enabled:
            from chainrule.scipy._replacements import replacement_hint

            raise GradientError(
                "cannot turn a Tensor that requires grad into a NumPy array (np.asarray, or "
                "storing it into a NumPy array): that would drop it from the graph. "
                + ARRAY_INSTEAD
                + replacement_hint()
            )
        data = self.data
        if type(data) is not _backend.ndarray and _backend.backend_of(data) is not _backend.NUMPY:
            raise TypeError(
                f"cannot turn a Tensor on device {self.device!r} into a NumPy array implicitly; "
                "use cr.asnumpy(t) or t.to('cpu') (a copy from the device)"
            )
        if dtype is not None and dtype != data.dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def __float__(self):
        refuse_graph_exit(
            self, "float() (a math.* function, or storing into a NumPy array)", NUMBER_INSTEAD
        )
        return float(self.data)

    def __int__(self):
        refuse_graph_exit(self, "int()", NUMBER_INSTEAD)
        return int(self.data)

    def __index__(self):
        return self.data.__index__()

    def __bool__(self):
        return bool(self.data)

    def __len__(self):
        return len(self.data)

    __hash__ = object.__hash__

    def __repr__(self):
        """NumPy's repr (its print options and summarisation), then dtype and graph facts.

        `Tensor(0.07393437, dtype=float32, op=mean)`, `Tensor([1., 2.], dtype=float64,
        requires_grad=True)`.
        """
        import numpy

        values = numpy.array2string(
            _backend.to_host(self.data), separator=", ", prefix="Tensor(", suffix=")"
        )
        facts = f"dtype={self.data.dtype}"
        if _backend.backend_of(self.data) is not _backend.NUMPY:
            facts += f", device={self.device!r}"
        if self._node is not None:
            facts += f", op={self._node._prim.name}"
        elif self.requires_grad:
            facts += ", requires_grad=True"
        return f"Tensor({values}, {facts})"


_backend._tensor_types.add(Tensor)


NUMBER_INSTEAD = (
    "Use the array functions instead (np.sin(x), not math.sin(x)); build arrays with "
    "np.stack or x.at[i].set(v) rather than storing into a NumPy array; wrap a value that "
    "should be a constant in cr.stop_gradient(x); or compute the number outside the function."
)
TENSOR_INSTEAD = (
    "Use t itself (t.at[i].set(v) is already a new Tensor), or cr.stop_gradient(t) if the "
    "new Tensor is meant to be a constant."
)
ARRAY_INSTEAD = (
    "Build arrays with np.stack([...]) or x.at[i].set(v) instead of writing into a NumPy "
    "array, or with chainrule.numpy.array([...]) (`import chainrule.numpy as np`: its "
    "array, asarray, sum, mean, r_ ... take lists of Tensors); use cr.stop_gradient(x) "
    "(or x.detach().numpy()) for a value that should be a constant; or compute it outside "
    "the function."
)


_in_place_writes = [0]
"""How many in-place updates of leaf Tensors (optimiser steps) there have been. A node
records the count when it is made, a leaf the count of its last update (`_version`)."""


def mark_updated_in_place(tensors):
    """Record that the values of these leaf Tensors were just overwritten (an optimiser step),
    so a backward pass through a graph recorded before raises instead of using new values."""
    _in_place_writes[0] += 1
    for tensor in tensors:
        tensor._version = _in_place_writes[0]


def refuse_graph_exit(tensor, operation, instead):
    """Raise rather than let `operation` turn a differentiated Tensor into a plain value."""
    if in_differentiated_graph(tensor):
        raise GradientError(
            f"{operation} on a Tensor that is being differentiated would drop it from the "
            f"graph and give a wrong derivative. {instead}"
        )


CONTAINERS = (tuple, list, dict)
"""The argument types that may hold Tensors (an op finds its parents inside them); a node
always keeps them, as their structure routes gradients to the Tensors inside."""


def graph_node(tensor):
    """The node the graph walks for `tensor`: its op's Node, or the leaf Tensor itself."""
    node = tensor._node
    return tensor if node is None else node


def asnumpy(value):
    """The values of a Tensor or an array of any device as a NumPy array (a host copy for
    device values), as `cupy.asnumpy`; a Tensor being differentiated raises, as `.numpy()`."""
    if isinstance(value, Tensor):
        return value.numpy()
    return _backend.to_host(value)


def raw(value):
    """The backend array behind a Tensor; anything else unchanged."""
    return value.data if isinstance(value, Tensor) else value


def raw_nested(value):
    """`value` with every Tensor inside nested tuples and lists replaced by its array."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(raw_nested(item) for item in value)
    return value


def holds_tensor(value):
    """True for a Tensor, or nested tuples, lists and dicts with a Tensor somewhere inside."""
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(holds_tensor(item) for item in value)
    if isinstance(value, dict):
        return any(holds_tensor(item) for item in value.values())
    return False


# The engine walks Tensors, so it is imported last, once everything it names exists here.
from chainrule._core import engine as _engine  # noqa: E402
