"""scipy.special's ufuncs as primitives, registered for NumPy dispatch on Tensors.

Imported only once SciPy is: `numpy_dispatch.array_ufunc` loads this module the first time
a scipy.special ufunc meets a Tensor, so `import chainrule` never imports SciPy. Each
function is differentiated in every argument whose derivative has a closed form; the
others (the order of a Bessel function, polygamma's n, the shape of an incomplete gamma)
raise GradientError when they require grad, never a silent zero.

On device arrays a function runs as the device's own (`cupyx.scipy.special` for CuPy)
where it has one, else on a host copy whose result goes back to the device.
"""

import functools
import math

import numpy
from scipy import special

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.errors import GradientError
from chainrule.ops import numpy_dispatch
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import Primitive
from chainrule.ops.elementwise import _strong_zero

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2 * math.pi)


def _keep_float_dtype(ans, args):
    """`ans` in the float dtype of the inputs: an integer order must not turn float32 into
    float64."""
    floats = [a.dtype for a in args if hasattr(a, "dtype") and a.dtype.kind in "fc"]
    if not floats or ans.dtype.kind not in "fc":
        return ans
    dtype = numpy.result_type(*floats)
    if ans.dtype.kind == "c":
        dtype = numpy.result_type(dtype, numpy.complex64)
    return ans if ans.dtype == dtype else ans.astype(dtype)


@functools.cache
def _device_special(module):
    """The scipy.special of an array module other than NumPy's (None where it has none)."""
    if module.__name__.split(".")[0] == "cupy":
        try:
            from cupyx.scipy import special as cupy_special
        except ImportError:
            return None
        return cupy_special
    return None


def _on_device(function, name, module, args):
    """`function(*args)` for arrays of `module`: its own version, or SciPy's on a host copy."""
    own = getattr(_device_special(module), name, None)
    if own is not None:
        return own(*args)
    backend = _backend.backend_of(*args)
    host = [_backend.to_host(a) if _backend.is_array(a) else a for a in args]
    return backend.from_host(numpy.asarray(function(*host)))


def _from_scipy(function, name=None):
    """A Primitive computing `function` (a scipy.special function) on raw arrays.

    Numbers give a NumPy scalar, as SciPy's ufuncs do (it mixes with any device's arrays).
    """
    name = name or function.__name__

    def forward(*args, **kwargs):
        if kwargs:
            raise TypeError(f"chainrule does not support scipy.special.{name} with keyword "
                            f"arguments ({', '.join(kwargs)}) on Tensors")
        module = array_module(*args)
        if module is not numpy:
            ans = module.asarray(_on_device(function, name, module, args))
        else:
            ans = function(*args)
            if type(ans) is not numpy.ndarray and any(type(a) is numpy.ndarray for a in args):
                ans = numpy.asarray(ans)
        return _keep_float_dtype(ans, args)

    forward.__doc__ = f"scipy.special.{name}, differentiable."
    return Primitive(forward, name=name)


def _no_derivative(name, argument):
    """The VJP of an argument without a closed-form derivative: a clear error, never 0."""

    def vjp(g, ans, *args):
        raise GradientError(
            f"scipy.special.{name}: no derivative with respect to {argument}; pass it as a "
            "plain array (or .detach() it) and differentiate the other arguments"
        )

    return vjp


gammaln = _from_scipy(special.gammaln)
gamma = _from_scipy(special.gamma)
digamma = _from_scipy(special.digamma)
polygamma = _from_scipy(special.polygamma)
rgamma = _from_scipy(special.rgamma)
gammasgn = _from_scipy(special.gammasgn)
gammainc = _from_scipy(special.gammainc)
gammaincc = _from_scipy(special.gammaincc)

