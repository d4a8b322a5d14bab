"""The functional API: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, pytrees."""

import numpy as np
import pytest

import chainrule as cr
from chainrule._core import engine

RNG = np.random.default_rng(2)


def test_argnums_tuple_returns_one_gradient_per_argument():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = cr.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y)
    np.testing.assert_array_equal(gy, x)


def test_gradients_come_back_in_the_structure_of_the_arguments():
    params = {"W": np.ones((2, 3)), "layers": [np.ones(3), (np.ones(2), np.float64(2.0))]}
    x = np.arange(3.0)

    def loss(p, x):
        hidden = p["W"] @ (x * p["layers"][0])
        return (hidden * p["layers"][1][0]).sum() * p["layers"][1][1]

    grads = cr.grad(loss)(params, x)
    assert set(grads) == {"W", "layers"}
    assert isinstance(grads["layers"], list) and isinstance(grads["layers"][1], tuple)
    np.testing.assert_allclose(grads["W"], 2.0 * np.tile(x, (2, 1)))
    assert grads["layers"][1][1] == pytest.approx(loss(params, x) / 2.0)


def test_value_and_grad_and_has_aux():
    (value, aux), grad = cr.value_and_grad(lambda x: ((x**2).sum(), x * 3), has_aux=True)(
        np.array([1.0, 2.0])
    )
    assert value == 5.0
    np.testing.assert_array_equal(aux, [3.0, 6.0])
    np.testing.assert_array_equal(grad, [2.0, 4.0])
    assert isinstance(aux, np.ndarray)


def test_input_that_does_not_affect_the_output_gets_zeros_not_none():
    gx, gy = cr.grad(lambda x, y: (x**2).sum(), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(gy, np.zeros(3))
    assert cr.grad(lambda x: np.array(3.0))(np.ones(2)).tolist() == [0.0, 0.0]


def test_grad_requires_a_scalar_output():
    with pytest.raises(cr.GradientError, match="scalar"):
        cr.grad(lambda x: x * 2)(np.ones(3))


def test_vjp_and_jvp_agree_with_the_jacobian():
    A = RNG.normal(size=(3, 4))

    def f(x):
        return np.tanh(A @ x)

    x, v, u = RNG.normal(size=4), RNG.normal(size=4), RNG.normal(size=3)
    J = cr.jacobian(f)(x)
    out, vjp_fn = cr.vjp(f, x)
    np.testing.assert_allclose(out, f(x))
    np.testing.assert_allclose(vjp_fn(u)[0], u @ J, atol=1e-14)
    out, tangent = cr.jvp(f, (x,), (v,))
    np.testing.assert_allclose(tangent, J @ v, atol=1e-14)


def test_jacobian_forward_and_reverse_modes_agree_with_several_arguments():
    def f(x, y):
        return np.sin(x)[:, None] * y[None, :] + x.sum()

    x, y = RNG.normal(size=3), RNG.normal(size=2)
    rev = cr.jacobian(f, argnums=(0, 1))(x, y)
    fwd = cr.jacobian(f, argnums=(0, 1), mode="fwd")(x, y)
    assert rev[0].shape == (3, 2, 3) and rev[1].shape == (3, 2, 2)
    for a, b in zip(rev, fwd):
        np.testing.assert_allclose(a, b, atol=1e-14)


def test_reverse_jacobian_uses_a_single_backward_pass(monkeypatch):
    calls = []
    original = engine.backward
    monkeypatch.setattr(engine, "backward", lambda *a, **k: calls.append(1) or original(*a, **k))
    jac = cr.jacobian(lambda x: np.tanh(x) * 2)(np.ones(50))
    assert jac.shape == (50, 50) and len(calls) == 1


def test_hessian_and_hvp_agree():
    A = RNG.normal(size=(3, 3))

    def f(x):
        return np.sum(np.tanh(A @ x) ** 2)

    x, v = RNG.normal(size=3), RNG.normal(size=3)
    H = cr.hessian(f)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(cr.hvp(f, (x,), (v,)), H @ v, atol=1e-12)
    cr.check_grads(lambda x: cr.grad(f)(x), (x,), modes=("rev", "fwd"))


def test_nested_grad_does_not_confuse_perturbations():
    # d/dx [ x * d/dy (x * y) ] = d/dx [x * x] = 2x; mixing up x and y would give 4x.
    def outer(x):
        return x * cr.grad(lambda y: x * y)(1.0)

    assert cr.grad(outer)(3.0) == 6.0


def test_custom_gradient_written_with_ops_supports_hessian_and_jvp():
    @cr.custom_gradient
    def log1pexp(x):
        def grad_fn(dy):
            return dy * cr.sigmoid(x)

        return np.log1p(np.exp(x)), grad_fn

    x = np.array([-1.0, 0.5, 2.0])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(cr.grad(lambda x: log1pexp(x).sum())(x), sig)
    np.testing.assert_allclose(
        cr.hessian(lambda x: log1pexp(x).sum())(x), np.diag(sig * (1 - sig)), atol=1e-14
    )
    _, tangent = cr.jvp(log1pexp, (x,), (np.ones(3),))
    np.testing.assert_allclose(tangent, sig)
    np.testing.assert_allclose(cr.jacobian(log1pexp, mode="fwd")(x), np.diag(sig))


def test_custom_gradient_may_omit_gradients_for_later_inputs():
    @cr.custom_gradient
    def scaled(x, scale):
        return x * scale, lambda dy: dy * scale

    gx, gs = cr.grad(lambda x, s: scaled(x, s).sum(), argnums=(0, 1))(np.ones(2), 3.0)
    np.testing.assert_array_equal(gx, [3.0, 3.0])
    assert gs == 0.0


def test_check_grads_names_the_argument_and_the_worst_index():
    @cr.custom_gradient
    def wrong(x, y):
        return (x * y).sum(), lambda dy: (dy * y, dy * x * 1.5)

    with pytest.raises(AssertionError, match=r"argument 1.*index \(2,\).*analytic.*numeric"):
        cr.check_grads(wrong, (np.array([1.0, 1.0, 3.0]), np.ones(3)))


def test_results_are_plain_numpy_arrays():
    grad = cr.grad(lambda x: (x**2).sum())(cr.Tensor([1.0, 2.0]))
    assert type(grad) is np.ndarray


def test_gradients_are_writable_arrays_even_where_the_rule_broadcasts():
    x = np.ones(3)
    for grad in (cr.grad(lambda x: x.sum())(x), cr.jacobian(lambda x: x.mean())(x),
                 cr.grad(lambda x, y: x.sum(), argnums=(0, 1))(x, np.ones(2))[1]):
        grad += 1.0
    t = cr.Tensor(x, requires_grad=True)
    t.sum().backward()
    t.grad *= 0.5
    np.testing.assert_array_equal(t.grad, [0.5, 0.5, 0.5])
