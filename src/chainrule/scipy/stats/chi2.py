"""The chi-squared distribution, as scipy.stats.chi2: differentiable in x, loc and scale,
and in df for the densities (the cdf has no closed-form derivative in df).

chi2(df, loc, scale) is gamma(df / 2, loc, 2 * scale), so each function is gamma's."""

import scipy.stats

from chainrule.scipy.stats import gamma
from chainrule.scipy.stats._common import keeps_dtype


def _as_gamma(function):
    @keeps_dtype
    def chi2_function(x, df, loc=0.0, scale=1.0):
        return function(x, df / 2, loc, 2 * scale)

    chi2_function.__name__ = chi2_function.__qualname__ = function.__name__
    return chi2_function


logpdf = _as_gamma(gamma.logpdf)
pdf = _as_gamma(gamma.pdf)
cdf = _as_gamma(gamma.cdf)
logcdf = _as_gamma(gamma.logcdf)
sf = _as_gamma(gamma.sf)
logsf = _as_gamma(gamma.logsf)

rvs = scipy.stats.chi2.rvs
