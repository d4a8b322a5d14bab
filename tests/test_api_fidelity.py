"""The functional API never drops the graph: vjp/jvp results are differentiable in every
argument, pytree outputs keep their structure, and every way out of the graph raises."""

import math

import numpy as np
import pytest

import chainrule as cr

X = np.array([0.3, 0.7])
V = np.array([1.0, 2.0])
RNG = np.random.default_rng(8)


def sin_twice(x):
    return np.sin(x) * 2.0


def residuals(x):
    """A small nonlinear least-squares residual, R^2 -> R^3."""
    return np.stack([x[0] * x[1], np.sin(x[0]), x[1] ** 2])


def central_jacobian(f, x, eps=1e-6):
    """d f / d x by float64 central differences, shape f(x).shape + x.shape."""
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(f(x)) + x.shape)


def test_vjp_result_is_differentiable_in_the_cotangent():
    jac = cr.jacobian(lambda x, v: cr.vjp(sin_twice, x)[1](v)[0], 1)(X, V)
    np.testing.assert_allclose(jac, np.diag(2 * np.cos(X)), rtol=1e-12)
    np.testing.assert_allclose(jac, [[1.9107, 0], [0, 1.5297]], atol=1e-4)


def test_jvp_result_is_differentiable_in_the_tangent_in_both_modes():
    for mode in ("rev", "fwd"):
        jac = cr.jacobian(lambda x, v: cr.jvp(sin_twice, (x,), (v,))[1], 1, mode=mode)(X, V)
        np.testing.assert_allclose(jac, np.diag(2 * np.cos(X)), rtol=1e-12)


def test_vjp_result_is_differentiable_in_the_primal_and_cotangent_together():
    jac = cr.jacobian(lambda x, v: cr.vjp(sin_twice, x)[1](v)[0], 0)(X, V)
    np.testing.assert_allclose(jac, np.diag(-2 * np.sin(X) * V), rtol=1e-12)


def test_vjp_fn_made_outside_is_differentiable_in_its_cotangent_later():
    _, vjp_fn = cr.vjp(sin_twice, X)
    jac = cr.jacobian(lambda v: vjp_fn(v)[0])(V)
    np.testing.assert_allclose(jac, np.diag(2 * np.cos(X)), rtol=1e-12)


def test_cotangent_may_be_a_pytree_and_each_leaf_is_differentiable():
    def f(x):
        return {"square": x**2, "pair": (x, np.sin(x))}

    def pulled(x, c):
        return cr.vjp(f, x)[1]({"square": c[0], "pair": (c[1], c[2])})[0]

    c = RNG.normal(size=(3, 2))
    jac = cr.jacobian(pulled, 1)(X, c)
    expected = np.stack([np.diag(2 * X), np.eye(2), np.diag(np.cos(X))], axis=1)
    np.testing.assert_allclose(jac, expected, rtol=1e-12)
    np.testing.assert_allclose(jac, central_jacobian(lambda c: pulled(X, c), c), atol=1e-8)


def test_gauss_newton_product_and_its_derivative_in_the_vector():
    J = central_jacobian(residuals, X)

    def gauss_newton(x, v):
        return cr.vjp(residuals, x)[1](cr.jvp(residuals, (x,), (v,))[1])[0]

    np.testing.assert_allclose(gauss_newton(X, V), J.T @ J @ V, rtol=1e-7)
    np.testing.assert_allclose(cr.jacobian(gauss_newton, 1)(X, V), J.T @ J, rtol=1e-7)
    np.testing.assert_allclose(
        cr.jacobian(gauss_newton, 0)(X, V),
        central_jacobian(lambda x: gauss_newton(x, V), X),
        atol=1e-7,
    )


def test_hessian_vector_products_agree_in_every_composition():
    def f(x):
        return (np.sin(x) ** 2 * x[::-1]).sum()

    hessian = cr.hessian(f)(X)
    expected = hessian @ V
    np.testing.assert_allclose(hessian, central_jacobian(cr.grad(f), X), atol=1e-8)
    np.testing.assert_allclose(cr.hvp(f, (X,), (V,)), expected, rtol=1e-12)
    np.testing.assert_allclose(cr.jvp(cr.grad(f), (X,), (V,))[1], expected, rtol=1e-12)
    vjp_of_grad = cr.vjp(cr.grad(f), X)[1](V)[0]
    np.testing.assert_allclose(vjp_of_grad, hessian.T @ V, rtol=1e-12)
    np.testing.assert_allclose(cr.jacobian(lambda v: cr.hvp(f, (X,), (v,)))(V), hessian,
                               rtol=1e-12)


