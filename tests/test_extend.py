"""chainrule.extend: a new op is defined, differentiated and dispatched from one place."""

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.extend import (
    MissingDerivativeError,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    primitive,
    register_numpy,
)
from chainrule.ops import numpy_dispatch

RNG = np.random.default_rng(6)


@pytest.fixture
def dispatch_tables():
    """Leave NumPy dispatch as it was: the tests below register functions of their own."""
    tables = [
        numpy_dispatch.UFUNCS,
        numpy_dispatch.FUNCTIONS,
        numpy_dispatch.NON_DIFFERENTIABLE_UFUNCS,
        numpy_dispatch.NON_DIFFERENTIABLE_FUNCTIONS,
    ]
    saved = [table.copy() for table in tables]
    yield
    for table, copy in zip(tables, saved):
        table.clear()
        table.update(copy)


def test_one_definition_gives_value_gradients_to_any_order_and_numpy_dispatch(dispatch_tables):
    @primitive(numpy=np.cbrt)
    def cbrt(x):
        return np.cbrt(x)

    @cbrt.defvjp
    def _(g, ans, x):
        return g / (3 * ans * ans)

    x = RNG.uniform(0.5, 2.0, size=(2, 3))
    assert isinstance(np.cbrt(cr.Tensor(x)), cr.Tensor)
    np.testing.assert_allclose(cr.grad(lambda x: np.cbrt(x).sum())(x), x ** (-2 / 3) / 3)
    cr.check_grads(np.cbrt, (x,), order=2, modes=("rev", "fwd"))
    assert cr.grad(lambda x: np.cbrt(x).sum())(x.astype(np.float32)).dtype == np.float32


def test_defvjp_by_argument_number_refuses_a_gradient_into_an_input_without_one():
    @primitive
    def scaled(x, y):
        return x * y

    defvjp(scaled, lambda g, ans, x, y: g * y, argnums=(0,))
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    np.testing.assert_allclose(cr.grad(lambda x: scaled(x, y).sum())(x), y)
    with pytest.raises(MissingDerivativeError, match="scaled: no VJP .* argument 1"):
        cr.grad(lambda y: scaled(x, y).sum())(y)
    defvjp(scaled, None, argnums=(1,))
    np.testing.assert_array_equal(cr.grad(lambda y: scaled(x, y).sum())(y), np.zeros(3))
    scaled.defvjp(lambda g, ans, x, y: g * x, argnums=(1,))
    cr.check_grads(scaled, (x, y), order=2, modes=("rev", "fwd"))


def test_defvjp_argnum_serves_a_variadic_op_with_broadcasting():
    @primitive
    def total(*arrays):
        return sum(arrays)

    defvjp_argnum(total, lambda argnum, g, ans, *arrays: g)
    a, b, c = RNG.normal(size=(2, 3)), RNG.normal(size=(3,)), RNG.normal(size=(1, 3))
    ga, gb, gc = cr.grad(lambda a, b, c: (total(a, b, c) ** 2).sum(), (0, 1, 2))(a, b, c)
    expected = 2 * (a + b + c)
    np.testing.assert_allclose(ga, expected)
    np.testing.assert_allclose(gb, expected.sum(axis=0))
    np.testing.assert_allclose(gc, expected.sum(axis=0, keepdims=True))


def _product_with_joint_vjp(calls):
    """x * y * z with one VJP for all inputs, which records the argnums it is asked for."""

    @primitive
    def product(x, y, z):
        return x * y * z

    def vjp(argnums, g, ans, x, y, z):
        calls.append(argnums)
        cotangent = {0: g * y * z, 1: g * x * z, 2: g * x * y}
        return [cotangent[i] for i in argnums]

    defvjp_argnums(product, vjp)
    return product


def test_defvjp_argnums_computes_only_the_inputs_a_gradient_reaches_in_one_call():
    calls = []
    product = _product_with_joint_vjp(calls)
    x, y, z = RNG.normal(size=(2, 3)), RNG.normal(size=3), RNG.normal(size=(1, 3))
    gx, gz = cr.grad(lambda x, z: product(x, y, z).sum(), (0, 1))(x, z)
    assert calls == [(0, 2)]
    np.testing.assert_allclose(gx, np.broadcast_to(y * z, (2, 3)))
    np.testing.assert_allclose(gz, (x * y).sum(axis=0, keepdims=True))
    cr.check_grads(product, (x, y, z), order=2, modes=("rev", "fwd"))


