"""Parameter, and flat storage: the parameters of one dtype (and their gradients) laid end to
end in one contiguous array each, every Parameter a view, so an optimiser step is one pass
over one array instead of a chain of calls per tensor.

The flat arrays live where the parameters do (made with their array module); `repack`
moves parameters to another device and lays them out afresh there.
"""

import sys

from chainrule import _backend
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import ShapeError


class Parameter(Tensor):
    """A Tensor a model learns: it requires grad, and once packed (`pack`) its gradient has a
    home in a flat gradient buffer (`gradient_slot`) that backward writes into directly.
    """

    __slots__ = ("gradient_slot",)

    def __init__(self, data, name=None):
        super().__init__(data, requires_grad=True, name=name)
        self.gradient_slot = None

    def _owns_gradient(self, array):
        slot = self.gradient_slot
        return slot is not None and array is slot.view


class GradientSlot:
    """The view of a flat gradient buffer where a Parameter's gradient lives.

    A VJP writes the gradient there (`take`) only when nothing else holds the view: the
    parameter has no gradient (zero_grad dropped it), no earlier step of this backward pass
    wrote there, and the user kept no reference to an old `.grad`. Otherwise the gradient is
    allocated as usual and the optimiser copies it in.
    """

    __slots__ = ("parameter", "view")

    def __init__(self, parameter, view):
        self.parameter = parameter
        self.view = view

    def take(self, dtype):
        """The view to write this gradient into, or None when it is in use or of another dtype."""
        if (dtype != self.view.dtype or self.parameter.grad is not None
                or self.references() > _UNSHARED):
            return None
        return self.view

    def references(self):
        """How many references the view has, as CPython counts them here."""
        return sys.getrefcount(self.view)


_UNSHARED = GradientSlot(None, object()).references()
"""`references()` of a view that only its slot holds."""


def gradient_out(slot, cotangent):
    """Where a VJP should write a gradient for a plain `cotangent`: the slot's view, or None
    (allocate) when there is no free slot or the pass is itself differentiated (Tensors)."""
    if slot is None or not _backend.is_array(cotangent):
        return None
    return slot.take(cotangent.dtype)


def slot_of(parameter):
    """The GradientSlot of `parameter`, or None (a plain Tensor, or not packed yet)."""
    return getattr(parameter, "gradient_slot", None)


class FlatGroup:
    """Parameters of one dtype lying end to end in `data` (1-D), their gradients in `grad`.

    `slices[i]` is parameter i's range in both arrays.
    """

    def __init__(self, parameters):
        self.parameters = list(parameters)
        self.slices = []
        start = 0
        for parameter in self.parameters:
            self.slices.append(slice(start, start + parameter.size))
            start += parameter.size
        self.data, self.grad = _tiled(self.parameters) or _pack(self.parameters, self.slices)
        self.data_views = [parameter.data for parameter in self.parameters]

    def views(self, flat):
        """`flat` (an array like `data`) cut into one view per parameter, shaped like it."""
        return [flat[part].reshape(p.shape) for p, part in zip(self.parameters, self.slices)]

    def gather_gradients(self):
        """Put every gradient into `grad`; the slices of the parameters that have one.

        A gradient written in place by backward is already there; any other is copied in.
        A parameter whose `.data` was replaced by another array is taken back into `data`.
        """
        present = []
        for index, (parameter, part) in enumerate(zip(self.parameters, self.slices)):
            if parameter.data is not self.data_views[index]:
                self._adopt(index)
            gradient = raw(parameter.grad)
            if gradient is None:
                continue
            present.append(part)
            slot = slot_of(parameter)
            if slot is not None and gradient is slot.view:
                continue
            if tuple(gradient.shape) != parameter.shape:
                raise ShapeError(f"optimizer: the gradient of {parameter.name or 'a parameter'} "
                                 f"has shape {tuple(gradient.shape)}, the parameter "
                                 f"{parameter.shape}")
            destination = self.grad[part].reshape(parameter.shape)
            _backend.array_module(destination).copyto(destination, gradient)
        return present

    def _adopt(self, index):
        """Copy parameter `index`'s replaced `.data` into its view and make `.data` the view."""
        parameter, view = self.parameters[index], self.data_views[index]
        name = parameter.name or "a parameter"
        if parameter.data.shape != view.shape:
            raise ShapeError(f"optimizer: {name} was given data of "
                             f"shape {parameter.data.shape}, but it has shape {view.shape}")
        device, own = _backend.device_of(parameter.data), _backend.device_of(view)
        if device != own:
            raise _backend.DeviceError(
                f"optimizer: {name} moved to device {device!r}, but the optimiser holds it "
                f"on {own!r}; move the model first (model.to(device)), then make the optimiser")
        _backend.array_module(view).copyto(view, parameter.data)
        parameter.data = view


