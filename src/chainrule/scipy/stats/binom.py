"""The binomial distribution, as scipy.stats.binom: differentiable in the probability p
(the counts k and n are discrete and refuse a gradient)."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.ops.scipy_special import betainc, gammaln, xlog1py, xlogy
from chainrule.scipy.stats._common import constant, keeps_dtype, where


def _counts(k, n, loc, function):
    k = constant(k, f"binom.{function}", "k") - constant(loc, f"binom.{function}", "loc")
    return k, constant(n, f"binom.{function}", "n")


def _parameters(value, n, p):
    """`value`, NaN where n is not a count or p is outside [0, 1] (as SciPy returns)."""
    p = raw(p)
    ok = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1)
    return where(ok, value, np.nan)


@keeps_dtype
def logpmf(k, n, p, loc=0):
    k, n = _counts(k, n, loc, "logpmf")
    support = (k >= 0) & (k <= n) & (k == np.floor(k))
    k = np.where(support, k, 0)
    value = (
        gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + xlogy(k, p) + xlog1py(n - k, -p)
    )
    return _parameters(where(support, value, -np.inf), n, p)


@keeps_dtype
def pmf(k, n, p, loc=0):
    return np.exp(logpmf(k, n, p, loc))


@keeps_dtype
def cdf(k, n, p, loc=0):
    k, n = _counts(k, n, loc, "cdf")
    k = np.floor(k)
    below, above = k < 0, k >= n
    k = np.where(below | above, 0, k)
    value = np.where(above, 1.0, np.where(below, 0.0, betainc(n - k, k + 1, 1 - p)))
    return _parameters(value, n, p)


@keeps_dtype
def sf(k, n, p, loc=0):
    return 1 - cdf(k, n, p, loc)


@keeps_dtype
def logcdf(k, n, p, loc=0):
    return np.log(cdf(k, n, p, loc))


@keeps_dtype
def logsf(k, n, p, loc=0):
    return np.log(sf(k, n, p, loc))


rvs = scipy.stats.binom.rvs