gammaln.defvjp(lambda g, ans, x: g * digamma(x))
gammasgn.defvjp(None)
gamma.defvjp(lambda g, ans, x: g * (ans * digamma(x)))
digamma.defvjp(lambda g, ans, x: g * polygamma(1, x))
polygamma.defvjp(
    _no_derivative("polygamma", "the order n (argument 0)"),
    lambda g, ans, n, x: g * polygamma(n + 1, x),
)
rgamma.defvjp(lambda g, ans, x: -g * (ans * digamma(x)))


def _incomplete_gamma_density(a, x):
    """x^(a-1) e^-x / Gamma(a): d gammainc(a, x) / dx."""
    exponent = xlogy(a - 1, x) - x - gammaln(a)
    return namespace(exponent).exp(exponent)


gammainc.defvjp(
    _no_derivative("gammainc", "the shape a (argument 0)"),
    lambda g, ans, a, x: g * _incomplete_gamma_density(a, x),
)
gammaincc.defvjp(
    _no_derivative("gammaincc", "the shape a (argument 0)"),
    lambda g, ans, a, x: -g * _incomplete_gamma_density(a, x),
)

loggamma = _from_scipy(special.loggamma)
poch = _from_scipy(special.poch)
binom = _from_scipy(special.binom)

loggamma.defvjp(lambda g, ans, x: g * digamma(x))
poch.defvjp(
    lambda g, ans, z, m: g * (ans * (digamma(z + m) - digamma(z))),
    lambda g, ans, z, m: g * (ans * digamma(z + m)),
)
binom.defvjp(
    lambda g, ans, n, k: g * (ans * (digamma(n + 1) - digamma(n - k + 1))),
    lambda g, ans, n, k: g * (ans * (digamma(n - k + 1) - digamma(k + 1))),
)

beta = _from_scipy(special.beta)
betaln = _from_scipy(special.betaln)
betainc = _from_scipy(special.betainc)
betaincc = _from_scipy(special.betaincc)

beta.defvjp(
    lambda g, ans, a, b: g * (ans * (digamma(a) - digamma(a + b))),
    lambda g, ans, a, b: g * (ans * (digamma(b) - digamma(a + b))),
)
betaln.defvjp(
    lambda g, ans, a, b: g * (digamma(a) - digamma(a + b)),
    lambda g, ans, a, b: g * (digamma(b) - digamma(a + b)),
)


def _beta_density(a, b, x):
    """x^(a-1) (1-x)^(b-1) / B(a, b): d betainc(a, b, x) / dx."""
    exponent = xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b)
    return namespace(exponent).exp(exponent)


betainc.defvjp(
    _no_derivative("betainc", "the shape a (argument 0)"),
    _no_derivative("betainc", "the shape b (argument 1)"),
    lambda g, ans, a, b, x: g * _beta_density(a, b, x),
)
betaincc.defvjp(
    _no_derivative("betaincc", "the shape a (argument 0)"),
    _no_derivative("betaincc", "the shape b (argument 1)"),
    lambda g, ans, a, b, x: -g * _beta_density(a, b, x),
)

erf = _from_scipy(special.erf)
erfc = _from_scipy(special.erfc)
erfcx = _from_scipy(special.erfcx)
erfinv = _from_scipy(special.erfinv)
erfcinv = _from_scipy(special.erfcinv)

erf.defvjp(lambda g, ans, x: g * ((2 / SQRT_PI) * namespace(x).exp(-x * x)))
erfc.defvjp(lambda g, ans, x: g * ((-2 / SQRT_PI) * namespace(x).exp(-x * x)))
erfcx.defvjp(lambda g, ans, x: g * (2 * x * ans - 2 / SQRT_PI))
erfinv.defvjp(lambda g, ans, x: g * ((SQRT_PI / 2) * namespace(ans).exp(ans * ans)))
erfcinv.defvjp(lambda g, ans, x: g * ((-SQRT_PI / 2) * namespace(ans).exp(ans * ans)))

dawsn = _from_scipy(special.dawsn)
exp1 = _from_scipy(special.exp1)
expi = _from_scipy(special.expi)

