"""numpy.fft on Tensors: NumPy's values, exact derivatives, float32 kept.

Complex outputs are checked through their real and imaginary parts, and complex inputs
through their two real directions (z = re + i im), against float64 central finite
differences to second order in reverse and forward mode, with hypothesis-drawn shapes,
axes, lengths n / s and norms.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import chainrule as cr

RNG = np.random.default_rng(3)
NORMS = st.sampled_from([None, "backward", "ortho", "forward"])
SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3).filter(
    lambda shape: math.prod(shape) <= 8
)

ONE_AXIS = {
    "fft": np.fft.fft,
    "ifft": np.fft.ifft,
    "rfft": np.fft.rfft,
    "irfft": np.fft.irfft,
    "hfft": np.fft.hfft,
    "ihfft": np.fft.ihfft,
}
MANY_AXES = {
    "fftn": np.fft.fftn,
    "ifftn": np.fft.ifftn,
    "rfftn": np.fft.rfftn,
    "irfftn": np.fft.irfftn,
}
TWO_AXES = {
    "fft2": np.fft.fft2,
    "ifft2": np.fft.ifft2,
    "rfft2": np.fft.rfft2,
    "irfft2": np.fft.irfft2,
}
REAL_INPUT_ONLY = {"rfft", "ihfft", "rfftn", "rfft2"}


def real_parts(f):
    """f with a complex result split into real and imaginary parts (stacked)."""

    def parts(*args):
        out = f(*args)
        return np.stack([np.real(out), np.imag(out)]) if np.iscomplexobj(out) else out

    return parts


def check_in_both_real_directions(f, x):
    """f's derivatives in x, or in re and im of x = re + i im when x is complex."""
    if np.iscomplexobj(x):
        cr.check_grads(real_parts(lambda re, im: f(re + 1j * im)), (x.real, x.imag),
                       order=2, modes=("rev", "fwd"))
    else:
        cr.check_grads(real_parts(f), (x,), order=2, modes=("rev", "fwd"))


def inputs(name, shape):
    real = RNG.normal(size=shape)
    if name in REAL_INPUT_ONLY:
        return [real]
    return [real, real + 1j * RNG.normal(size=shape)]


def check_transform(name, f, shape):
    for x in inputs(name, shape):
        np.testing.assert_allclose(f(cr.Tensor(x)).numpy(), f(x), rtol=1e-10, atol=1e-12)
        check_in_both_real_directions(f, x)


