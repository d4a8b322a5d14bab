"""Finite differences at chosen entries, and the largest gap between two derivatives."""

from dataclasses import dataclass

import numpy as np

from chainrule.checks import numerical_jacobian


@dataclass(frozen=True)
class Difference:
    """The largest |first - second| over the `entries` compared, and where it occurs."""

    largest: float
    index: tuple
    first: float
    second: float
    entries: int

    def as_dict(self):
        """A JSON-ready form."""
        return {"largest": self.largest, "index": list(self.index), "first": self.first,
                "second": self.second, "entries": self.entries}


def difference(first, second, mask=None):
    """Compare two arrays of one shape, only where `mask` is True when given."""
    entries = int(np.size(first) if mask is None else np.count_nonzero(mask))
    if entries == 0:
        return Difference(0.0, (), 0.0, 0.0, 0)
    gap = np.abs(np.asarray(first, np.float64) - np.asarray(second, np.float64))
    if mask is not None:
        gap = np.where(mask, gap, -np.inf)
    flat = int(np.argmax(np.where(np.isnan(gap), np.inf, gap)))
    index = np.unravel_index(flat, gap.shape)
    return Difference(float(gap[index]), tuple(int(i) for i in index),
                      float(np.asarray(first)[index]), float(np.asarray(second)[index]),
                      entries)


def sample_positions(size, limit, priority, rng):
    """Flat positions to check: all when `size <= limit`, else the `limit // 2` largest by
    `priority` (where the derivative is not trivially 0) and the rest drawn at random."""
    if limit <= 0:
        return np.arange(0)
    if size <= limit:
        return np.arange(size)
    top = np.argsort(-np.abs(priority).reshape(-1), kind="stable")[: limit // 2]
    rest = np.delete(np.arange(size), top)
    drawn = rng.choice(rest, size=limit - len(top), replace=False)
    return np.sort(np.concatenate([top, drawn]))


def central_differences(f, args, argnum, positions, eps):
    """d f / d args[argnum] at flat `positions` of that argument, by central differences.

    Returns (derivative, mask): an array of shape out' + arg.shape (out' = out.shape, or
    (1,) for a scalar f) filled at the chosen columns, and where it is filled. The step
    is `eps * max(1, |arg|)`.
    """
    base_shape = np.shape(args[argnum])
    derivative = numerical_jacobian(f, args, argnum, eps, positions)
    out_shape = derivative.shape[: derivative.ndim - len(base_shape)] or (1,)
    full_shape = tuple(out_shape) + base_shape
    mask = np.zeros((int(np.prod(out_shape)), int(np.prod(base_shape))), dtype=bool)
    mask[:, positions] = True
    return derivative.reshape(full_shape), mask.reshape(full_shape)
