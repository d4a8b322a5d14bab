"""custom_gradient: nested inputs, exact second derivatives, and clear errors on misuse."""

import math

import numpy as np
import pytest

import chainrule as cr


def central_derivative(f, x, eps=1e-5):
    """df/dx of a scalar function of a scalar by float64 central differences."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@cr.custom_gradient
def product_of_pair(pair):
    v, c = pair

    def grad_fn(dy):
        return (dy * c, dy * v)

    return v * c, grad_fn


@cr.custom_gradient
def exp_with_saved_output(x):
    y = np.exp(x)
    return y, lambda dy: dy * y


@cr.custom_gradient
def logsumexp(x):
    """Stable log(sum(exp(x))) whose VJP is the softmax, written by hand."""
    shift = np.max(x)
    ans = shift + np.log(np.sum(np.exp(x - shift)))
    return ans, lambda dy: dy * np.exp(x - ans)


@cr.custom_gradient
def fixed_point(f, a, x0, distance, tol):
    """x* = f(a)(x*) by iteration; its VJP is the implicit-function one (autograd's)."""
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    ans = x

    def grad_fn(g):
        def reverse_step(params):
            a, x_star, x_star_bar = params
            vjp_x = cr.vjp(f(a), x_star)[1]
            return lambda u: vjp_x(u)[0] + x_star_bar

        vjp_a = cr.vjp(lambda a, y: f(a)(y), a, ans)[1]
        w = fixed_point(reverse_step, (a, ans, g), np.zeros_like(g), distance, tol)
        return None, vjp_a(w)[0]

    return ans, grad_fn


def newton_sqrt_step(a):
    return lambda x: 0.5 * (x + a / x)


def distance(x, y):
    return np.abs(x - y)


def fixed_point_sqrt(a):
    return fixed_point(newton_sqrt_step, a, 10.0, distance, 1e-10)


def test_tensors_inside_a_tuple_argument_get_their_gradient():
    assert cr.grad(lambda v: product_of_pair((v, 2.0)))(3.0) == 2.0
    gv, gc = cr.grad(lambda p: product_of_pair(p), 0)((3.0, 2.0))
    assert (gv, gc) == (2.0, 3.0)


def test_gradients_come_back_in_the_structure_of_nested_arguments():
    @cr.custom_gradient
    def weighted(inputs, scale):
        x, rest = inputs["x"], inputs["rest"]
        value = scale * (x * rest[0] + rest[1]).sum()

        def grad_fn(dy):
            grads = {"x": dy * scale * rest[0], "rest": [dy * scale * x, dy * scale]}
            return grads, dy * (x * rest[0] + rest[1]).sum()

        return value, grad_fn

    x, y, z = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0.5, 0.5])

    def loss(inputs, scale):
        return weighted(inputs, scale)

    g_inputs, g_scale = cr.grad(loss, (0, 1))({"x": x, "rest": [y, z]}, 2.0)
    np.testing.assert_allclose(g_inputs["x"], 2 * y)
    np.testing.assert_allclose(g_inputs["rest"][0], 2 * x)
    np.testing.assert_allclose(g_inputs["rest"][1], [2.0, 2.0])
    assert g_scale == pytest.approx((x * y + z).sum())


def test_what_the_forward_computes_stays_connected_for_second_derivatives():
    assert cr.grad(cr.grad(exp_with_saved_output))(1.0) == pytest.approx(math.e, rel=1e-14)
    assert cr.hessian(exp_with_saved_output)(1.0) == pytest.approx(math.e, rel=1e-14)
    _, tangent = cr.jvp(cr.grad(exp_with_saved_output), (1.0,), (1.0,))
    assert tangent == pytest.approx(math.e, rel=1e-14)
    third = cr.grad(cr.grad(cr.grad(exp_with_saved_output)))(1.0)
    assert third == pytest.approx(math.e, rel=1e-14)


def test_backward_with_create_graph_differentiates_the_saved_output():
    x = cr.Tensor(1.0, requires_grad=True)
    exp_with_saved_output(x).backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.backward()
    assert float(x.grad) == pytest.approx(math.e, rel=1e-14)


def test_stable_logsumexp_with_a_hand_written_vjp_passes_second_order_checks():
    x = np.array([0.5, -1.0, 2.0])
    softmax = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(cr.grad(logsumexp)(x), softmax, rtol=1e-14)
    np.testing.assert_allclose(
        cr.hessian(logsumexp)(x), np.diag(softmax) - np.outer(softmax, softmax), atol=1e-15
    )
    cr.check_grads(logsumexp, (x,), order=2, modes=("rev", "fwd"))
    big = np.array([1e4, -1e4, 1e4 - 1.0])
    assert np.isfinite(cr.hessian(logsumexp)(big)).all()


def test_fixed_point_solver_has_exact_first_and_second_derivatives():
    a = 2.0
    assert fixed_point_sqrt(a) == pytest.approx(math.sqrt(2.0), rel=1e-14)
    assert cr.grad(fixed_point_sqrt)(a) == pytest.approx(0.5 / math.sqrt(2.0), rel=1e-12)
    second = cr.grad(cr.grad(fixed_point_sqrt))(a)
    assert second == pytest.approx(-0.25 * 2.0**-1.5, rel=1e-10)
    assert second == pytest.approx(-0.0884, abs=1e-4)
    assert second == pytest.approx(central_derivative(cr.grad(fixed_point_sqrt), a), rel=1e-7)
    assert cr.hessian(fixed_point_sqrt)(a) == pytest.approx(second, rel=1e-12)


