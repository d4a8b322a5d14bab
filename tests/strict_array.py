"""A NumPy-backed array that refuses NumPy, as CuPy's arrays do: the CPU stand-in for a GPU.

`StrictArray` wraps an ndarray. Its `__array__` raises (no implicit conversion), NumPy's
ufuncs and functions refuse it (`__array_ufunc__ = None`, no `__array_function__`), and its
operators and its module `strict` refuse plain NumPy arrays (only Python and NumPy
scalars mix in, as with CuPy). `strict` has NumPy's names (linalg and fft included);
each call unwraps StrictArrays, runs NumPy and wraps every array it returns, 0-d results
included, as CuPy returns 0-d arrays. So any chainrule code that hands a device array to
NumPy, or a NumPy array to the device's module, or a Tensor to either, raises.

`use_strict_device()` registers it as chainrule's device "strict".
"""

import contextlib
import operator
import types

import numpy

from chainrule import _backend


class ImplicitConversionError(TypeError):
    """What CuPy raises for `numpy.asarray(cupy_array)`."""


class StrictArray:
    """An array on the pretend device; `.get()` copies it to the host, as in CuPy."""

    __slots__ = ("_a",)
    __array_ufunc__ = None
    __array_priority__ = 100

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"StrictArray wraps an ndarray, not {type(array).__name__}")
        self._a = array

    def __array__(self, dtype=None, copy=None):
        raise ImplicitConversionError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
            "construct a NumPy array explicitly."
        )

    def get(self):
        return self._a.copy()

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: StrictArray(self._a.T))
    mT = property(lambda self: StrictArray(numpy.swapaxes(self._a, -1, -2)))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))
    base = property(lambda self: None if self._a.base is None else StrictArray(self._a.base)
                    if isinstance(self._a.base, numpy.ndarray) else None)
    flags = property(lambda self: _Flags(self._a.flags))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __repr__(self):
        return f"StrictArray({self._a!r})"

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_key(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap_key(key)] = _unwrap_operand(value)

    def __getattr__(self, name):
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return _wrap(attribute)

        def method(*args, **kwargs):
            return _wrap(attribute(*_unwrap_all(args), **_unwrap_all(kwargs)))

        return method

    def __hash__(self):
        return id(self)


class _Flags:
    """CuPy's flags: contiguity and ownership; no `writeable` (a device array always is)."""

    def __init__(self, flags):
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous
        self.owndata = flags.owndata


def _binary(op):
    def forward(self, other):
        if not _is_operand(other):
            return NotImplemented
        return _wrap(op(self._a, _unwrap_operand(other)))

    def reflected(self, other):
        if not _is_operand(other):
            return NotImplemented
        return _wrap(op(_unwrap_operand(other), self._a))

    return forward, reflected


def _inplace(op):
    def update(self, other):
        if not _is_operand(other):
            return NotImplemented
        op(self._a, _unwrap_operand(other))
        return self

    return update


for _name, _op in {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "matmul": operator.matmul, "and": operator.and_,
    "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
    "rshift": operator.rshift,
}.items():
    _forward, _reflected = _binary(_op)
    setattr(StrictArray, f"__{_name}__", _forward)
    setattr(StrictArray, f"__r{_name}__", _reflected)
    setattr(StrictArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))

for _name, _op in {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "eq": operator.eq, "ne": operator.ne,
}.items():
    setattr(StrictArray, f"__{_name}__", _binary(_op)[0])

for _name, _op in {
    "neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert,
}.items():
    setattr(StrictArray, f"__{_name}__", (lambda op: lambda self: _wrap(op(self._a)))(_op))


def _is_operand(value):
    return isinstance(value, (StrictArray, int, float, complex, bool, numpy.generic))


def _refuse_numpy(value):
    if isinstance(value, numpy.ndarray):
        raise TypeError(
            "Unsupported type <class 'numpy.ndarray'>: a NumPy array was mixed with arrays of "
            "the strict device"
        )
    if type(value).__name__ == "Tensor":
        raise TypeError("a chainrule Tensor was handed to the strict device's array module")


