"""Python operators and array methods on Tensor, each a call to a chainrule op."""

import numpy

from chainrule import _backend
from chainrule._core.modes import is_grad_enabled
from chainrule._core.tensor import Tensor, refuse_graph_exit
from chainrule.ops import elementwise as ew
from chainrule.ops import elementwise_more, linalg, reductions, special
from chainrule.ops import shape as shape_ops
from chainrule.ops.indexing import IndexedUpdate, getitem, normalize_index
from chainrule.ops.numpy_dispatch import array_function, array_ufunc


def _shape_arg(shape):
    return shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape


def _assign(tensor, index, value):
    """In-place writes are for tensors outside any graph; graphs need `x.at[i].set(v)`.

    Host values (NumPy arrays, lists) written into a device Tensor are copied to its device.
    """
    if tensor.requires_grad and is_grad_enabled():
        raise TypeError(
            "cannot assign into a Tensor that requires grad: an in-place write would "
            "corrupt the recorded graph. Use x = x.at[index].set(value) instead (or "
            "assign under cr.no_grad(), e.g. in an optimiser step)"
        )
    data = tensor.data
    if isinstance(value, Tensor):
        value = value.data
    elif type(data) is not numpy.ndarray and isinstance(value, (numpy.ndarray, list, tuple)):
        value = _backend.asarray(value, like=data)
    data[normalize_index(index, data)] = value


PYTORCH_SPELLINGS = {
    "unsqueeze": "np.expand_dims(t, axis)",
    "view": "t.reshape(shape)",
    "permute": "t.transpose(axes)",
    "dim": "t.ndim",
    "numel": "t.size",
    "expand": "np.broadcast_to(t, shape)",
    "clamp": "t.clip(lower, upper)",
    "masked_fill": "np.where(mask, value, t)",
    "float": "t.astype(np.float32)",
    "double": "t.astype(np.float64)",
    "mm": "t @ other",
    "matmul": "t @ other",
}
"""PyTorch's Tensor names that NumPy spells differently; chainrule keeps NumPy's."""

PYTORCH_KEYWORDS = {"dim": "axis", "keepdim": "keepdims"}


def _missing_attribute(tensor, name):
    """Only reached when normal lookup fails: name NumPy's spelling of a PyTorch method."""
    if name.startswith("__"):
        raise AttributeError(name)
    hint = PYTORCH_SPELLINGS.get(name)
    message = f"'Tensor' object has no attribute {name!r}"
    if hint:
        message += f"; chainrule keeps NumPy's names: use {hint}"
    raise AttributeError(message)


class ElementCount(int):
    """`t.size`: NumPy's number of elements; calling it as PyTorch's `t.size()` says so."""

    def __call__(self, *axis):
        raise TypeError(
            "t.size is NumPy's number of elements (an int), not a method; "
            "PyTorch's t.size() is t.shape (and t.size(i) is t.shape[i])"
        )


def _with_numpy_keywords(name, method):
    """`method`, refusing PyTorch's `dim=`/`keepdim=` with NumPy's spelling in the error."""

    def with_numpy_keywords(self, *args, **kwargs):
        for torch_name, numpy_name in PYTORCH_KEYWORDS.items():
            if torch_name in kwargs:
                raise TypeError(
                    f"Tensor.{name}() takes NumPy's {numpy_name}=, not PyTorch's {torch_name}="
                )
        return method(self, *args, **kwargs)

    return with_numpy_keywords


def _astype(tensor, dtype):
    """Float to float stays in the graph; an integer or boolean copy is a constant (its
    derivative is zero almost everywhere), refused where a transformation differentiates."""
    dtype = numpy.dtype(dtype)
    if dtype == tensor.dtype:
        return tensor
    if dtype.kind in "fc":
        return ew.astype(tensor, dtype)
    refuse_graph_exit(
        tensor,
        f"astype({dtype})",
        "Use np.floor, np.round or np.sign (piecewise constant, zero derivative) on the "
        "Tensor, or cr.stop_gradient(x).astype(...) for an index or a count.",
    )
    return Tensor._constant(tensor.data.astype(dtype))


def _comparison(compare):
    def method(self, other):
        return compare(self.data, other.data if isinstance(other, Tensor) else other)

    return method


