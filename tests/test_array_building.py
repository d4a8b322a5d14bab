"""Arrays built from Tensors: what plain NumPy can dispatch, and `chainrule.numpy` for the
rest (np.array / np.asarray of lists holding Tensors, np.sum([t1, t2]), np.r_, np.c_)."""

import numpy
import pytest

import chainrule as cr
import chainrule.numpy as cnp

RNG = numpy.random.default_rng(0)


def tracked(*shape):
    return cr.Tensor(RNG.normal(size=shape), requires_grad=True)


def test_plain_numpy_joins_tensors_where_its_dispatch_sees_them():
    t, a = tracked(2), numpy.ones(2)
    for joined in (numpy.concatenate([t, a]), numpy.stack([t, a]), numpy.vstack([t, a]),
                   numpy.hstack((a, t)), numpy.append(t, a)):
        assert isinstance(joined, cr.Tensor) and joined.requires_grad


@pytest.mark.parametrize(
    "build",
    [
        lambda t: numpy.array([t, t]),
        lambda t: numpy.asarray([t, 1.0]),
        lambda t: numpy.sum([t, t]),
        lambda t: numpy.mean([t, t]),
        lambda t: numpy.r_[t, t],
        lambda t: numpy.c_[t, t],
    ],
)
def test_plain_numpy_that_cannot_dispatch_refuses_and_names_the_ways_out(build):
    with pytest.raises(cr.GradientError, match=r"np\.stack.*chainrule\.numpy\.array"):
        build(tracked(2))


@pytest.mark.parametrize(
    "f",
    [
        lambda y: numpy.append([y[0], y[1]], y[0]),
        lambda y: numpy.dot([y[0], 2.0], y),
        lambda y: numpy.add([y[0], y[1]], y),
        lambda y: numpy.concatenate([y, [y[0], 1.5]]),
        lambda y: numpy.stack([y, [y[1], 1.0]]),
        lambda y: numpy.where(y > 0, [y[1], y[0]], y),
    ],
)
def test_plain_numpy_takes_lists_of_tensors_beside_a_tensor_it_dispatches_on(f):
    y = RNG.normal(size=2)
    numpy.testing.assert_array_equal(f(cr.Tensor(y)).data, f(y))
    cr.check_grads(f, (y,), order=2, modes=("rev", "fwd"))


def test_plain_numpy_takes_lists_as_the_other_operand():
    y = RNG.normal(size=2)
    for f in (lambda y: numpy.dot([1.0, 2.0], y), lambda y: [[1.0], [2.0]] @ y[None],
              lambda y: numpy.matmul(y, [[1.0, 0.5], [2.0, 0.0]])):
        cr.check_grads(f, (y,), order=2, modes=("rev", "fwd"))


def test_plain_numpy_builds_arrays_from_tensors_outside_a_graph():
    t = cr.Tensor(numpy.array([1.0, 2.0]))
    numpy.testing.assert_array_equal(numpy.array([t, t]), [[1.0, 2.0], [1.0, 2.0]])


@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: cnp.array([x, y]),
        lambda x, y: cnp.array([[x[0], 1.0], [0.0, y[1]]]),
        lambda x, y: cnp.array(((x, y), (y, x)), ndmin=4),
        lambda x, y: cnp.asarray([x[0], 2, y[1], 3.5]),
        lambda x, y: cnp.array([x, numpy.ones(2)], dtype=numpy.float64),
        lambda x, y: cnp.sum([x, y], axis=0),
        lambda x, y: cnp.mean([x * y, y]),
        lambda x, y: cnp.prod([x, y], axis=1),
        lambda x, y: cnp.concatenate([x, y, numpy.ones(1)]),
        lambda x, y: cnp.exp([x[0], y[1]]),
        lambda x, y: cnp.dot([x[0], x[1]], y),
        lambda x, y: cnp.linalg.norm([x[0], y[1]]),
        lambda x, y: cnp.r_[x, 0:2, y[0], numpy.ones(2)],
        lambda x, y: cnp.r_["0,2", x, y],
        lambda x, y: cnp.r_["-1", numpy.stack([x, y]), numpy.ones((2, 1))],
        lambda x, y: cnp.c_[x, y, numpy.zeros(2)],
        lambda x, y: cnp.c_[numpy.ones((2, 2)), x],
    ],
)
def test_chainrule_numpy_builds_what_numpy_builds_and_differentiates_it(build):
    x, y = RNG.normal(size=2), RNG.normal(size=2)
    built = build(cr.Tensor(x), cr.Tensor(y))
    expected = build(x, y)
    assert isinstance(built, cr.Tensor)
    assert built.shape == expected.shape and built.dtype == expected.dtype
    numpy.testing.assert_array_equal(built.data, expected)
    cr.check_grads(lambda x, y: cnp.asarray(build(x, y), dtype=numpy.float64), (x, y),
                   order=2, modes=("rev", "fwd"))