def test_jvp_of_vjp_and_vjp_of_jvp_are_the_second_derivative():
    def f(x):
        return np.exp(x[0]) * np.sin(x)

    def pull(x, u):
        return cr.vjp(f, x)[1](u)[0]

    def push(x, v):
        return cr.jvp(f, (x,), (v,))[1]

    u = np.array([0.5, -1.5])
    # d/dx [J(x)^T u] along V, and d/dx [J(x) V] pulled back by u, are both u . f'' [V, .]
    jvp_of_vjp = cr.jvp(lambda x: pull(x, u), (X,), (V,))[1]
    vjp_of_jvp = cr.vjp(lambda x: push(x, V), X)[1](u)[0]
    def jacobian_closed_form(x):
        e = np.exp(x[0])
        return np.array([[e * (np.sin(x[0]) + np.cos(x[0])), 0.0],
                         [e * np.sin(x[1]), e * np.cos(x[1])]])

    second = central_jacobian(lambda x: jacobian_closed_form(x).T @ u, X) @ V
    np.testing.assert_allclose(jvp_of_vjp, second, atol=1e-6)
    np.testing.assert_allclose(vjp_of_jvp, second, atol=1e-6)


def test_third_order_through_nested_vjp():
    def third(x):
        inner = cr.grad(lambda y: cr.vjp(np.sin, y)[1](np.ones_like(y))[0].sum())
        return cr.grad(lambda y: inner(y).sum())(x)

    np.testing.assert_allclose(third(X), -np.cos(X), rtol=1e-12)


def test_repeated_argnums_give_the_full_gradient_each_time():
    g0, g1 = cr.grad(lambda x, y: (x * y).sum(), argnums=(0, 0))(X, V)
    np.testing.assert_array_equal(g0, V)
    np.testing.assert_array_equal(g1, V)
    assert cr.grad(lambda x, y: x * y, np.int64(1))(2.0, 3.0) == 2.0
    assert cr.grad(lambda x, y: x * y, [0, -1])(2.0, 3.0) == (3.0, 2.0)
    h = cr.jacobian(lambda x: x**2, argnums=(0, 0))(X)
    np.testing.assert_array_equal(h[0], np.diag(2 * X))
    np.testing.assert_array_equal(h[1], np.diag(2 * X))


class TestPytreeOutputs:
    def f(self, x, y):
        return (x * y, {"s": np.sin(x).sum(), "y": [y]})

    def test_jacobian_of_a_tuple_is_a_tuple_of_jacobians(self):
        for mode in ("rev", "fwd"):
            jac = cr.jacobian(self.f, mode=mode)(X, V)
            assert isinstance(jac, tuple) and isinstance(jac[1], dict)
            np.testing.assert_allclose(jac[0], np.diag(V))
            np.testing.assert_allclose(jac[1]["s"], np.cos(X))
            np.testing.assert_array_equal(jac[1]["y"][0], np.zeros((2, 2)))

    def test_several_argnums_nest_inside_the_output_structure_as_in_jax(self):
        for mode in ("rev", "fwd"):
            jac = cr.jacobian(self.f, argnums=(0, 1), mode=mode)(X, V)
            np.testing.assert_allclose(jac[0][0], np.diag(V))
            np.testing.assert_allclose(jac[0][1], np.diag(X))
            np.testing.assert_array_equal(jac[1]["y"][0][0], np.zeros((2, 2)))
            np.testing.assert_array_equal(jac[1]["y"][0][1], np.eye(2))

    def test_jvp_and_vjp_keep_the_structure(self):
        out, tangent = cr.jvp(self.f, (X, V), (V, X))
        assert isinstance(out[1]["y"], list)
        np.testing.assert_allclose(tangent[0], V * V + X * X)
        np.testing.assert_allclose(tangent[1]["s"], np.cos(X) @ V)
        np.testing.assert_allclose(tangent[1]["y"][0], X)
        _, vjp_fn = cr.vjp(self.f, X, V)
        gx, gy = vjp_fn((np.ones(2), {"s": np.array(2.0), "y": [np.ones(2)]}))
        np.testing.assert_allclose(gx, V + 2 * np.cos(X))
        np.testing.assert_allclose(gy, X + 1)

    def test_none_is_an_empty_subtree_as_in_jax(self):
        assert cr.grad(lambda t: t[0] ** 2)((3.0, None)) == (6.0, None)
        jac, nothing = cr.jacobian(lambda x: (x * 2, None))(X)
        np.testing.assert_array_equal(jac, 2 * np.eye(2))
        assert nothing is None
        (pulled,) = cr.vjp(lambda x: (x * 2, None), X)[1]((V, None))
        np.testing.assert_array_equal(pulled, 2 * V)

    def test_hessian_of_a_tuple_is_a_tuple_of_hessians(self):
        h_cube, h_square = cr.hessian(lambda x: ((x**3).sum(), (x**2).sum()))(X)
        np.testing.assert_allclose(h_cube, np.diag(6 * X))
        np.testing.assert_allclose(h_square, 2 * np.eye(2))

    def test_a_cotangent_of_the_wrong_structure_is_refused(self):
        _, vjp_fn = cr.vjp(self.f, X, V)
        with pytest.raises(cr.GradientError, match="output holds 3 arrays"):
            vjp_fn(np.ones(2))
        with pytest.raises(cr.GradientError, match=r"shape \(3,\)"):
            cr.vjp(np.sin, X)[1](np.ones(3))


