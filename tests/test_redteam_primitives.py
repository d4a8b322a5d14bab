"""Primitives whose arguments are tuples, lists or dicts of Tensors, and primitives whose
forward runs a transformation itself (autograd's fixed_point): exact to second order."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.extend import defvjp, primitive


@primitive
def fixed_point(f, a, x0, distance, tol):
    """The fixed point of f(a), iterated from x0 (autograd's misc.fixed_points, verbatim)."""
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


def _fixed_point_vjp(g, ans, f, a, x0, distance, tol):
    def reverse_step(params):
        a, x_star, x_star_bar = params
        vjp_x = cr.vjp(f(a), x_star)[1]
        return lambda g: vjp_x(g)[0] + x_star_bar

    vjp_a = cr.vjp(lambda a, x: f(a)(x), a, ans)[1]
    w = fixed_point(reverse_step, (a, ans, g), np.zeros_like(x0), distance, tol)
    return vjp_a(w)[0]


defvjp(fixed_point, None, _fixed_point_vjp, None)


def descent_sqrt_step(a):
    return lambda x: x - 0.05 * (x**2 - a)


def fixed_point_sqrt(a):
    return fixed_point(descent_sqrt_step, a, 10.0, lambda x, y: np.abs(x - y), 1e-12)


@primitive
def fixed_point_closing_over_answer(f, a, x0, distance, tol):
    """fixed_point again, with autograd's VJP as written: vjp in `a` only, `ans` closed over."""
    return fixed_point.forward(f, a, x0, distance, tol)


def _closing_vjp(g, ans, f, a, x0, distance, tol):
    def reverse_step(params):
        a, x_star, x_star_bar = params
        vjp_x = cr.vjp(f(a), x_star)[1]
        return lambda g: vjp_x(g)[0] + x_star_bar

    vjp_a = cr.vjp(lambda a: f(a)(ans), a)[1]
    w = fixed_point_closing_over_answer(
        reverse_step, (a, ans, g), np.zeros_like(x0), distance, tol
    )
    return vjp_a(w)[0]


defvjp(fixed_point_closing_over_answer, None, _closing_vjp, None)


def test_a_fixed_point_vjp_that_closes_over_its_answer_has_a_second_derivative():
    def sqrt(a):
        return fixed_point_closing_over_answer(
            descent_sqrt_step, a, 10.0, lambda x, y: np.abs(x - y), 1e-12
        )

    np.testing.assert_allclose(cr.grad(sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-8)
    np.testing.assert_allclose(cr.grad(cr.grad(sqrt))(2.0), -0.25 * 2.0**-1.5, rtol=1e-6)


def test_an_inner_pass_runs_no_vjp_off_the_path_to_its_inputs():
    calls = []

    @primitive
    def doubled(w):
        return 2.0 * w

    defvjp(doubled, lambda g, ans, w: (calls.append(w), 2.0 * g)[1])

    def outer(w):
        c = doubled(w)
        inner = cr.grad(lambda x: (c * x**2).sum())(np.array([1.0, 3.0]))
        return (inner * w).sum()

    w = np.array([0.5, -1.0])
    # d/dw sum(2 * 2w * x * w) = 8 w x
    np.testing.assert_allclose(cr.grad(outer)(w), 8 * w * np.array([1.0, 3.0]))
    assert len(calls) == 1


def test_a_fixed_point_primitive_has_exact_first_and_second_derivatives():
    a = 2.0
    np.testing.assert_allclose(fixed_point_sqrt(a), np.sqrt(a), rtol=1e-9)
    np.testing.assert_allclose(cr.grad(fixed_point_sqrt)(a), 0.5 / np.sqrt(a), rtol=1e-8)
    np.testing.assert_allclose(
        cr.grad(cr.grad(fixed_point_sqrt))(a), -0.25 * a**-1.5, rtol=1e-6
    )
    np.testing.assert_allclose(
        cr.jvp(fixed_point_sqrt, (a,), (1.0,))[1], 0.5 / np.sqrt(a), rtol=1e-8
    )


@primitive
def weighted_pair(pair, scale):
    """scale * (first * second) for a pair (tuple) of arrays."""
    first, second = pair
    return scale * first * second


defvjp(
    weighted_pair,
    lambda g, ans, pair, scale: (g * scale * pair[1], g * scale * pair[0]),
    lambda g, ans, pair, scale: g * pair[0] * pair[1],
)


def test_tensors_inside_a_tuple_argument_get_their_gradients_to_second_order():
    x, y = np.array([0.5, -1.5]), np.array([2.0, 3.0])
    gx, gy = cr.grad(lambda x, y: weighted_pair((x, y), 3.0).sum(), (0, 1))(x, y)
    np.testing.assert_allclose(gx, 3.0 * y)
    np.testing.assert_allclose(gy, 3.0 * x)
    cr.check_grads(lambda x, y: weighted_pair((x, y), 3.0), (x, y), order=2,
                   modes=("rev", "fwd"))


def test_one_tensor_twice_in_a_tuple_gets_both_contributions():
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(cr.grad(lambda x: weighted_pair((x, x), 2.0).sum())(x), 4.0 * x)


def test_a_none_item_in_a_container_cotangent_means_zero():
    @primitive
    def first_of(pair):
        return pair[0] * 1.0

    defvjp(first_of, lambda g, ans, pair: (g, None))
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = cr.grad(lambda x, y: first_of([x, y]).sum(), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, np.ones(2))
    np.testing.assert_array_equal(gy, np.zeros(2))


def test_a_container_cotangent_of_another_structure_is_refused():
    @primitive
    def first_of(pair):
        return pair[0] * 1.0

    defvjp(first_of, lambda g, ans, pair: g)
    with pytest.raises(cr.GradientError, match="first_of: argument 0 is a tuple"):
        cr.grad(lambda x: first_of((x, x)).sum())(np.ones(2))


def test_a_tensor_inside_a_dict_argument_without_a_rule_is_not_a_silent_zero():
    @primitive
    def scaled(params):
        return params["w"] * 2.0

    with pytest.raises(NotImplementedError, match="scaled"):
        cr.grad(lambda w: scaled({"w": w}).sum())(np.ones(2))


def test_a_forward_that_uses_a_tensor_it_closes_over_is_refused():
    def loss(w):
        @primitive
        def shifted(x):
            return x + w

        defvjp(shifted, lambda g, ans, x: g)
        return shifted(np.ones(2)).sum() + w.sum()

    with pytest.raises(cr.GradientError, match="shifted: its forward returned a Tensor"):
        cr.grad(loss)(np.ones(2))
