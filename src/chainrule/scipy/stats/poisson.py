"""The Poisson distribution, as scipy.stats.poisson: differentiable in the rate mu (the
count k is discrete and refuses a gradient)."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.ops.scipy_special import gammainc, gammaincc, gammaln, xlogy
from chainrule.scipy.stats._common import constant, keeps_dtype, where


def _rate(value, mu):
    """`value`, NaN where the rate mu is negative (as SciPy returns)."""
    return where(raw(mu) >= 0, value, np.nan)


@keeps_dtype
def logpmf(k, mu, loc=0):
    k = constant(k, "poisson.logpmf", "k") - constant(loc, "poisson.logpmf", "loc")
    support = (k >= 0) & (k == np.floor(k))
    k = np.where(support, k, 0)
    return _rate(where(support, xlogy(k, mu) - gammaln(k + 1) - mu, -np.inf), mu)


@keeps_dtype
def pmf(k, mu, loc=0):
    return np.exp(logpmf(k, mu, loc))


@keeps_dtype
def cdf(k, mu, loc=0):
    k = np.floor(constant(k, "poisson.cdf", "k") - constant(loc, "poisson.cdf", "loc"))
    support = k >= 0
    return _rate(where(support, gammaincc(np.where(support, k, 0) + 1, mu), 0.0), mu)


@keeps_dtype
def logcdf(k, mu, loc=0):
    return np.log(cdf(k, mu, loc))


@keeps_dtype
def sf(k, mu, loc=0):
    k = np.floor(constant(k, "poisson.sf", "k") - constant(loc, "poisson.sf", "loc"))
    support = k >= 0
    return _rate(where(support, gammainc(np.where(support, k, 0) + 1, mu), 1.0), mu)


@keeps_dtype
def logsf(k, mu, loc=0):
    return np.log(sf(k, mu, loc))


rvs = scipy.stats.poisson.rvs
