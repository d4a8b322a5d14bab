"""scipy.special, differentiable: the ufuncs, and logsumexp, softmax, log_softmax,
multigammaln written with chainrule's ops (SciPy's own call np.asarray)."""

import math

import numpy as np

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.ops import reductions
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops.scipy_special import (
    beta,
    betainc,
    betaincc,
    betaln,
    binom,
    dawsn,
    digamma,
    entr,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    exp1,
    expi,
    expit,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    gammasgn,
    i0,
    i0e,
    i1,
    i1e,
    iv,
    ive,
    j0,
    j1,
    jn,
    jv,
    kl_div,
    log_expit,
    log_ndtr,
    loggamma,
    logit,
    ndtr,
    ndtri,
    poch,
    polygamma,
    rel_entr,
    rgamma,
    softplus,
    stdtr,
    xlog1py,
    xlogy,
    y0,
    y1,
    yn,
    yv,
)

psi = digamma


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over `axis`, as scipy.special.logsumexp (maximum subtracted).

    With `return_sign` the result is (log|sum|, sign); without it a negative sum is NaN.
    Differentiable in `a` and `b`.
    """
    a = a if hasattr(a, "shape") else np.asarray(a, dtype=float)
    if b is None and not return_sign:
        return reductions.logsumexp(a, axis=axis, keepdims=keepdims)
    module = module_of(a)
    if b is not None:
        b = b if hasattr(b, "shape") else _backend.asarray(b, like=raw(a))
        ns = namespace(a, b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        a = ns.where(raw(b) != 0, a if a.shape == shape else ns.broadcast_to(a, shape), -np.inf)
    else:
        ns = namespace(a)
        b = 1.0
    # The shift is a constant: log(sum(b exp(a - c))) + c does not depend on c.
    shift = module.max(raw(a), axis=axis, keepdims=True)
    shift = module.where(module.isfinite(shift), shift, 0)
    total = (b * ns.exp(a - shift)).sum(axis=axis, keepdims=True)
    sign = module.sign(raw(total))
    out = ns.log(ns.abs(total)) + shift
    if not return_sign:
        out = ns.where(sign < 0, np.nan, out)
    if not keepdims:
        out = ns.squeeze(out, axis=axis)
        sign = module.squeeze(sign, axis=axis)
    return (out, sign) if return_sign else out


def log_softmax(x, axis=None):
    """x - logsumexp(x) over `axis` (all elements when None, as SciPy)."""
    return x - reductions.logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over `axis` (all elements when None, as SciPy)."""
    log_probabilities = log_softmax(x, axis=axis)
    return namespace(log_probabilities).exp(log_probabilities)


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension `d`, differentiable in `a`."""
    if int(d) != d or d < 1:
        raise ValueError(f"multigammaln: d should be a positive integer (dimension); got {d}")
    d = int(d)
    module = module_of(a)
    if module.any(raw(a) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: a must be greater than (d - 1) / 2 = {0.5 * (d - 1)}")
    offsets = module.arange(d) / 2.0
    if getattr(a, "dtype", None) == np.float32:
        offsets = offsets.astype(np.float32)
    terms = gammaln(namespace(a).expand_dims(a, -1) - offsets)
    return d * (d - 1) * 0.25 * math.log(math.pi) + terms.sum(axis=-1)


__all__ = [
    "beta",
    "betainc",
    "betaincc",
    "betaln",
    "binom",
    "dawsn",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "kl_div",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "poch",
    "polygamma",
    "psi",
    "rel_entr",
    "rgamma",
    "softmax",
    "softplus",
    "stdtr",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "yv",
]
