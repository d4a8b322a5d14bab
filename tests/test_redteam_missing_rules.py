"""No silent zero: a gradient into an input without a rule raises; predicates just run."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.extend import MissingDerivativeError, defvjp, primitive


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_a_primitive_without_a_vjp_refuses_grad_naming_it_and_its_argument():
    doubled = primitive(lambda x: 2.0 * x, name="doubled")
    with pytest.raises(MissingDerivativeError, match=r"doubled: no VJP .* argument 0.*defvjp"):
        cr.grad(doubled)(1.0)


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: cr.grad(f)(1.0),
        lambda f: cr.jvp(f, (1.0,), (1.0,)),
        lambda f: cr.jacobian(f, mode="fwd")(np.array([1.0, 2.0])),
        lambda f: cr.jacobian(f)(np.array([1.0, 2.0])),
        lambda f: cr.vjp(f, 1.0)[1](1.0),
    ],
    ids=["grad", "jvp", "jacobian_fwd", "jacobian_rev", "vjp"],
)
def test_every_transformation_refuses_a_missing_vjp_as_not_implemented(transform):
    doubled = primitive(lambda x: 2.0 * x, name="doubled")
    with pytest.raises(NotImplementedError, match="doubled"):
        transform(doubled)


def test_tensor_backward_refuses_a_missing_vjp_and_leaves_grad_untouched():
    doubled = primitive(lambda x: 2.0 * x, name="doubled")
    t = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (doubled(t) + t).sum()
    with pytest.raises(MissingDerivativeError):
        loss.backward()
    assert t.grad is None


def test_a_missing_vjp_on_a_path_the_gradient_does_not_take_is_no_error():
    doubled = primitive(lambda x: 2.0 * x, name="doubled")

    def loss(x):
        doubled(x)
        return (x**2).sum()

    x = np.array([1.0, -3.0])
    np.testing.assert_allclose(cr.grad(loss)(x), 2 * x)


def test_defvjp_none_declares_an_input_not_differentiable():
    @primitive
    def shifted(x, offset):
        return x + offset

    defvjp(shifted, lambda g, ans, x, offset: g, None)
    x, offset = np.array([1.0, 2.0]), np.array([0.5, 0.5])
    gx, goffset = cr.grad(lambda x, o: shifted(x, o).sum(), (0, 1))(x, offset)
    np.testing.assert_array_equal(gx, np.ones(2))
    np.testing.assert_array_equal(goffset, np.zeros(2))


def test_a_later_defvjp_replaces_a_declared_constant():
    @primitive
    def shifted(x, offset):
        return x + offset

    defvjp(shifted, lambda g, ans, x, offset: g, None)
    defvjp(shifted, lambda g, ans, x, offset: 3 * g, argnums=(1,))
    assert cr.grad(lambda o: shifted(1.0, o))(0.0) == 3.0


@pytest.mark.parametrize("z", [2.0, 2.0 + 1.0j])
def test_complex_predicates_run_inside_grad(z):
    def f(x):
        return np.real(x**2 if np.iscomplex(x) else np.sum(x))

    # autograd's and JAX's convention: df/dx - i df/dy of Re(z^2) = x^2 - y^2 is 2z.
    expected = 2 * z if np.iscomplex(z) else 1.0
    np.testing.assert_allclose(cr.grad(f)(z), expected)


def test_value_predicates_and_piecewise_constants_are_constants():
    x = np.array([1.5, -2.5, 3.0])

    def f(x):
        kept = np.isreal(x) & ~np.isposinf(x) & ~np.isneginf(x)
        return (np.where(kept, x, 0.0) * np.fix(x)).sum() + np.argpartition(x, 1)[0]

    np.testing.assert_allclose(cr.grad(f)(x), np.fix(x))


@pytest.mark.parametrize(
    "bounds",
    [(0.5, 2.5), (2.0, 1.5), (-1.0, 0.0), (3.5, 4.0)],
    ids=["inside", "lower_above_upper", "all_above", "all_below"],
)
def test_clip_is_differentiable_in_both_bounds_as_numpy_computes_it(bounds):
    x = np.array([0.3, 1.0, 2.2, 3.1])
    lower, upper = bounds
    glow, gup = cr.grad(lambda lo, hi: np.clip(x, lo, hi).sum(), (0, 1))(lower, upper)
    np.testing.assert_allclose(
        glow, central_difference(lambda lo: np.clip(x, lo, upper).sum(), lower), atol=1e-6
    )
    np.testing.assert_allclose(
        gup, central_difference(lambda hi: np.clip(x, lower, hi).sum(), upper), atol=1e-6
    )


def test_clip_bounds_that_broadcast_x_to_a_larger_shape():
    x, centre = np.array([[0.2], [-0.9]]), np.array([0.0, 0.5, -1.0])
    gx, gc = cr.grad(lambda x, c: np.clip(x, c - 0.5, c + 0.5).sum(), (0, 1))(x, centre)
    inside = (x >= centre - 0.5) & (x <= centre + 0.5)
    np.testing.assert_array_equal(gx, inside.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(gc, (~inside).sum(axis=0))