class TestNoSilentExitFromTheGraph:
    """Each way a Tensor could become a plain number or array inside a transformation."""

    def test_float_and_math_functions_raise_naming_what_to_write_instead(self):
        with pytest.raises(cr.GradientError, match=r"float\(\).*np\.sin"):
            cr.grad(lambda s: s * float(s))(2.0)
        with pytest.raises(cr.GradientError, match="math"):
            cr.grad(lambda s: math.sin(s))(0.3)
        with pytest.raises(cr.GradientError, match="float"):
            cr.grad(lambda w: w[0] * math.exp(w[0]))(np.array([0.5, 1.0]))

    def test_item_int_tolist_and_integer_astype_raise(self):
        cases = {
            r"\.item\(\)": lambda s: s * s.item(),
            r"int\(\)": lambda s: s * int(s),
            r"\.tolist\(\)": lambda s: s * s.tolist(),
            r"\.numpy\(\)": lambda s: s * s.numpy(),
            r"astype\(int64\).*stop_gradient": lambda s: s * s.astype(np.int64),
        }
        for message, f in cases.items():
            with pytest.raises(cr.GradientError, match=message):
                cr.grad(f)(2.0)

    def test_storing_into_a_numpy_array_raises(self):
        def store_slice(b):
            z = np.zeros(3)
            z[0:2] = b[0:2]
            return (z * b).sum()

        with pytest.raises(cr.GradientError, match=r"np\.stack.*x\.at\[i\]\.set"):
            cr.grad(store_slice)(np.array([1.0, 2.0, 3.0]))

    def test_numpy_functions_that_copy_tensor_values_out_raise(self):
        for fill in (lambda x: np.full(3, x[0], dtype=float), lambda x: np.full_like(x, x[0]),
                     lambda x: np.full(3, x[0]), lambda x: np.unique(x),
                     lambda x: np.bincount([0, 1, 1], weights=x)):
            with pytest.raises(cr.GradientError, match="NumPy array"):
                cr.grad(lambda x, fill=fill: (fill(x) * x).sum())(np.array([1.0, 2.0, 3.0]))
        assert cr.grad(lambda x: (np.full_like(x, 2.0) * x).sum())(np.ones(3)).tolist() == [2] * 3

    def test_storing_one_element_raises_with_our_error_as_the_cause(self):
        # NumPy turns any failure of float() on a sequence-like object into its own
        # ValueError; ours is its cause, so the message still says what to write instead.
        def store_element(b):
            z = np.zeros(3)
            z[0] = b[0]
            return (z * b).sum() + z.sum()

        with pytest.raises((cr.GradientError, ValueError)) as caught:
            cr.grad(store_element)(np.array([1.0, 2.0, 3.0]))
        error = caught.value
        error = error if isinstance(error, cr.GradientError) else error.__cause__
        assert isinstance(error, cr.GradientError) and "x.at[i].set" in str(error)

    def test_the_written_alternatives_give_the_right_gradient(self):
        b = np.array([1.0, 2.0, 3.0])

        def with_at_set(b):
            z = np.zeros(3)
            z = cr.Tensor(z).at[0].set(b[0])
            return (z * b).sum() + z.sum()

        np.testing.assert_allclose(cr.grad(with_at_set)(b), [3.0, 0.0, 0.0])
        assert cr.grad(lambda s: s * np.sin(s))(0.3) == pytest.approx(
            np.sin(0.3) + 0.3 * np.cos(0.3), rel=1e-14
        )
        assert cr.grad(lambda s: s * float(cr.stop_gradient(s)))(2.0) == 2.0

    def test_outputs_that_are_not_float_arrays_raise(self):
        for f in (lambda x: 3.0, lambda x: None, lambda x: "loss", lambda x: np.allclose(x, 1.0),
                  lambda x: (x > 0).sum()):
            with pytest.raises(cr.GradientError, match="grad: f returned"):
                cr.grad(f)(1.0)
        with pytest.raises(cr.GradientError, match="scalar"):
            cr.grad(lambda x: x * 2)(np.ones(3))

    def test_what_keeps_working(self):
        # control flow on comparisons and on np.allclose, piecewise-constant functions
        def piecewise(x):
            if x > 0 and not np.allclose(x, 5.0):
                return x * np.floor(x) + np.sign(x) + np.argmax(np.stack([x, -x]))
            return -x

        assert cr.grad(piecewise)(2.5) == 2.0
        assert cr.grad(piecewise)(-2.5) == -1.0
        # no_grad, stop_gradient, and Tensors outside any transformation (PyTorch's rules)
        t = cr.Tensor(2.0, requires_grad=True)
        with cr.no_grad():
            assert float(t * 2) == 4.0
        assert float(t * 2) == 4.0 and (t * 2).item() == 4.0
        assert cr.grad(lambda x: x * float(cr.Tensor(3.0)))(2.0) == 3.0
        # the tutorial's forward takes math.log of a Tensor, and its value is unchanged
        from test_tutorial import cross_entropy, tutorial_output

        y, y_ = tutorial_output()
        assert float(cross_entropy(y, y_)) == pytest.approx(1.1711829815, abs=1e-10)
        assert cr.grad(cross_entropy)(y, y_)[2] == pytest.approx(-3.2258064516, abs=1e-9)


