"""The Dirichlet distribution, as scipy.stats.dirichlet: differentiable in x and alpha.

As in SciPy, the components run along the first axis of x (shape (k,) or (k, n)); x may
leave out the last component, which is then 1 - sum(x).
"""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.errors import ShapeError
from chainrule.ops.scipy_special import gammaln, xlogy
from chainrule.scipy.stats._common import keeps_dtype


def _components(x, alpha):
    """x with all k components on its first axis, after SciPy's checks."""
    k = alpha.shape[0] if alpha.ndim == 1 else 0
    if k < 2:
        raise ShapeError(f"dirichlet: alpha must be a vector of 2 or more entries; got shape "
                         f"{alpha.shape}")
    if np.min(raw(alpha)) <= 0:
        raise ValueError("dirichlet: every entry of alpha must be greater than 0")
    if np.ndim(x) == 0 or x.shape[0] not in (k, k - 1):
        raise ShapeError(f"dirichlet: x of shape {np.shape(x)} must have {k} or {k - 1} "
                         f"entries along its first axis, for alpha of shape {alpha.shape}")
    if x.shape[0] == k - 1:
        x = np.concatenate([x, 1 - np.sum(x, axis=0, keepdims=True)], axis=0)
    values = raw(x)
    if np.any(values < 0) or np.any(values > 1):
        raise ValueError("dirichlet: each entry of x must lie in [0, 1]")
    if np.any(np.abs(np.sum(values, axis=0) - 1.0) > 10e-10):
        raise ValueError("dirichlet: the entries of x must sum to 1 along the first axis")
    return x


@keeps_dtype
def logpdf(x, alpha):
    alpha = alpha if hasattr(alpha, "shape") else np.asarray(alpha, dtype=float)
    x = _components(x if hasattr(x, "shape") else np.asarray(x, dtype=float), alpha)
    column = np.reshape(alpha, alpha.shape + (1,) * (x.ndim - 1))
    log_normalizer = np.sum(gammaln(alpha)) - gammaln(np.sum(alpha))
    return np.sum(xlogy(column - 1, x), axis=0) - log_normalizer


@keeps_dtype
def pdf(x, alpha):
    return np.exp(logpdf(x, alpha))


rvs = scipy.stats.dirichlet.rvs