def test_chainrule_numpy_array_keeps_numpy_dtype_rules():
    single = cr.Tensor(numpy.ones(2, dtype=numpy.float32), requires_grad=True)
    assert cnp.array([single, single]).dtype == numpy.float32
    assert cnp.array([single, numpy.ones(2, numpy.float32)]).dtype == numpy.float32
    assert cnp.array([single[0], 1.0]).dtype == numpy.array([numpy.float32(1), 1.0]).dtype


def test_chainrule_numpy_asarray_of_a_tensor_is_that_tensor():
    t = tracked(3)
    assert cnp.asarray(t) is t
    assert cnp.asarray(t, dtype=numpy.float32).dtype == numpy.float32


def test_chainrule_numpy_array_refuses_ragged_lists_as_numpy_does():
    with pytest.raises(ValueError, match="inhomogeneous"):
        cnp.array([tracked(2), tracked(3)])


def test_chainrule_numpy_is_a_drop_in_for_numpy():
    import chainrule.numpy.linalg as linalg

    assert set(dir(numpy)) <= set(dir(cnp))
    assert cnp.pi == numpy.pi and cnp.float32 is numpy.float32 and cnp.newaxis is None
    assert cnp.add.reduce(numpy.arange(4.0)) == 6.0
    numpy.testing.assert_array_equal(cnp.zeros((2, 3)), numpy.zeros((2, 3)))
    numpy.testing.assert_allclose(linalg.inv(numpy.eye(2) * 2), numpy.eye(2) / 2)
    assert cnp.random.default_rng(0).normal() == numpy.random.default_rng(0).normal()
    x = numpy.array([[2.0, 1.0], [1.0, 3.0]])
    gradient = cr.grad(lambda x: cnp.linalg.det(cnp.array([[x[0, 0], x[0, 1]],
                                                         [x[1, 0], x[1, 1]]])))(x)
    numpy.testing.assert_allclose(gradient, numpy.linalg.det(x) * numpy.linalg.inv(x).T)


def test_chainrule_numpy_names_are_numpys_not_its_own_imports():
    for name in sorted(set(dir(numpy)) & set(vars(cnp))):
        if name.startswith("_") or name in {"r_", "c_", "linalg", "fft", "random"}:
            continue
        if callable(getattr(numpy, name)) and name in cnp.__all__:
            continue
        assert getattr(cnp, name) is getattr(numpy, name), name
    assert cnp.shape(numpy.ones((2, 3))) == (2, 3)
    assert cnp.ndim(numpy.ones(2)) == 1


def test_chainrule_numpy_full_with_a_tensor_fill_value_is_differentiable():
    assert cr.grad(lambda s: cnp.full((3,), s).sum())(2.0) == 3.0
    assert cr.hessian(lambda s: (cnp.full(2, s) ** 3).sum())(2.0) == 24.0
    weights = numpy.arange(4.0).reshape(2, 2)
    assert cr.grad(lambda s: (cnp.full_like(weights, s) * weights).sum())(2.0) == 6.0
    numpy.testing.assert_array_equal(cnp.full((2,), 1.5), numpy.full((2,), 1.5))
