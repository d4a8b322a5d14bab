"""Higher derivatives where a formula is easy to get wrong: zeros, ties, nested modes."""

import itertools

import numpy as np
import pytest

import chainrule as cr


def product_hessian(x):
    """d^2 prod(x) / dx_i dx_j: the product of the other entries, 0 on the diagonal."""
    n = x.size
    hessian = np.zeros((n, n))
    for i, j in itertools.permutations(range(n), 2):
        hessian[i, j] = np.prod(np.delete(x, [i, j]))
    return hessian


@pytest.mark.parametrize(
    "x",
    [[0.5, 2.0, 3.0], [0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [2.0, 0.0, 3.0, 0.0]],
    ids=["no_zero", "one_zero", "two_zeros", "all_zero", "two_of_four"],
)
def test_prod_hessian_is_exact_where_the_input_holds_zeros(x):
    x = np.array(x)
    expected = product_hessian(x)
    np.testing.assert_allclose(cr.hessian(np.prod)(x), expected)
    forward = cr.jacobian(cr.jacobian(np.prod, mode="fwd"), mode="fwd")(x)
    np.testing.assert_allclose(forward, expected)


@pytest.mark.parametrize("axis", [0, 1, None, (0, 1)])
def test_prod_with_zeros_is_exact_to_third_order_along_any_axis(axis):
    x = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]])
    cr.check_grads(lambda x: np.prod(x, axis=axis), (x,), order=3, modes=("rev", "fwd"))


def test_prod_with_zeros_keeps_float32_in_its_hessian():
    x = np.array([0.0, 2.0, 3.0], dtype=np.float32)
    hessian = cr.hessian(np.prod)(x)
    assert hessian.dtype == np.float32
    np.testing.assert_allclose(hessian, product_hessian(x.astype(np.float64)))


def test_check_grads_takes_nested_arguments_and_outputs_and_catches_a_wrong_rule():
    from chainrule.extend import defvjp, primitive

    @primitive
    def wrong_square(x):
        return x * x

    defvjp(wrong_square, lambda g, ans, x: g * x)  # should be 2 g x

    def model(params):
        return {"a": np.sin(params["w"]) * params["b"][0], "b": (params["b"][1] ** 2,)}

    params = {"w": np.array([0.3, 0.7]), "b": [np.array(1.5), np.array([2.0, -1.0])]}
    cr.check_grads(model, (params,), order=2, modes=("rev", "fwd"))
    with pytest.raises(AssertionError, match="check_grads"):
        cr.check_grads(lambda p: wrong_square(p["w"]), ({"w": params["w"]},))
