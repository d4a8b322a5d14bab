"""Student's t distribution, as scipy.stats.t: differentiable in x, loc and scale, and in
df for the densities (the cdf has no closed-form derivative in df)."""

import math

import numpy as np
import scipy.stats

from chainrule.ops.scipy_special import gammaln, stdtr
from chainrule.scipy.stats._common import keeps_dtype, valid


@keeps_dtype
def logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    value = (
        gammaln((df + 1) / 2)
        - gammaln(df / 2)
        - 0.5 * np.log(df * math.pi)
        - np.log(scale)
        - (df + 1) / 2 * np.log1p(z * z / df)
    )
    return valid(value, df, scale)


@keeps_dtype
def pdf(x, df, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, df, loc, scale))


@keeps_dtype
def cdf(x, df, loc=0.0, scale=1.0):
    return valid(stdtr(df, (x - loc) / scale), df, scale)


@keeps_dtype
def logcdf(x, df, loc=0.0, scale=1.0):
    return np.log(cdf(x, df, loc, scale))


@keeps_dtype
def sf(x, df, loc=0.0, scale=1.0):
    return valid(stdtr(df, (loc - x) / scale), df, scale)


@keeps_dtype
def logsf(x, df, loc=0.0, scale=1.0):
    return np.log(sf(x, df, loc, scale))


rvs = scipy.stats.t.rvs