dawsn.defvjp(lambda g, ans, x: g * (1 - 2 * x * ans))
exp1.defvjp(lambda g, ans, x: g * (-namespace(x).exp(-x) / x))
expi.defvjp(lambda g, ans, x: g * (namespace(x).exp(x) / x))

ndtr = _from_scipy(special.ndtr)
log_ndtr = _from_scipy(special.log_ndtr)
ndtri = _from_scipy(special.ndtri)

ndtr.defvjp(lambda g, ans, x: g * (namespace(x).exp(-0.5 * x * x) / SQRT_2PI))
log_ndtr.defvjp(lambda g, ans, x: g * (namespace(x, ans).exp(-0.5 * x * x - ans) / SQRT_2PI))
ndtri.defvjp(lambda g, ans, x: g * (SQRT_2PI * namespace(ans).exp(0.5 * ans * ans)))

expit = _from_scipy(special.expit)
log_expit = _from_scipy(special.log_expit)
logit = _from_scipy(special.logit)


def _softplus(x):
    """log(1 + exp(x)), without overflow."""
    return array_module(x).logaddexp(0, x)


softplus = Primitive(_softplus, name="softplus")

expit.defvjp(lambda g, ans, x: g * (ans * (1 - ans)))
log_expit.defvjp(lambda g, ans, x: g * expit(-x))
logit.defvjp(lambda g, ans, x: _strong_zero(g, 1 / (x * (1 - x))))
softplus.defvjp(lambda g, ans, x: g * expit(x))

xlogy = _from_scipy(special.xlogy)
xlog1py = _from_scipy(special.xlog1py)
entr = _from_scipy(special.entr)
rel_entr = _from_scipy(special.rel_entr)
kl_div = _from_scipy(special.kl_div)


def _ratio_zero_at_zero(x, y):
    """x / y, but 0 where x is 0 (the derivative of x log y in y, finite at y = 0)."""
    ns = namespace(x, y)
    at_zero = raw(x) == 0
    return ns.where(at_zero, 0, x / ns.where(at_zero, 1, y))


xlogy.defvjp(
    lambda g, ans, x, y: _strong_zero(g, namespace(y).log(y)),
    lambda g, ans, x, y: g * _ratio_zero_at_zero(x, y),
)
xlog1py.defvjp(
    lambda g, ans, x, y: _strong_zero(g, namespace(y).log1p(y)),
    lambda g, ans, x, y: g * _ratio_zero_at_zero(x, 1 + y),
)
entr.defvjp(lambda g, ans, x: _strong_zero(g, -(namespace(x).log(x) + 1)))
rel_entr.defvjp(
    lambda g, ans, x, y: _strong_zero(g, namespace(x, y).log(x / y) + 1),
    lambda g, ans, x, y: g * -_ratio_zero_at_zero(x, y),
)
kl_div.defvjp(
    lambda g, ans, x, y: _strong_zero(g, namespace(x, y).log(x / y)),
    lambda g, ans, x, y: g * (1 - _ratio_zero_at_zero(x, y)),
)

i0 = _from_scipy(special.i0)
i1 = _from_scipy(special.i1)
i0e = _from_scipy(special.i0e)
i1e = _from_scipy(special.i1e)
iv = _from_scipy(special.iv)
ive = _from_scipy(special.ive)

# I_v' = (I_{v-1} + I_{v+1}) / 2; the scaled ive(v, x) = iv(v, x) exp(-|x|) loses sign(x) ive.
i0.defvjp(lambda g, ans, x: g * i1(x))
i1.defvjp(lambda g, ans, x: g * ((i0(x) + iv(2, x)) / 2))
i0e.defvjp(lambda g, ans, x: g * (i1e(x) - namespace(x).sign(x) * ans))
i1e.defvjp(lambda g, ans, x: g * ((i0e(x) + ive(2, x)) / 2 - namespace(x).sign(x) * ans))
iv.defvjp(
    _no_derivative("iv", "the order v (argument 0)"),
    lambda g, ans, v, x: g * ((iv(v - 1, x) + iv(v + 1, x)) / 2),
)
ive.defvjp(
    _no_derivative("ive", "the order v (argument 0)"),
    lambda g, ans, v, x: g * ((ive(v - 1, x) + ive(v + 1, x)) / 2 - namespace(x).sign(x) * ans),
)

