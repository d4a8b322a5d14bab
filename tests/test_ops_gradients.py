"""Every primitive's derivatives equal central finite differences in float64.

Shapes (with broadcasting) come from hypothesis; each op is checked in reverse and
forward mode, to first and second order.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr

RNG = np.random.default_rng(0)


def positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def anywhere(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def away_from_zero(shape):
    return RNG.choice([-1, 1], size=shape) * RNG.uniform(0.5, 2.0, size=shape)


UNARY = {
    "negative": (np.negative, anywhere),
    "exp": (np.exp, anywhere),
    "log": (np.log, positive),
    "log1p": (np.log1p, positive),
    "expm1": (np.expm1, anywhere),
    "sqrt": (np.sqrt, positive),
    "square": (np.square, anywhere),
    "sin": (np.sin, anywhere),
    "cos": (np.cos, anywhere),
    "tan": (lambda x: np.tan(x * 0.5), anywhere),
    "tanh": (np.tanh, anywhere),
    "arcsin": (lambda x: np.arcsin(x * 0.4), anywhere),
    "arccos": (lambda x: np.arccos(x * 0.4), anywhere),
    "arctan": (np.arctan, anywhere),
    "sinh": (np.sinh, anywhere),
    "cosh": (np.cosh, anywhere),
    "log2": (np.log2, positive),
    "log10": (np.log10, positive),
    "exp2": (np.exp2, anywhere),
    "sigmoid": (cr.sigmoid, anywhere),
    "relu": (cr.relu, away_from_zero),
    "abs": (np.abs, away_from_zero),
    "reciprocal": (lambda x: 1 / x, away_from_zero),
    "power_const": (lambda x: x**3, anywhere),
    "power_half": (lambda x: x**0.5, positive),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), away_from_zero),
    "sign_times_x": (lambda x: np.sign(x) * x, away_from_zero),
}

BINARY = {
    "add": (np.add, anywhere, anywhere),
    "subtract": (np.subtract, anywhere, anywhere),
    "multiply": (np.multiply, anywhere, anywhere),
    "divide": (np.divide, anywhere, away_from_zero),
    "power": (np.power, positive, anywhere),
    "maximum": (np.maximum, anywhere, anywhere),
    "minimum": (np.minimum, anywhere, anywhere),
    "where": (lambda x, y: np.where(x > 0, x * y, y), anywhere, anywhere),
}

REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "prod": np.prod,
    "var": np.var,
    "std": np.std,
    "logsumexp": cr.logsumexp,
}


def check(f, *args):
    """First and second order, reverse and forward mode (shapes kept small: FD is O(n^2))."""
    cr.check_grads(f, args, order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=2))
def test_unary_op_matches_finite_differences(name, shape):
    f, sample = UNARY[name]
    check(f, sample(shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=2))
def test_binary_op_with_broadcasting_matches_finite_differences(name, shapes):
    f, sample_x, sample_y = BINARY[name]
    x_shape, y_shape = shapes.input_shapes
    check(f, sample_x(x_shape), sample_y(y_shape))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(
    shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=2),
    data=st.data(),
)
def test_reduction_matches_finite_differences(name, shape, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    reduce = REDUCTIONS[name]
    check(lambda x: reduce(x, axis=axis, keepdims=keepdims), anywhere(shape))


@given(
    shapes=mutually_broadcastable_shapes(signature="(n?,k),(k,m?)->(n?,m?)", max_dims=3, max_side=2)
)
def test_matmul_follows_numpy_shape_rules(shapes):
    x_shape, y_shape = shapes.input_shapes
    check(np.matmul, anywhere(x_shape), anywhere(y_shape))


@pytest.mark.parametrize(
    "f, shapes",
    [
        (lambda x: cr.softmax(x, axis=-1), [(2, 4)]),
        (lambda x: cr.softmax(x, axis=0), [(3, 2)]),
        (lambda x: cr.log_softmax(x, axis=1), [(2, 4)]),
        (lambda x: np.cumsum(x, axis=1), [(2, 3)]),
        (lambda x: np.cumsum(x), [(2, 3)]),
        (np.dot, [(3,), (3,)]),
        (np.dot, [(2, 3), (3,)]),
        (lambda x, y: np.dot(x, y), [(2, 3), (4, 3, 2)]),
        (np.outer, [(3,), (2,)]),
        (lambda x, y: np.einsum("ij,jk->ik", x, y), [(2, 3), (3, 2)]),
        (lambda x, y: np.einsum("bij,bjk->bik", x, y), [(2, 2, 3), (2, 3, 2)]),
        (lambda x: np.einsum("ij->i", x), [(2, 3)]),
        (lambda x, y: np.einsum("i,j", x, y), [(2,), (3,)]),
        (lambda x: np.einsum("...ij->...ji", x), [(2, 2, 3)]),
        (lambda x: np.reshape(x, (3, 2)), [(2, 3)]),
        (lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 2)]),
        (lambda x: x.T, [(2, 3)]),
        (lambda x: np.swapaxes(x, 0, 2), [(2, 3, 2)]),
        (lambda x: np.moveaxis(x, 0, -1), [(2, 3, 2)]),
        (lambda x: np.expand_dims(x, 1), [(2, 3)]),
        (lambda x: np.squeeze(x, 1), [(2, 1, 3)]),
        (lambda x: np.broadcast_to(x, (2, 3, 3)), [(3, 1)]),
        (lambda x, y: np.concatenate([x, y], axis=1), [(2, 3), (2, 2)]),
        (lambda x, y: np.concatenate([x, y], axis=None), [(2, 3), (2, 2)]),
        (lambda x, y: np.stack([x, y], axis=1), [(2, 3), (2, 3)]),
        (lambda x: np.split(x, 2, axis=1)[1], [(2, 4)]),
        (lambda x: np.split(x, [1, 3])[1], [(4, 2)]),
        (lambda x: np.pad(x, ((1, 0), (2, 1))), [(2, 3)]),
        (lambda x: np.flip(x, axis=1), [(2, 3)]),
        (lambda x: np.flip(x), [(2, 3)]),
        (lambda x: np.tile(x, (2, 3)), [(2, 2)]),
        (lambda x: np.tile(x, 2), [(3,)]),
        (lambda x: np.repeat(x, 2, axis=0), [(2, 3)]),
        (lambda x: np.repeat(x, [1, 0, 2], axis=1), [(2, 3)]),
        (lambda x: np.repeat(x, 2), [(2, 2)]),
        (lambda x: x[1], [(3, 2)]),
        (lambda x: x[:, 1:], [(3, 3)]),
        (lambda x: x[::-1, None, 0], [(3, 3)]),
        (lambda x: x[..., 1], [(2, 3, 2)]),
        (lambda x: x[np.array([0, 2, 0, 0])], [(3, 2)]),
        (lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 0])], [(2, 3)]),
        (lambda x: x[x > 0], [(3, 3)]),
        (lambda x: np.take(x, [2, 2, 0]), [(2, 2)]),
        (lambda x: np.sort(x, axis=1), [(2, 3)]),
        (lambda x: np.sort(x, axis=0), [(3, 2)]),
        (lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1]]), axis=1), [(2, 3)]),
        (lambda x: np.linalg.norm(x), [(2, 3)]),
        (lambda x: np.linalg.norm(x, axis=0, keepdims=True), [(2, 3)]),
        (lambda x: x.astype(np.float64) * 2, [(2,)]),
    ],
)
def test_structural_op_matches_finite_differences(f, shapes):
    check(f, *[away_from_zero(s) for s in shapes])


def test_concatenate_gradient_reaches_every_operand():
    a, b = np.ones((2, 2)), np.ones((2, 3))
    ga, gb = cr.grad(lambda a, b: (np.concatenate([a, b], 1) * np.arange(5.0)).sum(), (0, 1))(a, b)
    np.testing.assert_array_equal(ga, [[0, 1], [0, 1]])
    np.testing.assert_array_equal(gb, [[2, 3, 4], [2, 3, 4]])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_keeps_float32_in_value_and_gradient(name):
    f, sample = UNARY[name]
    x = sample((2, 3)).astype(np.float32)
    assert f(cr.Tensor(x)).dtype == np.float32
    assert cr.grad(lambda x: f(x).sum())(x).dtype == np.float32


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_keeps_float32_in_value_and_gradients(name):
    f, sample_x, sample_y = BINARY[name]
    x, y = sample_x((2, 3)).astype(np.float32), sample_y((3,)).astype(np.float32)
    grads = cr.grad(lambda x, y: f(x, y).sum(), argnums=(0, 1))(x, y)
    assert [g.dtype for g in grads] == [np.float32, np.float32]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_keeps_float32(name):
    x = anywhere((3, 4)).astype(np.float32)
    assert cr.grad(lambda x: REDUCTIONS[name](x, axis=1).sum())(x).dtype == np.float32
