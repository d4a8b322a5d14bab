"""Elementwise primitives: arithmetic, exp/log family, trigonometry, activations."""

import math

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import match_input, primitive
from chainrule.ops.numpy_dispatch import register


def _strong_zero(g, derivative):
    """`g * derivative`, but exactly 0 where `g` is 0 even if the derivative is inf/NaN.

    So a branch that `where` did not take (cotangent 0) passes no NaN back from a
    singular point such as log(0) or sqrt(-1). The mask only drops non-finite
    derivatives, so the result stays linear in `g` (forward mode differentiates it in g).
    """
    if type(derivative) in (int, float) and math.isfinite(derivative):
        return g * derivative
    values, cotangent = raw(derivative), raw(g)
    xp = array_module(cotangent, values)
    keep = (cotangent != 0) | xp.isfinite(values)
    if values is derivative:
        return g * xp.where(keep, values, 0)
    return g * where(keep, derivative, 0)


@primitive(numpy=numpy.add)
def add(x, y):
    return array_module(x, y).add(x, y)


add.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)


@primitive(numpy=numpy.subtract)
def subtract(x, y):
    return array_module(x, y).subtract(x, y)


subtract.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g)


@primitive(numpy=numpy.multiply)
def multiply(x, y):
    return array_module(x, y).multiply(x, y)


multiply.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)


@primitive(numpy=numpy.divide)
def divide(x, y):
    return array_module(x, y).divide(x, y)


divide.defvjp(
    lambda g, ans, x, y: _strong_zero(g, 1 / y),
    lambda g, ans, x, y: _strong_zero(g, -ans / y),
)


@primitive(numpy=numpy.negative)
def negative(x):
    return array_module(x).negative(x)


@negative.defvjp
def _(g, ans, x):
    return -g


@primitive(numpy=numpy.power)
def power(x, y):
    return array_module(x, y).power(x, y)


def _power_vjp_base(g, ans, x, y):
    if isinstance(y, (int, float)):
        return g * 0 if y == 0 else g * (y * x ** (y - 1))
    return _strong_zero(g, namespace(x, y).where(raw(y) == 0, 0, y * x ** (y - 1)))


def _power_vjp_exponent(g, ans, x, y):
    ns = namespace(ans, x)
    at_zero = raw(x) == 0
    return _strong_zero(g, ns.where(at_zero, 0, ans * ns.log(ns.where(at_zero, 1, x))))


power.defvjp(_power_vjp_base, _power_vjp_exponent)


@primitive(numpy=numpy.square)
def square(x):
    return array_module(x).square(x)


@square.defvjp
def _(g, ans, x):
    return g * (2 * x)


@primitive(numpy=numpy.sqrt)
def sqrt(x):
    return array_module(x).sqrt(x)


@sqrt.defvjp
def _(g, ans, x):
    return _strong_zero(g, 0.5 / ans)


@primitive(numpy=numpy.exp)
def exp(x):
    return array_module(x).exp(x)


@exp.defvjp
def _(g, ans, x):
    return g * ans


@primitive(numpy=numpy.expm1)
def expm1(x):
    return array_module(x).expm1(x)


@expm1.defvjp
def _(g, ans, x):
    return g * (ans + 1)


@primitive(numpy=numpy.log)
def log(x):
    return array_module(x).log(x)


@log.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / x)


@primitive(numpy=numpy.log1p)
def log1p(x):
    return array_module(x).log1p(x)


@log1p.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / (1 + x))


@primitive(numpy=numpy.sin)
def sin(x):
    return array_module(x).sin(x)


@sin.defvjp
def _(g, ans, x):
    return g * namespace(x).cos(x)


@primitive(numpy=numpy.cos)
def cos(x):
    return array_module(x).cos(x)


@cos.defvjp
def _(g, ans, x):
    return -g * namespace(x).sin(x)


@primitive(numpy=numpy.tan)
def tan(x):
    return array_module(x).tan(x)


@tan.defvjp
def _(g, ans, x):
    return g * (1 + ans * ans)


@primitive(numpy=numpy.arcsin)
def arcsin(x):
    return array_module(x).arcsin(x)


@arcsin.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / namespace(x).sqrt(1 - x * x))


@primitive(numpy=numpy.arccos)
def arccos(x):
    return array_module(x).arccos(x)


@arccos.defvjp
def _(g, ans, x):
    return _strong_zero(g, -1 / namespace(x).sqrt(1 - x * x))


