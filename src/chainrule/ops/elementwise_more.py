"""More elementwise ops: arctan2, hypot, remainder/mod, fmod, inverse hyperbolic functions,
deg2rad/rad2deg, logaddexp, logaddexp2, sinc, fmax/fmin and select."""

import math

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.elementwise import _strong_zero, _tie_share, where
from chainrule.ops.numpy_dispatch import register


@primitive(numpy=numpy.arctan2)
def arctan2(y, x):
    """The angle of the point (x, y), in (-pi, pi]."""
    return array_module(y, x).arctan2(y, x)


arctan2.defvjp(
    lambda g, ans, y, x: _strong_zero(g, x / (x * x + y * y)),
    lambda g, ans, y, x: _strong_zero(g, -y / (x * x + y * y)),
)


@primitive(numpy=numpy.hypot)
def hypot(x, y):
    """sqrt(x^2 + y^2) without overflow; its gradient at the origin does not exist."""
    return array_module(x, y).hypot(x, y)


hypot.defvjp(
    lambda g, ans, x, y: _strong_zero(g, x / ans),
    lambda g, ans, x, y: _strong_zero(g, y / ans),
)


def _quotient(x, y, ans):
    """The integer n with x = n y + remainder, as a constant (it is piecewise constant)."""
    ans = raw(ans)
    return array_module(ans).round((raw(x) - ans) / raw(y))


@primitive(numpy=numpy.remainder)
def remainder(x, y):
    """x - floor(x / y) y, with the sign of y (Python's %); jumps where x / y is whole."""
    return array_module(x, y).remainder(x, y)


remainder.defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: g * -_quotient(x, y, ans),
)


@primitive(numpy=numpy.fmod)
def fmod(x, y):
    """x - trunc(x / y) y, with the sign of x (C's fmod)."""
    return array_module(x, y).fmod(x, y)


fmod.defvjp(
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: g * -_quotient(x, y, ans),
)


@primitive(numpy=numpy.arcsinh)
def arcsinh(x):
    return array_module(x).arcsinh(x)


@arcsinh.defvjp
def _(g, ans, x):
    return g / namespace(x).sqrt(x * x + 1)


@primitive(numpy=numpy.arccosh)
def arccosh(x):
    return array_module(x).arccosh(x)


@arccosh.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / namespace(x).sqrt(x * x - 1))


@primitive(numpy=numpy.arctanh)
def arctanh(x):
    return array_module(x).arctanh(x)


@arctanh.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / (1 - x * x))


@primitive(numpy=(numpy.deg2rad, numpy.radians))
def deg2rad(x):
    return array_module(x).deg2rad(x)


deg2rad.defvjp(lambda g, ans, x: g * (math.pi / 180))


@primitive(numpy=(numpy.rad2deg, numpy.degrees))
def rad2deg(x):
    return array_module(x).rad2deg(x)


rad2deg.defvjp(lambda g, ans, x: g * (180 / math.pi))


@primitive(numpy=numpy.logaddexp)
def logaddexp(x, y):
    """log(exp(x) + exp(y)), without overflow."""
    return array_module(x, y).logaddexp(x, y)


logaddexp.defvjp(
    lambda g, ans, x, y: g * namespace(x, ans).exp(x - ans),
    lambda g, ans, x, y: g * namespace(y, ans).exp(y - ans),
)


@primitive(numpy=numpy.logaddexp2)
def logaddexp2(x, y):
    """log2(2^x + 2^y), without overflow."""
    return array_module(x, y).logaddexp2(x, y)


logaddexp2.defvjp(
    lambda g, ans, x, y: g * namespace(x, ans).exp2(x - ans),
    lambda g, ans, x, y: g * namespace(y, ans).exp2(y - ans),
)


@primitive
def sinc(x):
    """sin(pi x) / (pi x), and 1 at 0."""
    return array_module(x).sinc(x)


@primitive
def _sinc_derivative(x, order):
    """The order-th derivative of sinc: x f^(d) + d f^(d-1) = pi^(d-1) sin(pi x + d pi / 2)
    (from x f = sin(pi x) / pi), and its Taylor series where |x| < 0.1 (no cancellation)."""
    xp = array_module(x)
    small = xp.abs(x) < 0.1
    safe = xp.where(small, 1, x)
    previous = xp.sinc(safe)
    for d in range(1, order + 1):
        previous = (math.pi ** (d - 1) * xp.sin(math.pi * safe + d * math.pi / 2)
                    - d * previous) / safe
    return xp.where(small, _sinc_series(x, order), previous)


def _sinc_series(x, order):
    """sum_k (-1)^k pi^2k (2k)! / ((2k - order)! (2k + 1)!) x^(2k - order)."""
    total = array_module(x).zeros_like(x)
    for k in range((order + 1) // 2, (order + 1) // 2 + 8):
        coefficient = (-1) ** k * math.pi ** (2 * k) * math.factorial(2 * k) / (
            math.factorial(2 * k - order) * math.factorial(2 * k + 1)
        )
        total = total + coefficient * x ** (2 * k - order)
    return total


sinc.defvjp(lambda g, ans, x: g * _sinc_derivative(x, 1))
_sinc_derivative.defvjp(lambda g, ans, x, order: g * _sinc_derivative(x, order + 1))
register(numpy.sinc, sinc)


def _nan_ignoring_share(winner, other):
    """fmax/fmin's split: like maximum's, but a NaN loses to any number."""
    winner, other = raw(winner), raw(other)
    xp = array_module(winner, other)
    share = _tie_share(xp.where(xp.isnan(winner), -math.inf, winner),
                       xp.where(xp.isnan(other), -math.inf, other))
    return xp.where(xp.isnan(other) & ~xp.isnan(winner), 1, share).astype(share.dtype)


@primitive(numpy=numpy.fmax)
def fmax(x, y):
    """The larger of x and y, ignoring a NaN in either (ties split the gradient)."""
    return array_module(x, y).fmax(x, y)


fmax.defvjp(
    lambda g, ans, x, y: g * _nan_ignoring_share(x, y),
    lambda g, ans, x, y: g * _nan_ignoring_share(y, x),
)


@primitive(numpy=numpy.fmin)
def fmin(x, y):
    """The smaller of x and y, ignoring a NaN in either (ties split the gradient)."""
    return array_module(x, y).fmin(x, y)


fmin.defvjp(
    lambda g, ans, x, y: g * _nan_ignoring_share(-raw(x), -raw(y)),
    lambda g, ans, x, y: g * _nan_ignoring_share(-raw(y), -raw(x)),
)


def select(condlist, choicelist, default=0):
    """The choice of the first condition that holds, else `default` (a where per choice)."""
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError("select: condlist and choicelist must be non-empty and of one length")
    result = default
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        mask = _backend.asarray(raw(condition), dtype=bool, like=raw(choice))
        result = where(mask, choice, result)
    return result


register(numpy.select, select)
