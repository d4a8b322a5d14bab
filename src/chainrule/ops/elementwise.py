"""Elementwise primitives: arithmetic, exp/log family, trigonometry, activations."""

import math

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.ops._primitive import primitive

xp = _backend.xp


def _strong_zero(g, derivative):
    """`g * derivative`, but exactly 0 where `g` is 0 even if the derivative is inf/NaN.

    So a branch that `where` did not take (cotangent 0) passes no NaN back from a
    singular point such as log(0) or sqrt(-1). The mask only drops non-finite
    derivatives, so the result stays linear in `g` (forward mode differentiates it in g).
    """
    return g * xp.where((g != 0) | xp.isfinite(derivative), derivative, 0)


@primitive
def add(x, y):
    return xp.add(x, y)


add.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)


@primitive
def subtract(x, y):
    return xp.subtract(x, y)


subtract.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g)


@primitive
def multiply(x, y):
    return xp.multiply(x, y)


multiply.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)


@primitive
def divide(x, y):
    return xp.divide(x, y)


divide.defvjp(
    lambda g, ans, x, y: _strong_zero(g, 1 / y),
    lambda g, ans, x, y: _strong_zero(g, -ans / y),
)


@primitive
def negative(x):
    return xp.negative(x)


@negative.defvjp
def _(g, ans, x):
    return -g


@primitive
def power(x, y):
    return xp.power(x, y)


def _power_vjp_base(g, ans, x, y):
    if isinstance(y, (int, float)):
        return g * 0 if y == 0 else g * (y * x ** (y - 1))
    return _strong_zero(g, xp.where(y == 0, 0, y * x ** (y - 1)))


def _power_vjp_exponent(g, ans, x, y):
    return _strong_zero(g, xp.where(x == 0, 0, ans * xp.log(xp.where(x == 0, 1, x))))


power.defvjp(_power_vjp_base, _power_vjp_exponent)


@primitive
def square(x):
    return xp.square(x)


@square.defvjp
def _(g, ans, x):
    return g * (2 * x)


@primitive
def sqrt(x):
    return xp.sqrt(x)


@sqrt.defvjp
def _(g, ans, x):
    return _strong_zero(g, 0.5 / ans)


@primitive
def exp(x):
    return xp.exp(x)


@exp.defvjp
def _(g, ans, x):
    return g * ans


@primitive
def expm1(x):
    return xp.expm1(x)


@expm1.defvjp
def _(g, ans, x):
    return g * (ans + 1)


@primitive
def log(x):
    return xp.log(x)


@log.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / x)


@primitive
def log1p(x):
    return xp.log1p(x)


@log1p.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / (1 + x))


@primitive
def sin(x):
    return xp.sin(x)


@sin.defvjp
def _(g, ans, x):
    return g * xp.cos(x)


@primitive
def cos(x):
    return xp.cos(x)


@cos.defvjp
def _(g, ans, x):
    return -g * xp.sin(x)


@primitive
def tan(x):
    return xp.tan(x)


@tan.defvjp
def _(g, ans, x):
    return g * (1 + ans * ans)


@primitive
def arcsin(x):
    return xp.arcsin(x)


@arcsin.defvjp
def _(g, ans, x):
    return _strong_zero(g, 1 / xp.sqrt(1 - x * x))


@primitive
def arccos(x):
    return xp.arccos(x)


@arccos.defvjp
def _(g, ans, x):
    return _strong_zero(g, -1 / xp.sqrt(1 - x * x))


@primitive
def arctan(x):
    return xp.arctan(x)


@arctan.defvjp
def _(g, ans, x):
    return g / (1 + x * x)


@primitive
def sinh(x):
    return xp.sinh(x)


@sinh.defvjp
def _(g, ans, x):
    return g * xp.cosh(x)


@primitive
def cosh(x):
    return xp.cosh(x)


@cosh.defvjp
def _(g, ans, x):
    return g * xp.sinh(x)


def log2(x):
    """Base-2 logarithm, log(x) / log(2)."""
    return log(x) * (1 / math.log(2.0))


def log10(x):
    """Base-10 logarithm, log(x) / log(10)."""
    return log(x) * (1 / math.log(10.0))


def exp2(x):
    """2 ** x, as exp(x log 2)."""
    return exp(x * math.log(2.0))


@primitive
def tanh(x):
    return xp.tanh(x)


@tanh.defvjp
def _(g, ans, x):
    return g * (1 - ans * ans)


@primitive
def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


@sigmoid.defvjp
def _(g, ans, x):
    return g * (ans * (1 - ans))


@primitive
def relu(x):
    return xp.maximum(x, 0)


@relu.defvjp
def _(g, ans, x):
    return g * (x > 0)


@primitive
def absolute(x):
    return xp.abs(x)


@absolute.defvjp
def _(g, ans, x):
    return g * xp.sign(x)


@primitive
def sign(x):
    """The sign of x; its derivative is zero everywhere it exists."""
    return xp.sign(x)


def _tie_share(winner, other):
    """1 where `winner` is strictly ahead, 0.5 at a tie (the gradient is split), else 0."""
    return xp.where(winner == other, 0.5, 1.0 * (winner > other)).astype(
        xp.result_type(winner, other, 1.0)
    )


@primitive
def maximum(x, y):
    return xp.maximum(x, y)


maximum.defvjp(
    lambda g, ans, x, y: g * _tie_share(raw(x), raw(y)),
    lambda g, ans, x, y: g * _tie_share(raw(y), raw(x)),
)


@primitive
def minimum(x, y):
    return xp.minimum(x, y)


minimum.defvjp(
    lambda g, ans, x, y: g * _tie_share(-raw(x), -raw(y)),
    lambda g, ans, x, y: g * _tie_share(-raw(y), -raw(x)),
)


@primitive
def where(condition, x, y):
    """x where condition holds, else y; the branch not taken gets a zero gradient."""
    return xp.where(condition, x, y)


where.defvjp(
    None,
    lambda g, ans, c, x, y: xp.where(raw(c), g, 0),
    lambda g, ans, c, x, y: xp.where(raw(c), 0, g),
)


@primitive
def clip(x, lower, upper):
    return xp.clip(x, lower, upper)


def _inside(x, lower, upper):
    x = raw(x)
    mask = xp.ones(x.shape, dtype=bool)
    if lower is not None:
        mask &= x >= raw(lower)
    if upper is not None:
        mask &= x <= raw(upper)
    return mask


clip.defvjp(
    lambda g, ans, x, lo, hi: g * _inside(x, lo, hi),
    lambda g, ans, x, lo, hi: g * (raw(x) < raw(lo)),
    lambda g, ans, x, lo, hi: g * (raw(x) > raw(hi)),
)


@primitive
def astype(x, dtype):
    return x.astype(dtype)


@astype.defvjp
def _(g, ans, x, dtype):
    return g.astype(x.dtype)


@primitive
def identity(x):
    """A new graph node with x's value (the functional API's fresh input nodes)."""
    return x


@identity.defvjp
def _(g, ans, x):
    return g
