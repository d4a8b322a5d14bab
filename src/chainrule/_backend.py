"""The one place that knows array modules: NumPy, CuPy when asked for, and test stand-ins.

Ops never bind an array module at import time: they ask `array_module(*arrays)` (or
`chainrule.ops.namespace`, which also knows Tensors) for the module of the arrays they
were given, so the same forward and VJP run on NumPy arrays, CuPy arrays, or any other
registered array type. A backend is a device name, its module and its array types.
NumPy is the default: values that are not arrays (numbers, lists) become NumPy arrays.
"""

import contextlib

import numpy

from chainrule.errors import ChainruleError

xp = numpy
"""The default array module (the one that numbers and lists become). Not for ops: an op
takes its module from its inputs (`array_module`)."""

ndarray = numpy.ndarray


class DeviceError(ChainruleError, RuntimeError):
    """A device was asked for that does not exist here (CuPy not installed, no GPU)."""


class Backend:
    """A device name, its array module, the array types it makes and how to reach the host.

    `to_host(array)` gives a NumPy array; `from_host(array, dtype)` puts one on the device.
    `errstate` is the module's context that silences floating-point warnings (NumPy's
    `errstate`; a no-op where the module never warns).
    """

    def __init__(self, device, module, array_types, to_host, from_host, errstate=None):
        self.device = device
        self.module = module
        self.array_types = tuple(array_types)
        self.to_host = to_host
        self.from_host = from_host
        self.errstate = errstate or (lambda **kwargs: contextlib.nullcontext())

    def __repr__(self):
        return f"<chainrule backend {self.device}: {self.module.__name__}>"


def _numpy_from_host(array, dtype=None):
    return numpy.asarray(array, dtype=dtype)


NUMPY = Backend(
    "cpu", numpy, (numpy.ndarray, numpy.generic), numpy.asarray, _numpy_from_host,
    numpy.errstate,
)

_by_device = {"cpu": NUMPY}
_by_type = {numpy.ndarray: NUMPY, numpy.generic: NUMPY}
_loaders = {}
"""Device name -> function that registers its backend on first use (CuPy for "cuda")."""


def register_backend(backend):
    """Make `backend` known by its device name and array types (tests register stand-ins)."""
    _by_device[backend.device] = backend
    _forget_non_arrays()
    for array_type in backend.array_types:
        _by_type[array_type] = backend
    return backend


def unregister_backend(device):
    """Forget a registered backend (tests that registered a stand-in)."""
    backend = _by_device.pop(device)
    for array_type in [kind for kind, known in _by_type.items() if known is backend]:
        del _by_type[array_type]


def _forget_non_arrays():
    for array_type in [kind for kind, known in _by_type.items() if known is None]:
        del _by_type[array_type]


def register_loader(device, loader):
    """`loader()` registers the backend for `device` the first time the device is named."""
    _loaders[device] = loader


def backend_of_type(array_type):
    """The backend whose arrays are of `array_type`, or None for non-arrays."""
    try:
        return _by_type[array_type]
    except KeyError:
        pass
    backend = None
    for base in array_type.__mro__[1:]:
        backend = _by_type.get(base)
        if backend is not None:
            break
    _by_type[array_type] = backend
    return backend


def backend_of(*values):
    """The backend of the arrays among `values` (NumPy's when there is none).

    Numbers, None and NumPy scalars are skipped, as a NumPy scalar next to a CuPy array is
    a scalar to CuPy too; a Tensor counts as its array.
    """
    for value in values:
        kind = type(value)
        if kind is numpy.ndarray:
            return NUMPY
        if kind in _tensor_types:
            value = value.data
            kind = type(value)
            if kind is numpy.ndarray:
                return NUMPY
        backend = backend_of_type(kind)
        if backend is not None and backend is not NUMPY:
            return backend
    return NUMPY


_tensor_types = set()
"""Tensor classes (registered by chainrule._core): their arrays decide their backend."""


def array_module(*arrays):
    """The array module of these raw arrays (numpy, cupy, ...): what an op computes with."""
    if arrays and type(arrays[0]) is numpy.ndarray:
        return numpy
    return backend_of(*arrays).module


def is_array(value):
    """True for an array of any registered backend (NumPy scalars included)."""
    kind = type(value)
    return kind is numpy.ndarray or backend_of_type(kind) is not None


def dtype_kind(dtype):
    """NumPy's one-letter kind of any backend's dtype: "f", "c", "i", "u" or "b".

    NumPy's and CuPy's dtypes have `.kind`; Array API dtypes (array-api-strict's) do not,
    and give it through the NumPy dtype they wrap.
    """
    try:
        return dtype.kind
    except AttributeError:
        return numpy.dtype(getattr(dtype, "_np_dtype", dtype)).kind


def asarray(value, dtype=None, like=None):
    """`value` as an array of `like`'s backend (NumPy's when `like` is None): an array of a
    registered backend is kept (cast to `dtype`), anything else goes through the module's
    `asarray`."""
    if type(value) is numpy.ndarray and like is None:
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    own = backend_of_type(type(value))
    if own is not None and own is not NUMPY or like is None:
        module = own.module if own is not None else numpy
        return module.asarray(value, dtype=dtype)
    return backend_of(like).module.asarray(value, dtype=dtype)


def device_backend(device):
    """The backend for a device name ("cpu", "cuda", "cuda:0", or a registered stand-in).

    Raises a DeviceError that says why a device cannot be used (CuPy missing, no GPU).
    """
    name = str(device)
    base = name.split(":", 1)[0]
    if base not in _by_device and base in _loaders:
        _loaders[base]()
    backend = _by_device.get(base)
    if backend is None:
        known = ", ".join(sorted({*_by_device, *_loaders}))
        raise DeviceError(f"unknown device {name!r}; the devices are: {known}")
    return backend


def device_of(array):
    """The device name of a raw array ("cpu" for NumPy)."""
    return backend_of(array).device


def to_host(array):
    """A NumPy array with the values of `array` (a copy only where it lives on a device)."""
    backend = backend_of(array)
    return backend.to_host(array) if backend is not NUMPY else numpy.asarray(array)


def to_device(array, device, dtype=None):
    """The values of `array` (any backend, or array-like) on `device`."""
    target = device_backend(device)
    source = backend_of(array)
    if source is target:
        return target.module.asarray(array, dtype=dtype)
    host = source.to_host(array) if source is not NUMPY else array
    return target.from_host(host, dtype)


def errstate(*arrays, **kwargs):
    """The arrays' module's context for floating-point warnings (NumPy's `errstate`)."""
    return backend_of(*arrays).errstate(**kwargs)


def _load_cupy():
    """Register CuPy as the "cuda" backend, or raise a DeviceError that says what is missing."""
    try:
        import cupy
    except ImportError as error:
        raise DeviceError(
            "device 'cuda' needs CuPy, which is not installed: pip install 'chainrule[gpu]' "
            f"(CuPy for CUDA 12) ({error})"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver or runtime missing: CuPy raises its own types
        raise DeviceError(
            f"device 'cuda': CuPy is installed but no GPU is usable ({error})"
        ) from None
    if count < 1:
        raise DeviceError("device 'cuda': CuPy is installed but this machine has no GPU")
    register_backend(
        Backend(
            "cuda", cupy, (cupy.ndarray,), cupy.asnumpy,
            lambda array, dtype=None: cupy.asarray(array, dtype=dtype),
        )
    )


register_loader("cuda", _load_cupy)
