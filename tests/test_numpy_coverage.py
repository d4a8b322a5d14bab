"""NumPy functions beyond the core on Tensors: contractions, joining and splitting, shifts
and running products, more elementwise functions and statistics.

Each is called as plain NumPy code; values must equal NumPy's, derivatives must equal
float64 central finite differences to second order in reverse and forward mode.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr

RNG = np.random.default_rng(0)


def anywhere(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def above_one(shape):
    return RNG.uniform(1.2, 3.0, size=shape)


def inside_unit(shape):
    return RNG.uniform(-0.8, 0.8, size=shape)


def away_from_zero(shape):
    return RNG.choice([-1, 1], size=shape) * RNG.uniform(0.5, 2.0, size=shape)


def check(f, *args):
    """Values equal NumPy's; derivatives equal finite differences (orders 1 and 2)."""
    mine = f(*[cr.Tensor(a) for a in args])
    expected = f(*args)
    for got, want in zip(
        mine if isinstance(mine, (list, tuple)) else [mine],
        expected if isinstance(expected, (list, tuple)) else [expected],
        strict=True,
    ):
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.data, want, rtol=1e-13, atol=1e-15)
    cr.check_grads(f, args, order=2, modes=("rev", "fwd"))


UNARY = {
    "arcsinh": (np.arcsinh, anywhere),
    "arccosh": (np.arccosh, above_one),
    "arctanh": (np.arctanh, inside_unit),
    "deg2rad": (np.deg2rad, anywhere),
    "radians": (np.radians, anywhere),
    "rad2deg": (np.rad2deg, anywhere),
    "degrees": (np.degrees, anywhere),
    "sinc": (np.sinc, anywhere),
}

BINARY = {
    "arctan2": (np.arctan2, anywhere, away_from_zero),
    "hypot": (np.hypot, away_from_zero, anywhere),
    "remainder": (np.remainder, lambda s: 7 * anywhere(s), away_from_zero),
    "remainder/operator": (lambda x, y: x % y, lambda s: 7 * anywhere(s), away_from_zero),
    "fmod": (np.fmod, lambda s: 7 * anywhere(s), away_from_zero),
    "logaddexp": (np.logaddexp, anywhere, anywhere),
    "logaddexp2": (np.logaddexp2, anywhere, anywhere),
    "fmax": (np.fmax, anywhere, anywhere),
    "fmin": (np.fmin, anywhere, anywhere),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=2))
def test_unary_function_matches_numpy_and_finite_differences(name, shape):
    f, sample = UNARY[name]
    check(f, sample(shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=2))
def test_binary_function_with_broadcasting_matches_numpy_and_finite_differences(name, shapes):
    f, sample_x, sample_y = BINARY[name]
    x_shape, y_shape = shapes.input_shapes
    check(f, sample_x(x_shape), sample_y(y_shape))


def test_sinc_is_exact_at_zero_to_second_order():
    x = np.array([0.0, 0.5])
    np.testing.assert_allclose(cr.grad(lambda x: np.sinc(x).sum())(x)[0], 0.0)
    second = cr.hessian(lambda x: np.sinc(x).sum())(x)
    np.testing.assert_allclose(second[0, 0], -np.pi**2 / 3)
    cr.check_grads(np.sinc, (x,), order=2, modes=("rev", "fwd"))


def test_remainder_on_python_numbers_and_tensors_follows_python_sign_rule():
    x = cr.Tensor(np.array([5.5, -5.5]), requires_grad=True)
    np.testing.assert_array_equal((x % 2).data, [1.5, 0.5])
    np.testing.assert_array_equal((7.0 % cr.Tensor(np.array([-2.0, 3.0]))).data, [-1.0, 1.0])
    np.testing.assert_array_equal(cr.grad(lambda y: (7.0 % y).sum())(np.array([-2.0, 3.0])),
                                  [4.0, -2.0])