class TestCheckGrads:
    def test_passes_to_third_order_in_both_modes_for_correct_functions(self):
        cr.check_grads(lambda x, y: np.tanh(x * y).sum() + (x**2 * y).sum(),
                       (np.array([0.3, -0.2]), np.array([1.0, 0.5])), order=2,
                       modes=("rev", "fwd"))
        cr.check_grads(lambda x: np.sin(x) * x, np.array([0.3, -0.2, 1.0]), order=3,
                       modes=("rev", "fwd"))

    def test_second_order_differentiates_through_the_cotangent(self):
        @cr.custom_gradient
        def square_with_frozen_cotangent(x):
            return x**2, lambda g: 2 * x * cr.stop_gradient(g)

        x = np.array([0.5, 1.5])
        cr.check_grads(square_with_frozen_cotangent, (x,), order=1)
        with pytest.raises(AssertionError, match=r"vjp of square_with_frozen_cotangent.*"
                                                 r"argument 1"):
            cr.check_grads(square_with_frozen_cotangent, (x,), order=2)

    def test_second_order_catches_a_gradient_that_ignores_the_primal(self):
        @cr.custom_gradient
        def square_with_frozen_input(x):
            frozen = cr.stop_gradient(x)
            return x**2, lambda g: 2 * frozen * g

        x = np.array([0.5, 1.5])
        cr.check_grads(square_with_frozen_input, (x,), order=1, modes=("rev", "fwd"))
        for mode in ("rev", "fwd"):
            with pytest.raises(AssertionError, match="of square_with_frozen_input.*argument 0"):
                cr.check_grads(square_with_frozen_input, (x,), order=2, modes=(mode,))

    def test_random_directions_come_from_the_seed(self):
        @cr.custom_gradient
        def wrong_second_order(x):
            frozen = cr.stop_gradient(x)
            return (x**3).sum(), lambda g: 3 * frozen**2 * g

        messages = []
        for _ in range(2):
            with pytest.raises(AssertionError) as caught:
                cr.check_grads(wrong_second_order, (np.array([0.5, -1.5]),), order=2, seed=3)
            messages.append(str(caught.value))
        assert messages[0] == messages[1]