def _unwrap_operand(value):
    _refuse_numpy(value)
    return value._a if isinstance(value, StrictArray) else value


def _unwrap_key(key):
    if isinstance(key, tuple):
        return tuple(_unwrap_key(item) for item in key)
    if isinstance(key, StrictArray):
        return key._a
    if isinstance(key, numpy.ndarray):
        _refuse_numpy(key)
    return key


def _unwrap_all(value):
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_all(item) for item in value)
    if isinstance(value, dict):
        return {key: _unwrap_all(item) for key, item in value.items()}
    _refuse_numpy(value)
    return value


def _wrap(value):
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_wrap(item) for item in value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    if hasattr(value, "_fields"):
        return type(value)(*(_wrap(item) for item in value))
    return value


class _StrictUfunc:
    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin = ufunc.nin
        self.nout = ufunc.nout

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap_all(args), **_unwrap_all(kwargs)))

    def __getattr__(self, method):
        function = getattr(self._ufunc, method)

        def call(*args, **kwargs):
            return _wrap(function(*_unwrap_all(args), **_unwrap_all(kwargs)))

        return call


_NOT_ON_DEVICE = {"asarray", "array", "ascontiguousarray", "asanyarray", "copy"}


class _StrictModule(types.ModuleType):
    """NumPy's names over StrictArrays."""

    def __init__(self, name, numpy_module):
        super().__init__(name)
        self._numpy = numpy_module

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        reference = getattr(self._numpy, name)
        if isinstance(reference, types.ModuleType):
            found = _StrictModule(f"{self.__name__}.{name}", reference)
        elif isinstance(reference, numpy.ufunc):
            found = _StrictUfunc(reference)
        elif isinstance(reference, type) or not callable(reference):
            found = reference
        elif name in _NOT_ON_DEVICE:
            found = _make_converter(reference)
        else:
            found = _make_function(reference)
        setattr(self, name, found)
        return found


def _make_function(function):
    def call(*args, **kwargs):
        return _wrap(function(*_unwrap_all(args), **_unwrap_all(kwargs)))

    call.__name__ = function.__name__
    return call


def _make_converter(function):
    """`asarray` and friends: from StrictArrays, numbers and lists (as `cupy.asarray` also
    takes host arrays, this one takes them too: it is the explicit upload)."""

    def call(value, *args, **kwargs):
        if isinstance(value, StrictArray):
            return StrictArray(function(value._a, *args, **kwargs))
        return StrictArray(numpy.asarray(function(to_host(value), *args, **kwargs)))

    call.__name__ = function.__name__
    return call


strict = _StrictModule("strict", numpy)
strict.ndarray = StrictArray
strict.asnumpy = lambda array: array.get() if isinstance(array, StrictArray) else numpy.asarray(
    array
)

BACKEND = _backend.Backend(
    "strict",
    strict,
    (StrictArray,),
    lambda array: array.get(),
    lambda array, dtype=None: StrictArray(numpy.array(array, dtype=dtype)),
)


@contextlib.contextmanager
def registered(backend):
    """`backend` registered (its device named) for the duration of the block."""
    _backend.register_backend(backend)
    try:
        yield backend
    finally:
        _backend.unregister_backend(backend.device)


def use_strict_device():
    """Register the "strict" device for the duration of the block."""
    return registered(BACKEND)


def to_strict(value):
    """A NumPy array (or a pytree of them) as StrictArrays."""
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return StrictArray(numpy.array(value))
    if isinstance(value, (list, tuple)):
        return type(value)(to_strict(item) for item in value)
    if isinstance(value, dict):
        return {key: to_strict(item) for key, item in value.items()}
    return value


def to_host(value):
    """StrictArrays (and Tensors of them) in a pytree back as NumPy arrays."""
    if isinstance(value, StrictArray):
        return value.get()
    if type(value).__name__ == "Tensor":
        return to_host(value.data)
    if isinstance(value, (list, tuple)):
        return type(value)(to_host(item) for item in value)
    if isinstance(value, dict):
        return {key: to_host(item) for key, item in value.items()}
    return value
