"""The Cauchy distribution, as scipy.stats.cauchy: differentiable in x, loc and scale."""

import math

import numpy as np
import scipy.stats

from chainrule.scipy.stats._common import keeps_dtype, valid


@keeps_dtype
def logpdf(x, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    return valid(-math.log(math.pi) - np.log(scale) - np.log1p(y * y), scale)


@keeps_dtype
def pdf(x, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, loc, scale))


@keeps_dtype
def cdf(x, loc=0.0, scale=1.0):
    return valid(0.5 + np.arctan((x - loc) / scale) / math.pi, scale)


@keeps_dtype
def logcdf(x, loc=0.0, scale=1.0):
    return np.log(cdf(x, loc, scale))


@keeps_dtype
def sf(x, loc=0.0, scale=1.0):
    return valid(0.5 - np.arctan((x - loc) / scale) / math.pi, scale)


@keeps_dtype
def logsf(x, loc=0.0, scale=1.0):
    return np.log(sf(x, loc, scale))


rvs = scipy.stats.cauchy.rvs
