"""scipy.stats, differentiable: log densities, densities, cdfs and survival functions
written with chainrule's ops, with SciPy's signatures (loc, scale, broadcasting)."""

from chainrule.scipy.stats import (
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
)

__all__ = [
    "beta",
    "binom",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "laplace",
    "logistic",
    "multivariate_normal",
    "norm",
    "poisson",
    "t",
]
