"""The normal distribution, as scipy.stats.norm: differentiable in x, loc and scale."""

import numpy as np
import scipy.stats

from chainrule.ops.scipy_special import log_ndtr, ndtr, ndtri
from chainrule.scipy.stats._common import LOG_2PI, keeps_dtype, valid


@keeps_dtype
def logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return valid(-0.5 * z * z - np.log(scale) - 0.5 * LOG_2PI, scale)


@keeps_dtype
def pdf(x, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, loc, scale))


@keeps_dtype
def cdf(x, loc=0.0, scale=1.0):
    return valid(ndtr((x - loc) / scale), scale)


@keeps_dtype
def logcdf(x, loc=0.0, scale=1.0):
    return valid(log_ndtr((x - loc) / scale), scale)


@keeps_dtype
def sf(x, loc=0.0, scale=1.0):
    return valid(ndtr((loc - x) / scale), scale)


@keeps_dtype
def logsf(x, loc=0.0, scale=1.0):
    return valid(log_ndtr((loc - x) / scale), scale)


@keeps_dtype
def ppf(q, loc=0.0, scale=1.0):
    """The quantile function, the inverse of cdf."""
    return valid(loc + scale * ndtri(q), scale)


@keeps_dtype
def isf(q, loc=0.0, scale=1.0):
    """The inverse of sf."""
    return valid(loc - scale * ndtri(q), scale)


rvs = scipy.stats.norm.rvs
