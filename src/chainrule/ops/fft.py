"""numpy.fft on Tensors: fft, ifft, rfft, irfft, hfft, ihfft, the 2-d and n-d forms, fftshift.

Every transform is a chain of three 1-d primitives along one axis: `_resize` (NumPy's `n`:
zero-pad or truncate), `_c2c` (the complex DFT, forward or inverse) and the real pair
`_rfft` / `_irfft`. The n-d transforms apply them axis by axis, as NumPy does, so their
VJPs (and second derivatives) follow from the 1-d ones.

The DFT matrix is symmetric, so the VJP of `_c2c` is the same transform of the cotangent
(autograd's and JAX's convention: no conjugation for a C-linear map). `_rfft` of a real
input keeps the real part of that; `_irfft` reads only half a Hermitian spectrum, so its
VJP weighs each kept frequency by how often it appears in the full spectrum (1 or 2).
"""

import operator

import numpy

from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.errors import ShapeError
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.numpy_dispatch import register

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


@primitive
def _resize(x, length, axis):
    """x zero-padded or truncated to `length` along the negative `axis` (NumPy's `n`)."""
    size = x.shape[axis]
    if length <= size:
        return x[(Ellipsis, slice(0, length)) + (slice(None),) * (-axis - 1)]
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, length - size)
    return array_module(x).pad(x, widths)


@_resize.defvjp
def _(g, ans, x, length, axis):
    # Truncating and zero-padding are each other's transposes.
    return _resize(g, x.shape[axis], axis)


@primitive
def _c2c(x, axis, norm, inverse):
    """The complex DFT along the negative `axis` (the inverse DFT when `inverse`)."""
    fft_module = array_module(x).fft
    return (fft_module.ifft if inverse else fft_module.fft)(x, axis=axis, norm=norm)


@_c2c.defvjp
def _(g, ans, x, axis, norm, inverse):
    return _c2c(g, axis, norm, inverse)


@primitive
def _rfft(x, axis, norm):
    """The first n // 2 + 1 frequencies of the DFT of real x along the negative `axis`."""
    return array_module(x).fft.rfft(x, axis=axis, norm=norm)


@_rfft.defvjp
def _(g, ans, x, axis, norm):
    # The transpose of "DFT, then keep the first half": zero-extend, DFT, real part.
    return namespace(g).real(_c2c(_resize(g, x.shape[axis], axis), axis, norm, False))


@primitive
def _irfft(x, n, axis, norm):
    """The real signal of length n whose spectrum's first n // 2 + 1 entries are x."""
    return array_module(x).fft.irfft(x, n=n, axis=axis, norm=norm)


@_irfft.defvjp
def _(g, ans, x, n, axis, norm):
    multiplicity = _spectrum_multiplicity(n, axis, raw(g).dtype, module_of(g))
    return multiplicity * namespace(g).conj(_rfft(g, axis, _SWAPPED_NORM[norm]))


def _spectrum_multiplicity(n, axis, dtype, module):
    """How often each of the n // 2 + 1 stored frequencies occurs in the full spectrum of
    length n: once for 0 (and n / 2 when n is even), twice for the others."""
    counts = module.full(n // 2 + 1, 2, dtype=dtype)
    counts[0] = 1
    if n % 2 == 0:
        counts[-1] = 1
    return counts.reshape((-1,) + (1,) * (-axis - 1))


def _axis(x, axis, name):
    """`axis` counted from the end (so the VJPs see through leading batch axes)."""
    ndim = numpy.ndim(x)
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"numpy.fft.{name}: axis must be an integer; got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ShapeError(f"numpy.fft.{name}: axis {axis} is out of bounds for an array of "
                         f"shape {tuple(numpy.shape(x))}")
    return axis - ndim if axis >= 0 else axis


def _check(x, n, norm, name, out=None):
    if out is not None:
        raise TypeError(f"chainrule does not support numpy.fft.{name} with out= on Tensors")
    if norm not in _NORMS:
        raise ValueError(f"numpy.fft.{name}: norm must be one of {_NORMS[1:]}; got {norm!r}")
    if n is not None and n < 1:
        raise ShapeError(f"numpy.fft.{name}: invalid number of data points ({n}) specified")


def _sized(x, n, axis):
    return x if n is None or n == numpy.shape(x)[axis] else _resize(x, n, axis)