def flat_groups(parameters):
    """One FlatGroup per dtype of `parameters` (in first-seen order), packing when needed."""
    by_dtype = {}
    for parameter in parameters:
        by_dtype.setdefault(parameter.dtype, []).append(parameter)
    return [FlatGroup(group) for group in by_dtype.values()]


def pack(parameters):
    """Lay `parameters` end to end, one flat buffer per dtype (what Modules do at build)."""
    flat_groups(parameters)


def repack(parameters, device):
    """Move `parameters` (and any gradients they hold) to `device` ("cpu", "cuda", ...) and
    lay them end to end there in new flat buffers, one per dtype, as `pack` does.

    What `Module.to(device)` calls. Optimisers hold the old buffers: make them afterwards.
    """
    parameters = list(parameters)
    for parameter in parameters:
        parameter.data = _backend.to_device(parameter.data, device)
        if parameter.grad is not None:
            parameter.grad = _backend.to_device(raw(parameter.grad), device)
        if isinstance(parameter, Parameter):
            parameter.gradient_slot = None
    pack(parameters)


def _address(array):
    """Where `array`'s first element lies in memory (host or device)."""
    interface = getattr(array, "__array_interface__", None)
    if interface is None:
        interface = array.__cuda_array_interface__
    return interface["data"][0]


def _tiled(parameters):
    """(data, grad) when `parameters` and their gradient slots already lie end to end, in
    order, in one buffer each (a model packed at build time); else None."""
    if not all(slot_of(p) is not None for p in parameters):
        return None
    data = _end_to_end([p.data for p in parameters])
    grad = _end_to_end([p.gradient_slot.view for p in parameters])
    return None if data is None or grad is None else (data, grad)


def _end_to_end(arrays):
    """The 1-D view of the buffer that `arrays` fill contiguously, in order, or None."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    itemsize = base.itemsize
    base_address = _address(base)
    start = (_address(arrays[0]) - base_address) // itemsize
    end = _address(arrays[0])
    for array in arrays:
        # bases compared by address: a device array's `.base` may be a new wrapper each time
        if (array.base is None or _address(array.base) != base_address
                or not array.flags.c_contiguous or _address(array) != end):
            return None
        end += array.nbytes
    return base[start : start + (end - _address(arrays[0])) // itemsize]


def _pack(parameters, slices):
    """Copy `parameters` into one new buffer and rebind each `.data` to its view there;
    Parameters get a slot in a new gradient buffer. Returns (data, grad)."""
    if len({id(p) for p in parameters}) != len(parameters):
        raise ValueError("a parameter appears twice in the list to optimise")
    dtype = parameters[0].dtype
    total = slices[-1].stop if slices else 0
    ns = _backend.array_module(parameters[0].data)
    data = ns.empty(total, dtype=dtype)
    grad = ns.zeros(total, dtype=dtype)
    for parameter, part in zip(parameters, slices):
        view = data[part].reshape(parameter.shape)
        view[...] = parameter.data
        parameter.data = view
        if isinstance(parameter, Parameter):
            parameter.gradient_slot = GradientSlot(parameter, grad[part].reshape(parameter.shape))
    return data, grad
