"""The exponential distribution, as scipy.stats.expon: differentiable in x, loc and scale."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.scipy.stats._common import inside, keeps_dtype, valid, where


def _standardized(x, loc, scale):
    """(y inside the support, support mask) for y = (x - loc) / scale >= 0."""
    y = (x - loc) / scale
    support = raw(y) >= 0
    return inside(support, y), support


@keeps_dtype
def logpdf(x, loc=0.0, scale=1.0):
    y, support = _standardized(x, loc, scale)
    return valid(where(support, -y - np.log(scale), -np.inf), scale)


@keeps_dtype
def pdf(x, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, loc, scale))


@keeps_dtype
def cdf(x, loc=0.0, scale=1.0):
    y, support = _standardized(x, loc, scale)
    return valid(where(support, -np.expm1(-y), 0.0), scale)


@keeps_dtype
def logcdf(x, loc=0.0, scale=1.0):
    y, support = _standardized(x, loc, scale)
    return valid(where(support, np.log(-np.expm1(-y)), -np.inf), scale)


@keeps_dtype
def sf(x, loc=0.0, scale=1.0):
    return np.exp(logsf(x, loc, scale))


@keeps_dtype
def logsf(x, loc=0.0, scale=1.0):
    y, support = _standardized(x, loc, scale)
    return valid(where(support, -y, 0.0), scale)


rvs = scipy.stats.expon.rvs
