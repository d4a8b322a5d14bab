"""The beta distribution, as scipy.stats.beta: differentiable in x, loc and scale, and in
the shapes a and b for the densities (the cdf has no closed-form derivative in them)."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.ops.scipy_special import betainc, betaincc, betaln, xlog1py, xlogy
from chainrule.scipy.stats._common import inside, keeps_dtype, valid, where


@keeps_dtype
def logpdf(x, a, b, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = (raw(y) >= 0) & (raw(y) <= 1)
    y = inside(support, y)
    value = xlogy(a - 1, y) + xlog1py(b - 1, -y) - betaln(a, b) - np.log(scale)
    return valid(where(support, value, -np.inf), a, b, scale)


@keeps_dtype
def pdf(x, a, b, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, a, b, loc, scale))


def _clipped(y):
    """y clipped to [0, 1], with no gradient outside (the cdf is constant there)."""
    y_raw = raw(y)
    return np.where(y_raw < 0, 0.0, np.where(y_raw > 1, 1.0, y))


@keeps_dtype
def cdf(x, a, b, loc=0.0, scale=1.0):
    return valid(betainc(a, b, _clipped((x - loc) / scale)), a, b, scale)


@keeps_dtype
def logcdf(x, a, b, loc=0.0, scale=1.0):
    return np.log(cdf(x, a, b, loc, scale))


@keeps_dtype
def sf(x, a, b, loc=0.0, scale=1.0):
    return valid(betaincc(a, b, _clipped((x - loc) / scale)), a, b, scale)


@keeps_dtype
def logsf(x, a, b, loc=0.0, scale=1.0):
    return np.log(sf(x, a, b, loc, scale))


rvs = scipy.stats.beta.rvs
