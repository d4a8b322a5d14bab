"""The multivariate normal, as scipy.stats.multivariate_normal: logpdf, pdf and entropy,
differentiable in x, mean and cov (with `allow_singular`, through the pseudo-inverse and
pseudo-determinant of cov's eigendecomposition, as SciPy computes them). Like SciPy, only
the lower triangle of cov is read."""

import numpy as np
import scipy.stats

from chainrule._core.tensor import raw
from chainrule.errors import ShapeError
from chainrule.scipy.stats._common import LOG_2PI, keeps_dtype

rvs = scipy.stats.multivariate_normal.rvs


def _as_array(value):
    return value if hasattr(value, "shape") else np.asarray(value, dtype=float)


def _parameters(mean, cov):
    """(mean of shape (k,), cov of shape (k, k)) from SciPy's accepted forms."""
    cov = _as_array(cov)
    if mean is None:
        dim = cov.shape[0] if cov.ndim == 2 else (cov.size if cov.ndim == 1 else 1)
        mean = np.zeros(dim)
    mean = _as_array(mean)
    dim = mean.size
    if dim == 1:
        mean = np.reshape(mean, (1,))
        cov = np.reshape(cov, (1, 1))
    if cov.ndim == 0:
        cov = cov * np.eye(dim)
    elif cov.ndim == 1:
        cov = np.expand_dims(cov, -1) * np.eye(dim)
    if mean.ndim != 1 or cov.shape != (dim, dim):
        raise ShapeError(f"multivariate_normal: mean of shape {mean.shape} and cov of shape "
                         f"{cov.shape} do not fit (want (k,) and (k, k))")
    # SciPy reads only the lower triangle of cov, and so does its gradient here.
    return mean, np.tril(cov) + np.swapaxes(np.tril(cov, -1), -1, -2)


def _quantiles(x, dim):
    """x with the components on its last axis, as SciPy reads it."""
    x = _as_array(x)
    if x.ndim == 0:
        return np.reshape(x, (1,))
    if x.ndim == 1:
        return np.expand_dims(x, -1) if dim == 1 else x
    return x


def _spectrum_tolerance(spectrum):
    """SciPy's cut-off below which an eigenvalue of cov counts as zero."""
    factor = 1e3 if spectrum.dtype == np.float32 else 1e6
    return factor * np.finfo(spectrum.dtype).eps * np.max(np.abs(spectrum))


def _gaussian(x, mean, cov, allow_singular):
    """(log density, or None, rank, log pseudo-determinant) of N(mean, cov) at x."""
    spectrum = np.linalg.eigvalsh(raw(cov))
    eps = _spectrum_tolerance(spectrum)
    if np.min(spectrum) < -eps:
        raise ValueError("multivariate_normal: the covariance matrix must be symmetric "
                         "positive semidefinite")
    singular = np.min(spectrum) <= eps
    if singular and not allow_singular:
        raise np.linalg.LinAlgError(
            "multivariate_normal: the covariance matrix is singular; pass allow_singular=True"
        )
    if not singular:
        _, log_det = np.linalg.slogdet(cov)
        if x is None:
            return None, mean.shape[0], log_det
        deviation = x - mean
        solved = np.linalg.solve(cov, np.expand_dims(deviation, -1))[..., 0]
        maha = np.sum(deviation * solved, axis=-1)
        return -0.5 * (mean.shape[0] * LOG_2PI + log_det + maha), mean.shape[0], log_det
    values, vectors = np.linalg.eigh(cov)
    kept = raw(values) > eps
    rank = int(np.sum(kept))
    log_det = np.sum(np.log(values[kept]))
    if x is None:
        return None, rank, log_det
    deviation = x - mean
    projected = deviation @ vectors[:, kept]
    maha = np.sum(projected * projected / values[kept], axis=-1)
    out = -0.5 * (rank * LOG_2PI + log_det + maha)
    residual = np.linalg.norm(raw(deviation) @ raw(vectors)[:, ~kept], axis=-1)
    return np.where(residual < eps, out, -np.inf), rank, log_det


def _squeezed(out):
    return np.squeeze(out) if out.ndim else out


@keeps_dtype
def logpdf(x, mean=None, cov=1, allow_singular=False):
    mean, cov = _parameters(mean, cov)
    out, _, _ = _gaussian(_quantiles(x, mean.shape[0]), mean, cov, allow_singular)
    return _squeezed(out)


@keeps_dtype
def pdf(x, mean=None, cov=1, allow_singular=False):
    return np.exp(logpdf(x, mean, cov, allow_singular))


@keeps_dtype
def entropy(mean=None, cov=1, allow_singular=False):
    """The differential entropy, 0.5 (rank (log 2 pi + 1) + log pdet cov)."""
    mean, cov = _parameters(mean, cov)
    _, rank, log_det = _gaussian(None, mean, cov, allow_singular)
    return 0.5 * (rank * (LOG_2PI + 1) + log_det)