REDUCTIONS = {
    "trace": lambda x, axis: np.trace(x, axis1=axis, axis2=axis - 1),
    "trace/offset": lambda x, axis: np.trace(x, offset=1, axis1=axis, axis2=axis - 1),
    "diagonal": lambda x, axis: np.diagonal(x, offset=-1, axis1=axis - 1, axis2=axis),
    "cumprod": lambda x, axis: np.cumprod(x, axis=axis),
    "cumprod/flat": lambda x, axis: np.cumprod(x),
    "diff": lambda x, axis: np.diff(x, axis=axis),
    "diff/twice_prepend": lambda x, axis: np.diff(x, n=2, axis=axis, prepend=0.5),
    "roll": lambda x, axis: np.roll(x, 1, axis=axis),
    "roll/back": lambda x, axis: np.roll(x, -3, axis=axis),
    "roll/flat": lambda x, axis: np.roll(x, 2),
    "median": lambda x, axis: np.median(x, axis=axis),
    "median/all": lambda x, axis: np.median(x),
    "median/keepdims": lambda x, axis: np.median(x, axis=axis, keepdims=True),
    "quantile": lambda x, axis: np.quantile(x, 0.3, axis=axis),
    "quantile/many": lambda x, axis: np.quantile(x, [0.0, 0.25, 1.0], axis=axis, keepdims=True),
    "percentile": lambda x, axis: np.percentile(x, 70, axis=axis),
    "percentile/midpoint": lambda x, axis: np.percentile(x, [10, 50], axis=axis,
                                                         method="midpoint"),
    "quantile/nearest": lambda x, axis: np.quantile(x, 0.6, axis=axis, method="nearest"),
    "average": lambda x, axis: np.average(x, axis=axis),
    "average/weighted": lambda x, axis: np.average(
        x, axis=axis, weights=np.arange(1.0, x.shape[axis] + 1)
    ),
    "nansum": lambda x, axis: np.nansum(x, axis=axis),
    "nanmean": lambda x, axis: np.nanmean(x, axis=axis, keepdims=True),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=10)
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3), data=st.data())
def test_axis_function_matches_numpy_and_finite_differences(name, shape, data):
    axis = data.draw(st.integers(-len(shape) + 1, len(shape) - 1))
    x = RNG.permutation(np.linspace(-2, 2, int(np.prod(shape)))).reshape(shape) + 0.01
    check(lambda x: REDUCTIONS[name](x, axis), x)


@pytest.mark.parametrize("triangle", [np.tril, np.triu])
@settings(max_examples=10)
@given(
    batch=array_shapes(min_dims=0, max_dims=2, max_side=2),
    rows=st.integers(1, 3),
    cols=st.integers(1, 3),
    k=st.integers(-2, 2),
)
def test_triangles_of_stacked_matrices_match_numpy_and_finite_differences(
    triangle, batch, rows, cols, k
):
    check(lambda x: triangle(x, k), anywhere(batch + (rows, cols)))


@settings(max_examples=10)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
def test_cross_broadcasts_stacked_vectors_as_numpy(shapes):
    a_shape, b_shape = (s + (3,) for s in shapes.input_shapes)
    check(np.cross, anywhere(a_shape), anywhere(b_shape))


@settings(max_examples=10)
@given(batch=array_shapes(min_dims=0, max_dims=2, max_side=2), n=st.integers(1, 3),
       offset=st.integers(-1, 1))
def test_trace_and_diagonal_of_stacked_matrices_over_the_last_axes(batch, n, offset):
    x = anywhere(batch + (n, n + 1))
    check(lambda x: np.trace(x, offset, axis1=-2, axis2=-1), x)
    check(lambda x: np.diagonal(x, offset, axis1=-1, axis2=-2), x)


def test_cumprod_gradient_is_exact_with_zeros_in_the_input():
    for x in [np.array([2.0, 0.0, 3.0, 0.0, 5.0]), np.array([0.0, 1.5, -2.0]),
              np.array([[1.0, 0.0], [0.0, 0.0]])]:
        cr.check_grads(lambda x: np.cumprod(x, axis=-1), (x,), order=2, modes=("rev", "fwd"))


def test_quantile_is_differentiable_in_q_too():
    x = RNG.normal(size=(3, 4))
    cr.check_grads(lambda q: np.quantile(x, q, axis=1), (np.array([0.3, 0.55]),), order=2,
                   modes=("rev", "fwd"))
    cr.check_grads(lambda x, q: np.percentile(x, q), (x, np.array(37.0)), order=2,
                   modes=("rev", "fwd"))