def test_defvjp_argnums_with_a_list_argument_and_the_same_tensor_twice():
    @primitive
    def weighted(arrays, w):
        return (arrays[0] + arrays[1]) * w

    weighted.defvjp_argnums(
        lambda argnums, g, ans, arrays, w: [
            [g * w, g * w] if i == 0 else g * (arrays[0] + arrays[1]) for i in argnums
        ]
    )
    x, w = RNG.normal(size=3), RNG.normal(size=3)
    gx, gw = cr.grad(lambda x, w: weighted([x, x], w).sum(), (0, 1))(x, w)
    np.testing.assert_allclose(gx, 2 * w)
    np.testing.assert_allclose(gw, 2 * x)


def test_defvjp_argnums_returning_the_wrong_number_of_cotangents_is_an_error():
    @primitive
    def scaled(x, y):
        return x * y

    scaled.defvjp_argnums(lambda argnums, g, ans, x, y: g * y)
    x, y = cr.Tensor(RNG.normal(size=3), requires_grad=True), RNG.normal(size=3)
    with pytest.raises(cr.GradientError, match=r"scaled: .* list or tuple of 1 cotangents"):
        scaled(x, y).sum().backward()


def test_register_numpy_routes_a_function_built_from_existing_ops(dispatch_tables):
    def fabs(x):
        return np.sqrt(x * x)

    register_numpy(np.fabs, fabs)
    x = np.array([-2.0, 3.0])
    np.testing.assert_allclose(cr.grad(lambda x: np.fabs(x).sum())(x), [-1.0, 1.0])


def test_register_numpy_without_op_marks_a_function_as_having_no_derivative(dispatch_tables):
    with pytest.raises(TypeError, match="numpy.spacing"):
        np.spacing(cr.Tensor([1.0], requires_grad=True))
    register_numpy(np.spacing)
    np.testing.assert_array_equal(np.spacing(cr.Tensor([1.0])), np.spacing([1.0]))


def docs_example(heading):
    """The first Python block under `heading` in docs/core.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "core.md").read_text()
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_docs_example_runs(dispatch_tables):
    namespace = {}
    exec(docs_example("## Adding a primitive: chainrule.extend"), namespace)
    np.testing.assert_allclose(
        cr.grad(lambda x: np.cbrt(x).sum())(namespace["x"]), [1 / 3, 1 / 12]
    )


def test_a_tensor_passed_by_keyword_to_a_primitive_is_refused():
    @primitive
    def shifted(x, offset=0.0):
        return x + offset

    shifted.defvjp(lambda g, ans, x, offset=0.0: g)
    with pytest.raises(cr.GradientError, match="shifted: Tensor passed by keyword"):
        cr.grad(lambda y: shifted(1.0, offset=y))(2.0)


@pytest.mark.parametrize("joint", [False, True])
def test_a_vjp_returning_none_is_an_error_not_a_zero_gradient(joint):
    """A forgotten `return` in a VJP must not become a zero gradient without a word."""

    @primitive
    def scaled(x, y):
        return x * y

    if joint:
        scaled.defvjp_argnums(lambda argnums, g, ans, x, y: [None for _ in argnums])
    else:
        scaled.defvjp(lambda g, ans, x, y: None, lambda g, ans, x, y: None)
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    message = r"scaled: the VJP of argument 0 returned None.*zeros"
    with pytest.raises(cr.GradientError, match=message):
        cr.grad(lambda x: scaled(x, y).sum())(x)
    with pytest.raises(cr.GradientError, match=message):
        cr.hessian(lambda x: scaled(x, y).sum())(x)
    tensor = cr.Tensor(x, requires_grad=True)
    with pytest.raises(cr.GradientError, match=message):
        scaled(tensor, cr.Tensor(y, requires_grad=True)).sum().backward()
