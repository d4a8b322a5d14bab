"""chainrule.scipy.signal: SciPy's convolve/correlate values in every mode and n-d, exact
derivatives in both inputs (second order, both modes), and autograd's axes/dot_axes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

scipy_signal = pytest.importorskip("scipy.signal")
from chainrule.scipy import signal  # noqa: E402 - needs SciPy

RNG = np.random.default_rng(4)
FUNCTIONS = {"convolve": (signal.convolve, scipy_signal.convolve),
             "correlate": (signal.correlate, scipy_signal.correlate)}


@st.composite
def pairs_of_shapes(draw):
    """Two shapes of one rank; in valid mode one is at least as large along every axis."""
    ndim = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["full", "valid", "same"]))
    first = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    second = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    if mode == "valid":
        larger = [max(a, b) for a, b in zip(first, second)]
        smaller = [min(a, b) for a, b in zip(first, second)]
        first, second = (larger, smaller) if draw(st.booleans()) else (smaller, larger)
    return tuple(first), tuple(second), mode


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=15)  # each example is a second-order check in both inputs
@given(shapes=pairs_of_shapes())
def test_matches_scipy_and_finite_differences(name, shapes):
    ours, theirs = FUNCTIONS[name]
    first, second, mode = shapes
    a, b = RNG.normal(size=first), RNG.normal(size=second)
    np.testing.assert_allclose(ours(a, b, mode), theirs(a, b, mode), atol=1e-12)
    cr.check_grads(lambda a, b: ours(a, b, mode), (a, b), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_complex_inputs_match_scipy(name):
    ours, theirs = FUNCTIONS[name]
    a = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    b = RNG.normal(size=(2, 2)) + 1j * RNG.normal(size=(2, 2))
    for mode in ("full", "valid", "same"):
        np.testing.assert_allclose(ours(a, b, mode), theirs(a, b, mode), atol=1e-12)


def test_autograd_axes_and_dot_axes_generalisation():
    a35, a34, a342 = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4, 2))
    a2543, a24232 = RNG.normal(size=(2, 5, 4, 3)), RNG.normal(size=(2, 4, 2, 3, 2))
    reference = scipy_signal.convolve
    for mode in ("valid", "full"):
        np.testing.assert_allclose(
            signal.convolve(a35, a34, axes=([1], [0]), mode=mode)[1, 2],
            reference(a35[1], a34[:, 2], mode),
        )
        np.testing.assert_allclose(
            signal.convolve(a35, a34, axes=([], []), dot_axes=([0], [0]), mode=mode),
            np.tensordot(a35, a34, axes=([0], [0])),
        )
        np.testing.assert_allclose(
            signal.convolve(a35, a342, axes=([1], [2]), dot_axes=([0], [0]), mode=mode)[2],
            sum(reference(a35[i], a342[i, 2], mode) for i in range(3)),
        )
        np.testing.assert_allclose(
            signal.convolve(a2543, a24232, axes=([1, 2], [2, 4]), dot_axes=([0, 3], [0, 3]),
                            mode=mode)[2],
            sum(reference(a2543[i, :, :, j], a24232[i, 2, :, j, :], mode)
                for i in range(2) for j in range(3)),
        )


@pytest.mark.parametrize("axes, dot_axes", [(([0], [0]), ((), ())), (([1, 0], [1, 0]), ((), ())),
                                            (([1], [1]), ([0], [2]))])
def test_generalised_convolution_derivatives(axes, dot_axes):
    a, b = RNG.normal(size=(3, 3, 2)), RNG.normal(size=(3, 2, 3))
    if dot_axes == ((), ()):
        a, b = a[..., 0], b[:, :, 0]
    for mode in ("full", "valid", "same"):
        cr.check_grads(lambda a, b, mode=mode: signal.convolve(a, b, axes=axes, dot_axes=dot_axes,
                                                               mode=mode),
                       (a, b), modes=("rev", "fwd"))


def test_float32_stays_float32():
    a, b = RNG.normal(size=(4, 4)).astype(np.float32), RNG.normal(size=(2, 2)).astype(np.float32)
    assert signal.convolve(cr.Tensor(a), b).dtype == np.float32
    grads = cr.grad(lambda a, b: signal.correlate(a, b, "same").sum(), argnums=(0, 1))(a, b)
    assert [g.dtype for g in grads] == [np.float32, np.float32]


def test_bad_shapes_raise_shape_errors():
    with pytest.raises(cr.ShapeError, match="same dimensionality"):
        signal.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(cr.ShapeError, match="valid mode"):
        signal.convolve(np.ones((3, 1)), np.ones((1, 3)), "valid")


def test_scipys_own_convolve_on_a_tensor_names_the_replacement():
    with pytest.raises(cr.GradientError, match=r"use chainrule\.scipy\.signal\.convolve "):
        cr.grad(lambda a: scipy_signal.convolve(a, np.ones(2)).sum())(np.ones(3))