def test_median_gradient_goes_to_the_middle_elements():
    odd = cr.grad(lambda x: np.median(x))(np.array([3.0, 1.0, 2.0]))
    even = cr.grad(lambda x: np.median(x))(np.array([4.0, 1.0, 3.0, 2.0]))
    np.testing.assert_array_equal(odd, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(even, [0.0, 0.0, 0.5, 0.5])


def test_average_with_weights_differentiates_both_and_returns_their_sum():
    x, w = anywhere((2, 3)), positive((2, 3))
    check(lambda x, w: np.average(x, axis=1, weights=w), x, w)
    avg, total = np.average(cr.Tensor(x), axis=0, weights=cr.Tensor(w), returned=True)
    np.testing.assert_allclose(total.data, w.sum(axis=0))
    np.testing.assert_allclose(avg.data, np.average(x, axis=0, weights=w))


def test_fmax_and_fmin_send_the_gradient_past_a_nan():
    x, y = np.array([np.nan, 1.0, 2.0]), np.array([3.0, np.nan, 2.0])
    gx, gy = cr.grad(lambda x, y: np.fmax(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 0.5])


@pytest.mark.parametrize(
    "f",
    [np.median, lambda a: np.quantile(a, 0.5), lambda a: np.percentile(a, [10, 90]),
     np.average, np.nanmean, lambda a: np.linalg.norm(a, 3)],
)
def test_statistics_of_integers_are_float64_as_in_numpy(f):
    x = np.array([3, 1, 2])
    got, expected = f(cr.Tensor(x)), f(x)
    assert got.dtype == expected.dtype == np.float64
    np.testing.assert_allclose(got.data, expected)


def test_nan_reductions_give_nan_positions_a_zero_gradient():
    x = np.array([[1.0, np.nan], [2.0, 4.0]])
    np.testing.assert_array_equal(cr.grad(lambda x: np.nansum(x))(x), [[1, 0], [1, 1]])
    np.testing.assert_array_equal(cr.grad(lambda x: np.nanmean(x, axis=1).sum())(x),
                                  [[1, 0], [0.5, 0.5]])


STRUCTURAL = {
    "tensordot": (lambda a, b: np.tensordot(a, b), [(2, 3, 2), (3, 2, 2)]),
    "tensordot/one": (lambda a, b: np.tensordot(a, b, axes=1), [(2, 3), (3, 2)]),
    "tensordot/zero": (lambda a, b: np.tensordot(a, b, axes=0), [(2,), (3,)]),
    "tensordot/pairs": (
        lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])), [(2, 3, 2), (2, 1, 2)]
    ),
    "tensordot/ints": (lambda a, b: np.tensordot(a, b, axes=(1, 0)), [(2, 3), (3, 2)]),
    "diag": (lambda a: np.diag(a), [(3,)]),
    "diag/below": (lambda a: np.diag(a, k=-1), [(2,)]),
    "diag/of_matrix": (lambda a: np.diag(a, 1), [(3, 3)]),
    "tril": (lambda a: np.tril(a), [(3, 3)]),
    "tril/batched": (lambda a: np.tril(a, -1), [(2, 3, 3)]),
    "triu": (lambda a: np.triu(a, 1), [(3, 2)]),
    "triu/batched": (lambda a: np.triu(a), [(2, 2, 3)]),
    "kron": (lambda a, b: np.kron(a, b), [(2, 2), (2, 3)]),
    "kron/mixed": (lambda a, b: np.kron(a, b), [(3,), (2, 2)]),
    "cross": (lambda a, b: np.cross(a, b), [(2, 3), (3,)]),
    "cross/axes": (lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), [(3, 2), (2, 3)]),
    "cross/two_components": (lambda a, b: np.cross(a, b), [(2, 3), (2, 2)]),
    "vstack": (lambda a, b: np.vstack([a, b]), [(3,), (2, 3)]),
    "hstack": (lambda a, b: np.hstack([a, b]), [(2, 1), (2, 3)]),
    "hstack/vectors": (lambda a, b: np.hstack((a, b)), [(2,), (3,)]),
    "dstack": (lambda a, b: np.dstack([a, b]), [(2, 2), (2, 2, 2)]),
    "column_stack": (lambda a, b: np.column_stack([a, b]), [(3,), (3, 2)]),
    "append": (lambda a, b: np.append(a, b), [(2, 2), (3,)]),
    "append/axis": (lambda a, b: np.append(a, b, axis=0), [(2, 2), (1, 2)]),
    "array_split": (lambda a: np.array_split(a, 3, axis=1)[0], [(2, 5)]),
    "array_split/uneven": (lambda a: np.array_split(a, 3)[2], [(4, 2)]),
    "array_split/indices": (lambda a: np.array_split(a, [1, 2])[1], [(4,)]),
    "hsplit": (lambda a: np.hsplit(a, 2)[1], [(2, 4)]),
    "vsplit": (lambda a: np.vsplit(a, [1])[1], [(3, 2)]),
    "dsplit": (lambda a: np.dsplit(a, 2)[0], [(2, 1, 4)]),
    "atleast_2d": (lambda a: np.atleast_2d(a), [(3,)]),
    "atleast_3d": (lambda a: np.atleast_3d(a), [(2, 3)]),
    "roll/pairs": (lambda a: np.roll(a, (1, -1), axis=(0, 1)), [(2, 3)]),
    "atleast_1d": (lambda a: np.atleast_1d(a), [()]),
    "linspace": (lambda a, b: np.linspace(a, b, 5), [(), ()]),
    "linspace/arrays_axis": (lambda a, b: np.linspace(a, b, 3, endpoint=False, axis=-1),
                             [(2,), (3, 2)]),
    "linspace/one_sample": (lambda a, b: np.linspace(a, b, 1), [(), (2,)]),
    "logspace": (lambda a, b: np.logspace(a, b, 4, base=2.0), [(), ()]),
    "geomspace": (lambda a, b: np.geomspace(np.abs(a), np.abs(b), 4), [(2,), ()]),
    "gradient": (lambda a: np.gradient(a), [(5,)]),
    "gradient/axes_spacing": (lambda a: np.stack(np.gradient(a, 0.5, 2.0)), [(3, 4)]),
    "gradient/edge_order_2": (lambda a: np.gradient(a, axis=-1, edge_order=2), [(2, 4)]),
    "make_diagonal": (lambda a: cr.make_diagonal(a, axis1=-1, axis2=-2), [(2, 3)]),
    "inner": (lambda a, b: np.inner(a, b), [(2, 3), (4, 3)]),
    "inner/scalar": (lambda a, b: np.inner(a, b), [(), (3,)]),
    "vdot": (lambda a, b: np.vdot(a, b), [(2, 3), (3, 2)]),
    "rollaxis": (lambda a: np.rollaxis(a, 2), [(2, 3, 4)]),
    "rollaxis/start": (lambda a: np.rollaxis(a, 0, 3), [(2, 3, 4)]),
    "column_stack/one_vector": (lambda a: np.column_stack(a), [(3,)]),
    "select": (lambda a, b: np.select([a > 0, b > 0], [a, b * b], default=0.5), [(2, 3), (3,)]),
}


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated")
@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_function_matches_numpy_and_finite_differences(name):
    f, shapes = STRUCTURAL[name]
    check(f, *[away_from_zero(s) for s in shapes])


GRADIENT_TABLES = [UNARY, BINARY, REDUCTIONS, STRUCTURAL]
"""For the coverage check in test_ops_gradients.py: every op has a row somewhere."""


@pytest.mark.parametrize(
    "f",
    [
        np.arcsinh, np.sinc, lambda x: np.arctan2(x, 1.5), lambda x: x % 0.7,
        lambda x: np.logaddexp(x, x), lambda x: np.tensordot(x, x), lambda x: np.trace(x),
        lambda x: np.tril(x), lambda x: np.kron(x, x), lambda x: np.cross(x, x[::-1]),
        lambda x: np.vstack([x, x]), lambda x: np.roll(x, 1), lambda x: np.diff(x),
        lambda x: np.cumprod(x, axis=0), lambda x: np.median(x, axis=0),
        lambda x: np.quantile(x, 0.3), lambda x: np.average(x, weights=x * x),
        lambda x: np.nanmean(x),
    ],
)
def test_float32_stays_float32(f):
    x = positive((3, 3)).astype(np.float32)
    assert f(cr.Tensor(x)).dtype == f(x).dtype == np.float32
    assert cr.grad(lambda x: f(x).sum())(x).dtype == np.float32