def fft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.fft, differentiable (a complex Tensor comes out)."""
    _check(a, n, norm, "fft", out)
    axis = _axis(a, axis, "fft")
    return _c2c(_sized(a, n, axis), axis, norm, False)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.ifft, differentiable."""
    _check(a, n, norm, "ifft", out)
    axis = _axis(a, axis, "ifft")
    return _c2c(_sized(a, n, axis), axis, norm, True)


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.rfft of a real input, differentiable."""
    _check(a, n, norm, "rfft", out)
    if numpy.iscomplexobj(raw(a)):
        raise TypeError("numpy.fft.rfft: the input must be real; use numpy.fft.fft for complex")
    axis = _axis(a, axis, "rfft")
    return _rfft(_sized(a, n, axis), axis, norm)


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.irfft, differentiable; n defaults to 2 (m - 1) for m input frequencies."""
    _check(a, n, norm, "irfft", out)
    axis = _axis(a, axis, "irfft")
    n = 2 * (numpy.shape(a)[axis] - 1) if n is None else n
    return _irfft(_sized(a, n // 2 + 1, axis), n, axis, norm)


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.hfft, differentiable: the real spectrum of a Hermitian-symmetric signal
    given by its first half, irfft(conj(a)) with the opposite normalisation."""
    _check(a, n, norm, "hfft", out)
    return irfft(namespace(a).conj(a), n, axis, _SWAPPED_NORM[norm])


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.ihfft, differentiable: conj(rfft(a)) with the opposite normalisation."""
    _check(a, n, norm, "ihfft", out)
    spectrum = rfft(a, n, axis, _SWAPPED_NORM[norm])
    return namespace(spectrum).conj(spectrum)


def _sizes_and_axes(a, s, axes, inverse_real=False):
    """NumPy's defaults for the n-d transforms: (sizes, axes), one size per axis."""
    shape = numpy.shape(a)
    if s is None:
        s = [shape[ax] for ax in (range(len(shape)) if axes is None else axes)]
        if inverse_real:
            last = range(len(shape))[-1] if axes is None else axes[-1]
            s[-1] = (shape[last] - 1) * 2
    axes = list(range(-len(s), 0)) if axes is None else list(axes)
    if len(s) != len(axes):
        raise ShapeError(f"numpy.fft: s {tuple(s)} and axes {tuple(axes)} have different lengths")
    return [shape[ax] if size == -1 else size for size, ax in zip(s, axes)], axes


def fftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.fftn, differentiable: fft along each axis (repeated axes too)."""
    _check(a, None, norm, "fftn", out)
    for size, ax in zip(*_sizes_and_axes(a, s, axes)):
        a = fft(a, size, ax, norm)
    return a


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.ifftn, differentiable."""
    _check(a, None, norm, "ifftn", out)
    for size, ax in zip(*_sizes_and_axes(a, s, axes)):
        a = ifft(a, size, ax, norm)
    return a


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.rfftn, differentiable: rfft along the last axis, fft along the others."""
    _check(a, None, norm, "rfftn", out)
    sizes, axes = _sizes_and_axes(a, s, axes)
    a = rfft(a, sizes[-1], axes[-1], norm)
    for size, ax in zip(sizes[:-1], axes[:-1]):
        a = fft(a, size, ax, norm)
    return a


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.irfftn, differentiable: ifft along all axes but the last, then irfft."""
    _check(a, None, norm, "irfftn", out)
    sizes, axes = _sizes_and_axes(a, s, axes, inverse_real=True)
    for size, ax in zip(sizes[:-1], axes[:-1]):
        a = ifft(a, size, ax, norm)
    return irfft(a, sizes[-1], axes[-1], norm)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.fft2, differentiable."""
    return fftn(a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.ifft2, differentiable."""
    return ifftn(a, s, axes, norm, out)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.rfft2, differentiable."""
    return rfftn(a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.irfft2, differentiable."""
    return irfftn(a, s, axes, norm, out)


@primitive
def _shift(x, axes, inverse):
    """fftshift (ifftshift when `inverse`) over the negative `axes`."""
    fft_module = array_module(x).fft
    return (fft_module.ifftshift if inverse else fft_module.fftshift)(x, axes)


@_shift.defvjp
def _(g, ans, x, axes, inverse):
    # A permutation's transpose is its inverse.
    return _shift(g, axes, not inverse)


def _shift_axes(x, axes):
    ndim = numpy.ndim(x)
    axes = range(ndim) if axes is None else [axes] if isinstance(axes, int) else axes
    return tuple(_axis(x, ax, "fftshift") for ax in axes)


def fftshift(x, axes=None):
    """numpy.fft.fftshift, differentiable: the zero frequency moved to the centre."""
    return _shift(x, _shift_axes(x, axes), False)


def ifftshift(x, axes=None):
    """numpy.fft.ifftshift, differentiable: the inverse of fftshift."""
    return _shift(x, _shift_axes(x, axes), True)


for _numpy_function, _op in {
    numpy.fft.fft: fft,
    numpy.fft.ifft: ifft,
    numpy.fft.rfft: rfft,
    numpy.fft.irfft: irfft,
    numpy.fft.hfft: hfft,
    numpy.fft.ihfft: ihfft,
    numpy.fft.fft2: fft2,
    numpy.fft.ifft2: ifft2,
    numpy.fft.rfft2: rfft2,
    numpy.fft.irfft2: irfft2,
    numpy.fft.fftn: fftn,
    numpy.fft.ifftn: ifftn,
    numpy.fft.rfftn: rfftn,
    numpy.fft.irfftn: irfftn,
    numpy.fft.fftshift: fftshift,
    numpy.fft.ifftshift: ifftshift,
}.items():
    register(_numpy_function, _op)