@primitive(numpy=numpy.arctan)
def arctan(x):
    return array_module(x).arctan(x)


@arctan.defvjp
def _(g, ans, x):
    return g / (1 + x * x)


@primitive(numpy=numpy.sinh)
def sinh(x):
    return array_module(x).sinh(x)


@sinh.defvjp
def _(g, ans, x):
    return g * namespace(x).cosh(x)


@primitive(numpy=numpy.cosh)
def cosh(x):
    return array_module(x).cosh(x)


@cosh.defvjp
def _(g, ans, x):
    return g * namespace(x).sinh(x)


def log2(x):
    """Base-2 logarithm, log(x) / log(2)."""
    return log(x) * (1 / math.log(2.0))


register(numpy.log2, log2)


def log10(x):
    """Base-10 logarithm, log(x) / log(10)."""
    return log(x) * (1 / math.log(10.0))


register(numpy.log10, log10)


def exp2(x):
    """2 ** x, as exp(x log 2)."""
    return exp(x * math.log(2.0))


register(numpy.exp2, exp2)


@primitive(numpy=numpy.tanh)
def tanh(x):
    return array_module(x).tanh(x)


@tanh.defvjp
def _(g, ans, x):
    return g * (1 - ans * ans)


@primitive
def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    xp = array_module(x)
    if xp.iscomplexobj(x):
        return 1 / (1 + xp.exp(-x))
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


@sigmoid.defvjp
def _(g, ans, x):
    return g * (ans * (1 - ans))


@primitive
def relu(x):
    return array_module(x).maximum(x, 0)


@relu.defvjp
def _(g, ans, x):
    return g * (x > 0)


@primitive(numpy=numpy.absolute)
def absolute(x):
    return array_module(x).abs(x)


@absolute.defvjp
def _(g, ans, x):
    ns = namespace(ans, x)
    if x.dtype.kind == "c":
        # conj(z) / |z| in the convention of docs/core.md ("Complex numbers"); 0 at z = 0.
        return g * (ns.conj(x) / ns.where(raw(ans) == 0, 1, ans))
    return g * ns.sign(x)


def fabs(x):
    """|x| for real x (NumPy's fabs refuses complex input, and so does this)."""
    if module_of(x).iscomplexobj(raw(x)):
        raise TypeError("numpy.fabs is not defined for complex input; use numpy.abs")
    return absolute(x)


register(numpy.fabs, fabs)


@primitive(numpy=numpy.real)
def real(x):
    """The real part of x (x itself for real x)."""
    return array_module(x).real(x)


@real.defvjp
def _(g, ans, x):
    return g


@primitive(numpy=numpy.imag)
def imag(x):
    """The imaginary part of x (zeros for real x)."""
    return array_module(x).imag(x)


@imag.defvjp
def _(g, ans, x):
    return g * -1j


@primitive(numpy=numpy.conjugate)
def conj(x):
    """The complex conjugate (x itself for real x)."""
    return array_module(x).conj(x)


@conj.defvjp
def _(g, ans, x):
    return namespace(g).conj(g)


conjugate = conj


def real_if_close(x, tol=100):
    """x's real part when every imaginary part is within `tol` machine epsilons of 0."""
    values = _backend.asarray(raw(x))
    if values.dtype.kind != "c":
        return x
    bound = tol * numpy.finfo(values.dtype).eps if tol > 1 else tol
    return real(x) if bool((abs(values.imag) < bound).all()) else x


