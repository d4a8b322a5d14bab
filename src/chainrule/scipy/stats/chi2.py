"""The chi-squared distribution, as scipy.stats.chi2: differentiable in x, loc and scale,
and in df for the densities (the cdf has no closed-form derivative in df)."""

import math

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.ops.scipy_special import gammainc, gammaincc, gammaln, xlogy
from chainrule.scipy.stats._common import inside, keeps_dtype, valid, where


@keeps_dtype
def logpdf(x, df, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    y = inside(support, y)
    half = df / 2
    value = xlogy(half - 1, y) - y / 2 - gammaln(half) - half * math.log(2) - np.log(scale)
    return valid(where(support, value, -np.inf), df, scale)


@keeps_dtype
def pdf(x, df, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, df, loc, scale))


@keeps_dtype
def cdf(x, df, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    return valid(where(support, gammainc(df / 2, inside(support, y) / 2), 0.0), df, scale)


@keeps_dtype
def logcdf(x, df, loc=0.0, scale=1.0):
    return np.log(cdf(x, df, loc, scale))


@keeps_dtype
def sf(x, df, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    support = raw(y) >= 0
    return valid(where(support, gammaincc(df / 2, inside(support, y) / 2), 1.0), df, scale)


@keeps_dtype
def logsf(x, df, loc=0.0, scale=1.0):
    return np.log(sf(x, df, loc, scale))


rvs = scipy.stats.chi2.rvs