j0 = _from_scipy(special.j0)
j1 = _from_scipy(special.j1)
jv = _from_scipy(special.jv)
y0 = _from_scipy(special.y0)
y1 = _from_scipy(special.y1)
yv = _from_scipy(special.yv)
yn = _from_scipy(special.yn)

# J_v' = (J_{v-1} - J_{v+1}) / 2, and the same for Y.
j0.defvjp(lambda g, ans, x: -g * j1(x))
j1.defvjp(lambda g, ans, x: g * ((j0(x) - jv(2, x)) / 2))
jv.defvjp(
    _no_derivative("jv", "the order v (argument 0)"),
    lambda g, ans, v, x: g * ((jv(v - 1, x) - jv(v + 1, x)) / 2),
)
y0.defvjp(lambda g, ans, x: -g * y1(x))
y1.defvjp(lambda g, ans, x: g * ((y0(x) - yv(2, x)) / 2))
yv.defvjp(
    _no_derivative("yv", "the order v (argument 0)"),
    lambda g, ans, v, x: g * ((yv(v - 1, x) - yv(v + 1, x)) / 2),
)
yn.defvjp(
    _no_derivative("yn", "the order n (argument 0)"),
    lambda g, ans, n, x: g * ((yn(n - 1, x) - yn(n + 1, x)) / 2),
)
jn = jv

stdtr = _from_scipy(special.stdtr)


def _student_t_density(df, t):
    """Student's t density with `df` degrees of freedom: d stdtr(df, t) / dt."""
    ns = namespace(df, t)
    return ns.exp(
        gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * ns.log(df * math.pi)
        - (df + 1) / 2 * ns.log1p(t * t / df)
    )


stdtr.defvjp(
    _no_derivative("stdtr", "the degrees of freedom df (argument 0)"),
    lambda g, ans, df, t: g * _student_t_density(df, t),
)

UFUNCS = {
    special.gammaln: gammaln,
    special.gamma: gamma,
    special.digamma: digamma,
    special.rgamma: rgamma,
    special.gammasgn: gammasgn,
    special.gammainc: gammainc,
    special.gammaincc: gammaincc,
    special.loggamma: loggamma,
    special.poch: poch,
    special.binom: binom,
    special.dawsn: dawsn,
    special.exp1: exp1,
    special.expi: expi,
    special.beta: beta,
    special.betaln: betaln,
    special.betainc: betainc,
    special.betaincc: betaincc,
    special.erf: erf,
    special.erfc: erfc,
    special.erfcx: erfcx,
    special.erfinv: erfinv,
    special.erfcinv: erfcinv,
    special.ndtr: ndtr,
    special.log_ndtr: log_ndtr,
    special.ndtri: ndtri,
    special.expit: expit,
    special.log_expit: log_expit,
    special.logit: logit,
    special.xlogy: xlogy,
    special.xlog1py: xlog1py,
    special.entr: entr,
    special.rel_entr: rel_entr,
    special.kl_div: kl_div,
    special.i0: i0,
    special.i1: i1,
    special.i0e: i0e,
    special.i1e: i1e,
    special.iv: iv,
    special.ive: ive,
    special.j0: j0,
    special.j1: j1,
    special.jv: jv,
    special.y0: y0,
    special.y1: y1,
    special.yv: yv,
    special.yn: yn,
    special.stdtr: stdtr,
}

for _ufunc, _op in UFUNCS.items():
    numpy_dispatch.register(_ufunc, _op)