METHODS = {
    "__add__": lambda self, other: ew.add(self, other),
    "__radd__": lambda self, other: ew.add(other, self),
    "__sub__": lambda self, other: ew.subtract(self, other),
    "__rsub__": lambda self, other: ew.subtract(other, self),
    "__mul__": lambda self, other: ew.multiply(self, other),
    "__rmul__": lambda self, other: ew.multiply(other, self),
    "__truediv__": lambda self, other: ew.divide(self, other),
    "__rtruediv__": lambda self, other: ew.divide(other, self),
    "__pow__": lambda self, other: ew.power(self, other),
    "__rpow__": lambda self, other: ew.power(other, self),
    "__mod__": lambda self, other: elementwise_more.remainder(self, other),
    "__rmod__": lambda self, other: elementwise_more.remainder(other, self),
    "__matmul__": lambda self, other: linalg.matmul(self, other),
    "__rmatmul__": lambda self, other: linalg.matmul(other, self),
    "__neg__": lambda self: ew.negative(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: ew.absolute(self),
    "__getitem__": lambda self, index: getitem(self, normalize_index(index, self.data)),
    "__setitem__": lambda self, index, value: _assign(self, index, value),
    "at": property(IndexedUpdate, doc="Functional writes: x.at[i].set(v), x.at[i].add(v)."),
    "__iter__": lambda self: (getitem(self, (i,)) for i in range(len(self))),
    "__lt__": _comparison(lambda a, b: a < b),
    "__le__": _comparison(lambda a, b: a <= b),
    "__gt__": _comparison(lambda a, b: a > b),
    "__ge__": _comparison(lambda a, b: a >= b),
    "__eq__": _comparison(lambda a, b: a == b),
    "__ne__": _comparison(lambda a, b: a != b),
    "__array_ufunc__": lambda self, ufunc, method, *inputs, **kwargs: array_ufunc(
        ufunc, method, inputs, kwargs
    ),
    "__array_function__": lambda self, func, types, args, kwargs: array_function(
        func, args, kwargs
    ),
    "sum": lambda self, axis=None, keepdims=False: reductions.sum(self, axis, keepdims),
    "mean": lambda self, axis=None, keepdims=False: reductions.mean(self, axis, keepdims),
    "max": lambda self, axis=None, keepdims=False: reductions.max(self, axis, keepdims),
    "min": lambda self, axis=None, keepdims=False: reductions.min(self, axis, keepdims),
    "prod": lambda self, axis=None, keepdims=False: reductions.prod(self, axis, keepdims),
    "var": lambda self, axis=None, ddof=0, keepdims=False: reductions.var(
        self, axis, ddof, keepdims
    ),
    "std": lambda self, axis=None, ddof=0, keepdims=False: reductions.std(
        self, axis, ddof, keepdims
    ),
    "cumsum": lambda self, axis=None: reductions.cumsum(self, axis),
    "logsumexp": lambda self, axis=None, keepdims=False: reductions.logsumexp(self, axis, keepdims),
    "softmax": lambda self, axis=-1: special.softmax(self, axis),
    "log_softmax": lambda self, axis=-1: special.log_softmax(self, axis),
    "reshape": lambda self, *shape: shape_ops.reshape(self, _shape_arg(shape)),
    "transpose": lambda self, *axes: shape_ops.transpose(self, _shape_arg(axes) or None),
    "swapaxes": shape_ops.swapaxes,
    "squeeze": shape_ops.squeeze,
    "flatten": shape_ops.ravel,
    "ravel": shape_ops.ravel,
    "T": property(lambda self: shape_ops.transpose(self)),
    "exp": ew.exp,
    "log": ew.log,
    "log1p": ew.log1p,
    "expm1": ew.expm1,
    "sqrt": ew.sqrt,
    "square": ew.square,
    "sin": ew.sin,
    "cos": ew.cos,
    "tan": ew.tan,
    "tanh": ew.tanh,
    "sigmoid": ew.sigmoid,
    "relu": ew.relu,
    "abs": ew.absolute,
    "sign": ew.sign,
    "real": property(lambda self: ew.real(self), doc="The real part (differentiable)."),
    "imag": property(lambda self: ew.imag(self), doc="The imaginary part (differentiable)."),
    "conj": ew.conj,
    "conjugate": ew.conj,
    "clip": lambda self, lower=None, upper=None: ew.clip(self, lower, upper),
    "astype": _astype,
    "dot": lambda self, other: linalg.dot(self, other),
    "argmax": lambda self, axis=None: self.data.argmax(axis),
    "argmin": lambda self, axis=None: self.data.argmin(axis),
    "size": property(lambda self: ElementCount(self.data.size), doc="The number of elements."),
    "__getattr__": _missing_attribute,
}
AXIS_METHODS = (
    "sum", "mean", "max", "min", "prod", "var", "std", "cumsum", "logsumexp", "softmax",
    "log_softmax", "squeeze", "argmax", "argmin",
)


def install():
    """Attach the operators and methods to Tensor (the core does not know the ops)."""
    for name, method in METHODS.items():
        if name in AXIS_METHODS:
            setattr(Tensor, name, _with_numpy_keywords(name, method))
        elif hasattr(method, "__get__") or isinstance(method, property):
            setattr(Tensor, name, method)
        else:
            setattr(Tensor, name, _as_method(method))


def _as_method(op):
    return lambda self, *args, **kwargs: op(self, *args, **kwargs)


install()