@pytest.mark.parametrize("name", sorted(ONE_AXIS))
@settings(max_examples=12)  # each example is a second-order check in both modes
@given(shape=SHAPES, data=st.data())
def test_one_axis_transform_matches_numpy_and_finite_differences(name, shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    smallest = 2 if name in ("irfft", "hfft") and shape[axis] == 1 else 1
    n = data.draw(st.one_of(st.none(), st.integers(smallest, 5)) if smallest == 1
                  else st.integers(1, 5))
    norm = data.draw(NORMS)
    transform = ONE_AXIS[name]
    check_transform(name, lambda x: transform(x, n, axis, norm), shape)


@pytest.mark.parametrize("name", sorted(MANY_AXES))
@settings(max_examples=12)
@given(shape=SHAPES, data=st.data())
def test_n_dimensional_transform_matches_numpy_and_finite_differences(name, shape, data):
    ndim = len(shape)
    axes = data.draw(st.one_of(
        st.none(), st.permutations(range(ndim)).flatmap(lambda p: st.integers(1, ndim).map(
            lambda k: tuple(p[:k])))
    ))
    count = ndim if axes is None else len(axes)
    s = data.draw(st.one_of(st.none(), st.lists(st.integers(2, 4), min_size=count,
                                                max_size=count)))
    if s is None and name == "irfftn" and shape[-1 if axes is None else axes[-1]] == 1:
        s = [2] * count
    if s is not None and axes is None:
        axes = tuple(range(-count, 0))
    norm = data.draw(NORMS)
    transform = MANY_AXES[name]
    check_transform(name, lambda x: transform(x, s, axes, norm), shape)


@pytest.mark.parametrize("name", sorted(TWO_AXES))
@pytest.mark.parametrize("s", [None, (3, 4)])
def test_two_dimensional_transform_matches_numpy_and_finite_differences(name, s):
    transform = TWO_AXES[name]
    check_transform(name, lambda x: transform(x, s), (2, 2, 3))


@pytest.mark.parametrize("shift", [np.fft.fftshift, np.fft.ifftshift])
@pytest.mark.parametrize("axes", [None, 0, (1,), (-1, 0)])
def test_shifts_match_numpy_and_finite_differences(shift, axes):
    check_transform("shift", lambda x: shift(x, axes), (3, 4))


def test_fftn_over_a_repeated_axis_matches_numpy():
    x = RNG.normal(size=(3, 2))
    check_transform("fftn", lambda x: np.fft.fftn(x, axes=(0, 0)), x.shape)


def test_gradient_of_complex_input_follows_jax_convention():
    # For real L(z), z = a + ib, the gradient is dL/da - i dL/db (JAX's and autograd's).
    z = RNG.normal(size=5) + 1j * RNG.normal(size=5)

    def loss(z):
        return np.sum(np.abs(np.fft.fft(z, n=7)) ** 2 * np.arange(7.0))

    ga, gb = cr.grad(lambda a, b: loss(a + 1j * b), argnums=(0, 1))(z.real, z.imag)
    np.testing.assert_allclose(cr.grad(loss)(z), ga - 1j * gb)


def test_holomorphic_transform_vjp_is_the_transposed_transform():
    z = RNG.normal(size=4) + 1j * RNG.normal(size=4)
    cotangent = RNG.normal(size=4) + 1j * RNG.normal(size=4)
    dft = np.fft.fft(np.eye(4), norm="ortho")
    _, vjp = cr.vjp(lambda z: np.fft.fft(z, norm="ortho"), z)
    np.testing.assert_allclose(vjp(cotangent)[0], dft.T @ cotangent)


def test_power_spectrum_of_a_real_signal_has_the_closed_form_gradient():
    # Weighing each stored frequency by how often it occurs in the full spectrum makes
    # L = sum |fft(x)|^2 = n sum x^2 (Parseval), so dL/dx = 2 n x.
    x = RNG.normal(size=8)
    weights = np.array([1, 2, 2, 2, 1], dtype=float)
    grad = cr.grad(lambda x: np.sum(weights * np.abs(np.fft.rfft(x)) ** 2))(x)
    np.testing.assert_allclose(grad, 2 * len(x) * x)


@pytest.mark.parametrize("name", sorted({**ONE_AXIS, **MANY_AXES, **TWO_AXES}))
def test_transform_keeps_single_precision(name):
    transform = {**ONE_AXIS, **MANY_AXES, **TWO_AXES}[name]
    x = RNG.normal(size=(2, 4)).astype(np.float32)
    out = transform(cr.Tensor(x))
    assert out.dtype == transform(x).dtype
    assert out.dtype in (np.float32, np.complex64)
    assert cr.grad(lambda x: np.sum(np.abs(transform(x))))(x).dtype == np.float32


def test_bad_arguments_raise_chainrule_errors():
    x = cr.Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(cr.ShapeError, match="axis 3"):
        np.fft.fft(x, axis=3)
    with pytest.raises(cr.ShapeError, match="invalid number of data points"):
        np.fft.fft(x, n=0)
    with pytest.raises(ValueError, match="norm"):
        np.fft.fft(x, norm="unitary")
    with pytest.raises(TypeError, match="real"):
        np.fft.rfft(x * 1j)


SHIFTS = {"fftshift": np.fft.fftshift, "ifftshift": np.fft.ifftshift}
GRADIENT_TABLES = [
    {f"fft.{name}": f for name, f in {**ONE_AXIS, **MANY_AXES, **TWO_AXES, **SHIFTS}.items()}
]
"""Seen by tests/test_ops_gradients.py's check that every dispatched op has a row."""


@pytest.mark.parametrize("name", ["rfft", "irfft", "fft2", "fftshift"])
def test_vjp_and_jvp_results_are_differentiable_in_cotangents_and_tangents(name):
    transform = {**ONE_AXIS, **TWO_AXES, **SHIFTS}[name]
    if name in REAL_INPUT_ONLY:
        f, primals = real_parts(transform), (RNG.normal(size=(2, 4)),)
    else:
        f = real_parts(lambda re, im: transform(re + 1j * im))
        primals = (RNG.normal(size=(2, 4)), RNG.normal(size=(2, 4)))
    n = len(primals)
    cotangent = RNG.normal(size=np.shape(f(*primals)))
    for i in range(n):
        cr.check_grads(lambda *xs, i=i: cr.vjp(f, *xs[:n])[1](xs[n])[i], (*primals, cotangent),
                       modes=("rev", "fwd"))
    tangents = [RNG.normal(size=np.shape(p)) for p in primals]
    cr.check_grads(lambda *xs: cr.jvp(f, xs[:n], xs[n:])[1], (*primals, *tangents),
                   modes=("rev", "fwd"))
