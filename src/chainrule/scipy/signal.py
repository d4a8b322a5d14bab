"""scipy.signal.convolve and correlate, differentiable in both inputs to any order.

Modes full, valid and same, n-d, as SciPy computes them. `axes` and `dot_axes` are
autograd's generalisation (its convnet example uses them): convolve along pairs of
`axes`, sum along pairs of `dot_axes`, and keep every other axis of both inputs, in the
order (in1's other axes, in2's other axes, convolved axes).

The convolution is written with chainrule's ops: the larger input is zero-padded and read
through a window of indices (`take`), then one `einsum` contracts it with the smaller, so
its derivatives, of every order, come from those ops.
"""

import string

import numpy as np

from chainrule._core.tensor import raw
from chainrule.errors import ShapeError

_MODES = ("full", "valid", "same")


def convolve(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=((), ())):
    """sum_j in1[j] in2[k - j] along each convolved axis, cropped as `mode` says."""
    return _convolve(_as_array(in1), _as_array(in2), mode, axes, dot_axes, "convolve")


def correlate(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=((), ())):
    """sum_j in1[j + k] conj(in2[j]): convolve with in2 reversed along the convolved axes
    and conjugated, as SciPy defines it."""
    in1, in2 = _as_array(in1), _as_array(in2)
    axes = _default_axes(in1, in2, axes, "correlate")
    reverse = tuple(slice(None, None, -1) if i in _positive(axes[1], in2.ndim) else slice(None)
                    for i in range(in2.ndim))
    if np.iscomplexobj(raw(in2)):
        in2 = np.conj(in2)
    return _convolve(in1, in2[reverse], mode, axes, dot_axes, "correlate")


def _as_array(value):
    return value if hasattr(value, "shape") else np.asarray(value)


def _positive(axes, ndim):
    return [axis % ndim for axis in axes]


def _default_axes(in1, in2, axes, name):
    if axes is not None:
        return axes
    if in1.ndim != in2.ndim:
        raise ShapeError(f"scipy.signal.{name}: in1 and in2 should have the same "
                         f"dimensionality; got shapes {in1.shape} and {in2.shape}")
    return list(range(in1.ndim)), list(range(in2.ndim))


def _convolve(in1, in2, mode, axes, dot_axes, name):
    if mode not in _MODES:
        raise ValueError(f"scipy.signal.{name}: mode must be one of {_MODES}; got {mode!r}")
    axes = _default_axes(in1, in2, axes, name)
    conv = [_positive(axes[0], in1.ndim), _positive(axes[1], in2.ndim)]
    dot = [_positive(dot_axes[0], in1.ndim), _positive(dot_axes[1], in2.ndim)]
    shapes = in1.shape, in2.shape
    if len(conv[0]) != len(conv[1]) or len(dot[0]) != len(dot[1]) or any(
        shapes[0][i] != shapes[1][j] for i, j in zip(*dot)
    ):
        raise ShapeError(f"scipy.signal.{name}: axes {axes} and dot_axes {dot_axes} do not "
                         f"pair up for shapes {shapes[0]} and {shapes[1]}")
    lengths = [(shapes[0][i], shapes[1][j]) for i, j in zip(*conv)]
    if mode == "valid" and not (all(n1 >= n2 for n1, n2 in lengths)
                                or all(n2 >= n1 for n1, n2 in lengths)):
        raise ShapeError(f"scipy.signal.{name}: in valid mode one input must be at least as "
                         f"large as the other along every convolved axis; got shapes "
                         f"{shapes[0]} and {shapes[1]}")
    letters = iter(string.ascii_letters)
    subscripts = [[next(letters) for _ in shape] for shape in shapes]
    for i, j in zip(*dot):
        subscripts[1][j] = subscripts[0][i]
    kept = [next(letters) for _ in lengths]
    output = [s for k, s in enumerate(subscripts[0]) if k not in conv[0] + dot[0]]
    output += [s for k, s in enumerate(subscripts[1]) if k not in conv[1] + dot[1]]
    # Window the larger input (the convolution is symmetric in its two inputs).
    small, large = (0, 1) if in1.size <= in2.size else (1, 0)
    inputs = [in1, in2]
    windowed = inputs[large]
    large_subscripts = list(subscripts[large])
    for pair in sorted(range(len(lengths)), key=lambda p: -conv[large][p]):
        axis = conv[large][pair]
        size = (lengths[pair][small], lengths[pair][large])
        windowed = _windows(windowed, axis, size, _crop(mode, *lengths[pair]))
        large_subscripts[axis:axis + 1] = [subscripts[small][conv[small][pair]], kept[pair]]
    spec = f"{''.join(subscripts[small])},{''.join(large_subscripts)}->{''.join(output + kept)}"
    return np.einsum(spec, inputs[small], windowed)


def _crop(mode, n1, n2):
    """(first index, length) of the part of the full convolution that `mode` keeps."""
    if mode == "full":
        return 0, n1 + n2 - 1
    if mode == "valid":
        return min(n1, n2) - 1, abs(n1 - n2) + 1
    return (n2 - 1) // 2, n1


def _windows(x, axis, sizes, crop):
    """x[..., k - j, ...] (zero outside x) as two axes (j, k) in place of `axis`, for j
    over the other input's length and k over the kept outputs."""
    other, own = sizes
    start, length = crop
    widths = [(0, 0)] * x.ndim
    widths[axis] = (other - 1, other - 1)
    padded = np.pad(x, widths)
    index = np.arange(start, start + length)[None, :] - np.arange(other)[:, None] + other - 1
    return np.take(padded, index, axis=axis)
