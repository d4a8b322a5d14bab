"""The logistic distribution, as scipy.stats.logistic: differentiable in x, loc and scale."""

import numpy as np
import scipy.stats

from chainrule.ops.scipy_special import expit, log_expit, softplus
from chainrule.scipy.stats._common import keeps_dtype, valid


@keeps_dtype
def logpdf(x, loc=0.0, scale=1.0):
    y = (x - loc) / scale
    return valid(-y - 2 * softplus(-y) - np.log(scale), scale)


@keeps_dtype
def pdf(x, loc=0.0, scale=1.0):
    return np.exp(logpdf(x, loc, scale))


@keeps_dtype
def cdf(x, loc=0.0, scale=1.0):
    return valid(expit((x - loc) / scale), scale)


@keeps_dtype
def logcdf(x, loc=0.0, scale=1.0):
    return valid(log_expit((x - loc) / scale), scale)


@keeps_dtype
def sf(x, loc=0.0, scale=1.0):
    return valid(expit((loc - x) / scale), scale)


@keeps_dtype
def logsf(x, loc=0.0, scale=1.0):
    return valid(log_expit((loc - x) / scale), scale)


rvs = scipy.stats.logistic.rvs