register(numpy.real_if_close, real_if_close)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by numbers; the replaced entries get a zero gradient."""
    values = raw(x)
    xp = array_module(values)
    replaced = xp.nan_to_num(values, nan=nan, posinf=posinf, neginf=neginf)
    return where(xp.isfinite(values), x, replaced)


register(numpy.nan_to_num, nan_to_num)


@primitive(numpy=numpy.angle)
def angle(x, deg=False):
    """The argument of complex x, atan2(imag, real), in radians (degrees with deg=True)."""
    return array_module(x).angle(x, deg)


@angle.defvjp
def _(g, ans, x, deg=False):
    if x.dtype.kind != "c":
        return g * 0
    # d angle = dy x / r^2 - dx y / r^2, which the convention writes as conj(1j z) / |z|^2.
    ns = namespace(x)
    scale = 180 / math.pi if deg else 1
    squared = ns.real(x * ns.conj(x))
    return g * (ns.conj(x * 1j) * scale / ns.where(raw(squared) == 0, 1, squared))


@primitive(numpy=numpy.sign)
def sign(x):
    """The sign of x (z / |z| for complex z); for real x its derivative is 0 where it exists."""
    return array_module(x).sign(x)


@sign.defvjp
def _(g, ans, x):
    if x.dtype.kind != "c":
        return g * 0
    # sign(z) = z / |z| varies along the circle: g / |z| - Re(g z) conj(z) / |z|^3, 0 at 0.
    ns = namespace(g, x)
    radius = ns.abs(x)
    at_zero = raw(radius) == 0
    safe = ns.where(at_zero, 1, radius)
    return ns.where(at_zero, 0, g / safe - ns.real(g * x) * ns.conj(x) / safe**3)


def _tie_share(winner, other):
    """1 where `winner` is strictly ahead, 0.5 at a tie (the gradient is split), else 0."""
    xp = array_module(winner, other)
    return xp.where(winner == other, 0.5, 1.0 * (winner > other)).astype(
        xp.result_type(winner, other, 1.0)
    )


@primitive(numpy=numpy.maximum)
def maximum(x, y):
    return array_module(x, y).maximum(x, y)


maximum.defvjp(
    lambda g, ans, x, y: g * _tie_share(raw(x), raw(y)),
    lambda g, ans, x, y: g * _tie_share(raw(y), raw(x)),
)


@primitive(numpy=numpy.minimum)
def minimum(x, y):
    return array_module(x, y).minimum(x, y)


minimum.defvjp(
    lambda g, ans, x, y: g * _tie_share(-raw(x), -raw(y)),
    lambda g, ans, x, y: g * _tie_share(-raw(y), -raw(x)),
)


@primitive
def where(condition, x, y):
    """x where condition holds, else y; the branch not taken gets a zero gradient."""
    return array_module(condition, x, y).where(condition, x, y)


where.defvjp(
    None,
    lambda g, ans, c, x, y: namespace(g).where(raw(c), g, 0),
    lambda g, ans, c, x, y: namespace(g).where(raw(c), 0, g),
)


@primitive
def clip(x, lower, upper):
    return array_module(x, lower, upper).clip(x, lower, upper)


def _inside(x, lower, upper):
    """Where clip passes x through (bounds may broadcast x to a larger shape)."""
    x = raw(x)
    mask = array_module(x).ones(x.shape, dtype=bool)
    if lower is not None:
        mask = mask & (x >= raw(lower))
    if upper is not None:
        mask = mask & (x <= raw(upper))
    return mask


def _lower_binds(x, lower, upper):
    """Where clip's value is `lower`: x below it, and `lower` not above `upper`."""
    mask = raw(x) < raw(lower)
    return mask if upper is None else mask & (raw(lower) <= raw(upper))


def _upper_binds(x, lower, upper):
    """Where clip's value is `upper`: NumPy's clip is minimum(maximum(x, lower), upper)."""
    x = raw(x)
    floor = x if lower is None else array_module(x, raw(lower)).maximum(x, raw(lower))
    return floor > raw(upper)


clip.defvjp(
    lambda g, ans, x, lo, hi: g * _inside(x, lo, hi),
    lambda g, ans, x, lo, hi: g * _lower_binds(x, lo, hi),
    lambda g, ans, x, lo, hi: g * _upper_binds(x, lo, hi),
)


def _numpy_where(condition, x=None, y=None):
    """numpy.where: with one argument the indices where it holds, else an elementwise choice."""
    if x is None and y is None:
        return module_of(condition).nonzero(raw(condition))
    return where(raw(condition), x, y)


def _numpy_clip(a, a_min=None, a_max=None, **kwargs):
    """numpy.clip, with NumPy 2's `min=`/`max=` spellings too."""
    return clip(a, kwargs.pop("min", a_min), kwargs.pop("max", a_max), **kwargs)


register(numpy.where, _numpy_where)
register(numpy.clip, _numpy_clip)


@primitive
def astype(x, dtype):
    return x.astype(dtype)


@astype.defvjp
def _(g, ans, x, dtype):
    return match_input(g, x)


@primitive
def identity(x):
    """A new graph node with x's value (the functional API's fresh input nodes)."""
    return x


@identity.defvjp
def _(g, ans, x):
    return g


register(numpy.positive, identity)


def reciprocal(x):
    """1 / x."""
    return divide(1, x)


register(numpy.reciprocal, reciprocal)
