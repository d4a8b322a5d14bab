"""The gamma distribution, as scipy.stats.gamma: differentiable in x, loc and scale, and in
the shape a for the densities (the cdf has no closed-form derivative in a)."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.ops.scipy_special import gammainc, gammaincc, gammaln, xlogy
from chainrule.scipy.stats._common import inside, keeps_dtype, valid, where


@keeps_dtype
def logpdf(x, a, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    y = inside(support, y)
    value = xlogy(a - 1, y) - y - gammaln(a) - np.log(scale)
    return valid(where(support, value, -np.inf), a, scale)


@keeps_dtype
def pdf(x, a, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, a, loc, scale))


@keeps_dtype
def cdf(x, a, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    return valid(where(support, gammainc(a, inside(support, y)), 0.0), a, scale)


@keeps_dtype
def logcdf(x, a, loc=0.0, scale=1.0):
    return np.log(cdf(x, a, loc, scale))


@keeps_dtype
def sf(x, a, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    return valid(where(support, gammaincc(a, inside(support, y)), 1.0), a, scale)


@keeps_dtype
def logsf(x, a, loc=0.0, scale=1.0):
    return np.log(sf(x, a, loc, scale))


rvs = scipy.stats.gamma.rvs
