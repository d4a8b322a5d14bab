"""The Laplace distribution, as scipy.stats.laplace: differentiable in x, loc and scale."""

import math

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.scipy.stats._common import keeps_dtype, valid

LOG_HALF = math.log(0.5)


@keeps_dtype
def logpdf(x, loc=0.0, scale=1.0):
    return valid(-np.abs((x - loc) / scale) - np.log(2 * scale), scale)


@keeps_dtype
def pdf(x, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, loc, scale))


def _halves(x, loc, scale):
    """(y where y < 0 else 0, y where y >= 0 else 0, mask y < 0) for y = (x - loc) / scale:
    each tail's formula sees only its own side, so neither overflows."""
    y = (x - loc) / scale
    below = raw(y) < 0
    return np.where(below, y, 0.0), np.where(below, 0.0, y), below


@keeps_dtype
def cdf(x, loc=0.0, scale=1.0):
    negative, positive, below = _halves(x, loc, scale)
    return valid(np.where(below, 0.5 * np.exp(negative), 1 - 0.5 * np.exp(-positive)), scale)


@keeps_dtype
def logcdf(x, loc=0.0, scale=1.0):
    negative, positive, below = _halves(x, loc, scale)
    return valid(np.where(below, LOG_HALF + negative, np.log1p(-0.5 * np.exp(-positive))), scale)


@keeps_dtype
def sf(x, loc=0.0, scale=1.0):
    return cdf(2 * loc - x, loc, scale)


@keeps_dtype
def logsf(x, loc=0.0, scale=1.0):
    return logcdf(2 * loc - x, loc, scale)


rvs = scipy.stats.laplace.rvs