def test_a_vector_fixed_point_has_the_implicit_jacobian_in_both_modes_and_to_order_two():
    contraction = np.array([[0.2, 0.05], [0.1, 0.1]])

    def affine_step(b):
        return lambda x: contraction @ x + b

    def solve(b):
        return fixed_point(affine_step, b, np.zeros(2), lambda x, y: np.max(np.abs(x - y)),
                           1e-12)

    b = np.array([1.0, 2.0])
    inverse = np.linalg.inv(np.eye(2) - contraction)
    np.testing.assert_allclose(solve(b), inverse @ b, rtol=1e-12)
    for mode in ("rev", "fwd"):
        np.testing.assert_allclose(cr.jacobian(solve, mode=mode)(b), inverse, rtol=1e-10)
    cr.check_grads(lambda b: np.sin(solve(b)), (b,), order=2)


def test_a_zero_dimensional_tensor_holds_a_zero_dimensional_array():
    total = np.sum(cr.Tensor(np.ones(3)))
    assert isinstance(total.data, np.ndarray) and total.data.shape == ()
    assert np.asarray(total).shape == ()
    for made in (cr.Tensor(np.ones(3)).mean(), cr.Tensor(np.ones(3)).max(),
                 cr.Tensor(np.ones((2, 2)))[0, 1], np.linalg.norm(cr.Tensor(np.ones(3)))):
        assert isinstance(made.data, np.ndarray), type(made.data)

    @cr.custom_gradient
    def filled(x):
        ans = np.sum(x)
        return ans, lambda dy: np.full(x.shape, dy)

    np.testing.assert_array_equal(cr.grad(filled)(np.ones(3)), np.ones(3))


def test_the_tutorial_forward_with_math_log_still_runs_and_its_second_order_is_refused():
    from test_tutorial import cross_entropy, tutorial_output

    y, y_ = tutorial_output()
    assert cr.gradients_function(cross_entropy)(y, y_)[0][2] == pytest.approx(-3.2258064516)
    with pytest.raises(cr.GradientError, match="cross_entropy"):
        cr.hessian(cross_entropy)(y, y_)


def test_grad_fn_on_raw_numpy_refuses_second_order_instead_of_giving_zero():
    @cr.custom_gradient
    def square(x):
        def grad_fn(dy):
            out = np.zeros(x.shape)
            out[...] = 2 * x * dy
            return out

        return x * x, grad_fn

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.grad(lambda x: square(x).sum())(x), 2 * x)
    with pytest.raises(cr.GradientError, match="square.*grad_fn cannot be differentiated"):
        cr.hessian(lambda x: square(x).sum())(x)


class TestMisuse:
    def test_a_function_that_does_not_return_a_pair_is_named(self):
        @cr.custom_gradient
        def bare(x):
            return x * 2

        with pytest.raises(cr.GradientError, match=r"bare.*\(value, grad_fn\)"):
            cr.grad(lambda x: bare(x).sum())(np.ones(2))

    def test_a_gradient_of_the_wrong_shape_names_the_input_and_both_shapes(self):
        @cr.custom_gradient
        def shrink(x, y):
            return (x * y).sum(), lambda dy: (dy * y, np.ones(4))

        with pytest.raises(cr.GradientError, match=r"shrink.*\(4,\).*input 1.*\(3,\)"):
            cr.grad(shrink, (0, 1))(np.ones(3), np.ones(3))

    def test_extra_gradients_are_refused(self):
        @cr.custom_gradient
        def one_input(x):
            return x.sum(), lambda dy: (dy * np.ones(3), dy)

        with pytest.raises(cr.GradientError, match="one_input.*2 gradients for 1"):
            cr.grad(one_input)(np.ones(3))

    def test_a_gradient_the_input_broadcasts_to_is_summed_back_as_in_pytorch(self):
        @cr.custom_gradient
        def add_bias(x, b):
            return x + b, lambda dy: (dy, dy)

        gb = cr.grad(lambda x, b: add_bias(x, b).sum(), 1)(np.ones((4, 3)), np.zeros(3))
        np.testing.assert_array_equal(gb, [4.0, 4.0, 4.0])

    def test_a_differentiated_tensor_in_a_keyword_argument_is_refused(self):
        @cr.custom_gradient
        def scaled(x, scale=1.0):
            return x * scale, lambda dy: dy * scale

        assert cr.grad(lambda x: scaled(x, scale=3.0))(2.0) == 3.0
        with pytest.raises(cr.GradientError, match="scaled.*keyword argument 'scale'"):
            cr.grad(lambda s: scaled(2.0, scale=s))(3.0)

    def test_a_forward_that_draws_new_random_numbers_is_refused_at_second_order(self):
        rng = np.random.default_rng(0)

        @cr.custom_gradient
        def noisy_dropout(x):
            mask = rng.random(x.shape) > 0.5
            return x * mask, lambda dy: dy * mask

        x = np.ones(64)
        cr.grad(lambda x: noisy_dropout(x).sum())(x)
        with pytest.raises(cr.GradientError, match="noisy_dropout.*different value"):
            cr.jvp(noisy_dropout, (x,), (x,))

    def test_a_value_that_is_not_one_array_is_refused(self):
        @cr.custom_gradient
        def pair(x):
            return (x, x), lambda dy: dy

        with pytest.raises(cr.GradientError, match="pair.*one array"):
            cr.grad(lambda x: pair(x)[0])(1.0)
