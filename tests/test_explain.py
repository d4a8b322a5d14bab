"""The explainer: each stage's Jacobian, the chained product, reverse mode and finite
differences agree, in float64, for the tutorial's MLP and for random compositions of ops."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.explain import (
    TUTORIAL_LABEL,
    TUTORIAL_Y,
    Stage,
    activation,
    cross_entropy,
    dense,
    derivation,
    explain,
    model_layers,
    network_stages,
    softmax,
    with_output,
)
from chainrule.nn import MLP

PRODUCT_TOLERANCE = 1e-10
FD_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def mlp():
    """A float64 784-512-10 MLP, its stages at one input of class 3, and the explanation."""
    model = MLP(sizes=(784, 512, 10), rng=np.random.default_rng(1), dtype=np.float64)
    dense_layers, activations = model_layers(model)
    x = np.random.default_rng(2).uniform(0, 1, 784)
    stages = network_stages(dense_layers, activations, label=3)
    return model, x, stages, explain(stages, x)


def test_chained_product_equals_reverse_mode_for_the_mlp(mlp):
    _, _, _, explanation = mlp
    assert set(explanation.checks) == {"x", "W1", "b1", "W2", "b2"}
    for check in explanation.checks.values():
        assert check.product_vs_reverse.largest < PRODUCT_TOLERANCE, check.wrt


def test_mlp_gradients_match_finite_differences(mlp):
    _, _, _, explanation = mlp
    for check in explanation.checks.values():
        assert check.reverse_vs_numeric.entries > 0
        assert check.reverse_vs_numeric.largest < FD_TOLERANCE, check.wrt
        assert check.product_vs_numeric.largest < FD_TOLERANCE, check.wrt


def test_each_mlp_stage_jacobian_matches_finite_differences(mlp):
    _, _, _, explanation = mlp
    checked = [(stage.label(wrt), difference) for stage in explanation.stages
               for wrt, difference in stage.jacobian_checks.items()]
    assert {label for label, _ in checked} == {
        "dz1/dx", "dz1/db1", "da1/dz1", "dz2/da1", "dz2/dW2", "dz2/db2", "dy/dz2", "dC/dy"}
    for label, difference in checked:
        assert difference.largest < FD_TOLERANCE, label


def test_mlp_explanation_matches_the_models_own_gradient(mlp):
    model, x, _, explanation = mlp

    def loss(weight):
        hidden = cr.relu(model.layers[0].weight.data @ x + model.layers[0].bias.data)
        probabilities = cr.softmax(weight @ hidden + model.layers[2].bias.data)
        return -cr.log(probabilities[3])

    expected = cr.grad(loss)(model.layers[2].weight.data)
    np.testing.assert_allclose(explanation.gradient("W2")[0], expected, atol=1e-12)


def test_jacobians_have_the_tutorials_shapes(mlp):
    _, _, _, explanation = mlp
    assert explanation.jacobian("C", "y").shape == (1, 10)
    assert explanation.jacobian("y", "z2").shape == (10, 10)
    assert explanation.jacobian("z2", "W2").shape == (10, 10, 512)
    assert explanation.gradient("W2").shape == (1, 10, 512)
    assert explanation.jacobian("z1", "W1") is None  # 2e8 entries: only its product is formed
    assert explanation.gradient("W1").shape == (1, 512, 784)


def test_mlp_jacobians_have_their_closed_forms(mlp):
    _, _, _, explanation = mlp
    y = explanation.stage("y").output
    hidden = explanation.stage("a1").output
    onehot = np.eye(10)[3]
    expected_dc_dy = np.zeros((1, 10))
    expected_dc_dy[0, 3] = -1 / y[3]
    np.testing.assert_allclose(explanation.jacobian("C", "y"), expected_dc_dy, rtol=1e-14)
    np.testing.assert_allclose(explanation.jacobian("y", "z2"), np.diag(y) - np.outer(y, y),
                               atol=1e-15)
    np.testing.assert_array_equal(explanation.jacobian("z2", "W2"),
                                  np.eye(10)[:, :, None] * hidden)
    np.testing.assert_allclose(explanation.stage("y").chain[0], y - onehot, atol=1e-15)
    np.testing.assert_allclose(explanation.gradient("W2")[0], np.outer(y - onehot, hidden),
                               atol=1e-15)


def test_tutorial_example_gives_the_tutorials_numbers():
    model = MLP(sizes=(784, 512, 10), rng=np.random.default_rng(0))
    dense_layers, activations = model_layers(model)
    x = np.random.default_rng(0).uniform(0, 1, 784)
    dense_layers = with_output(dense_layers, activations, x, TUTORIAL_Y)
    explanation = explain(network_stages(dense_layers, activations, TUTORIAL_LABEL), x)
    report = derivation(explanation, TUTORIAL_LABEL)
    np.testing.assert_allclose(report["y"], TUTORIAL_Y, atol=1e-12)
    assert report["C"] == pytest.approx(1.17118, abs=5e-6)
    assert report["dC/dy"]["at_label"] == pytest.approx(-3.22581, abs=5e-6)
    assert report["dC/dy"]["nonzero"] == [2]
    softmax_jacobian = report["dy/dz2"]
    for key in ("symmetric", "row_sums", "diagonal_minus_y(1-y)",
                "off_diagonal_minus_(-y_i y_j)"):
        assert softmax_jacobian[key] < 1e-15, key
    np.testing.assert_allclose(report["dC/dz2"]["shortcut"],
                               [.01, .11, -.69, .11, .21, .01, .01, .01, .21, .01], atol=1e-12)
    assert report["dz2/dW2"]["rule_max_difference"] == 0


def _sine(x):
    return np.sin(x)


def _random_stage(rng, shape, position):
    """One random op on a value of `shape`: (stage, output shape)."""
    choice = rng.integers(7) if len(shape) == 1 else rng.integers(4)
    if choice == 0:
        return _sine, shape
    if choice == 1:
        scale = rng.normal(size=shape)
        return Stage("scaled tanh", lambda v, s: np.tanh(v * s), {f"s{position}": scale},
                     f"h{position}", "{output} = tanh({input} * s)"), shape
    if choice == 2:
        return Stage("exp(-v^2/2) + v", lambda v: np.exp(-v * v / 2) + v, {}, f"h{position}",
                     "{output} = exp(-{input}^2 / 2) + {input}"), shape
    if choice == 3:
        return Stage("reshape", lambda v: v.reshape(-1), {}, f"h{position}",
                     "{output} = ravel({input})"), (int(np.prod(shape)),)
    if choice == 4:
        out = int(rng.integers(2, 6))
        return dense(rng.normal(size=(out, shape[0])), rng.normal(size=out),
                     names=(f"W{position}", f"b{position}"), output=f"h{position}"), (out,)
    if choice == 5:
        return softmax(output=f"h{position}"), shape
    rows = int(rng.integers(2, 4))
    return Stage("outer", lambda v, u: u[:, None] * v[None, :] ** 2, {f"u{position}":
                 rng.normal(size=rows)}, f"h{position}", "{output} = u {input}^2ᵀ"), \
        (rows, shape[0])


@pytest.mark.parametrize("seed", range(6))
def test_chained_product_equals_reverse_mode_for_random_compositions(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 5)),) if seed % 2 else (2, 3)
    x = rng.normal(size=shape)
    stages = []
    for position in range(1, 6):
        stage, shape = _random_stage(rng, shape, position)
        stages.append(stage)
    stages.append(Stage("sum of squares", lambda v: (v * v).sum(), {}, "f",
                        "{output} = |{input}|²"))
    explanation = explain(stages, x, fd_entries=1000)
    for check in explanation.checks.values():
        assert check.product_vs_reverse.largest < PRODUCT_TOLERANCE, check.wrt
        assert check.reverse_vs_numeric.largest < FD_TOLERANCE, check.wrt
        assert check.reverse_vs_numeric.entries == np.prod(check.shape)
    for stage in explanation.stages:
        for wrt, difference in stage.jacobian_checks.items():
            assert difference.largest < FD_TOLERANCE, stage.label(wrt)
            assert difference.entries == stage.jacobians[wrt].size


def test_vector_valued_chain_keeps_one_row_per_output():
    weight = np.arange(6.0).reshape(2, 3) / 5
    explanation = explain([dense(weight, np.ones(2)), np.tanh], np.array([0.1, -0.2, 0.3]))
    assert explanation.gradient("x").shape == (2, 3)
    assert explanation.gradient("W").shape == (2, 2, 3)
    np.testing.assert_allclose(explanation.gradient("x"),
                               cr.jacobian(lambda x: np.tanh(weight @ x + 1))(
                                   np.array([0.1, -0.2, 0.3])), atol=1e-15)


def test_plain_callables_are_stages_named_h1_h2():
    explanation = explain([np.sin, np.exp, np.sum], np.array([0.5, 1.0]))
    assert [s.output_symbol for s in explanation.stages] == ["h1", "h2", "h3"]
    assert explanation.stages[0].equation == "h1 = sin(x)"
    expected = np.cos([0.5, 1.0]) * np.exp(np.sin([0.5, 1.0]))
    np.testing.assert_allclose(explanation.gradient("x")[0], expected, rtol=1e-14)


@cr.custom_gradient
def _clipped_identity(x):
    """Identity forward, gradient clipped to [-1, 1] backward (a straight-through clip)."""
    return x, lambda g: np.clip(g, -1.0, 1.0)


@cr.custom_gradient
def _cube(x):
    return x**3, lambda g: g * 3 * x**2


def test_custom_gradient_stages_are_explained_through_their_grad_fn():
    x = np.array([0.3, -0.7, 1.1])
    explanation = explain([_cube, lambda h: (2 * h).sum()], x)
    np.testing.assert_allclose(explanation.jacobian("h1", "x"), np.diag(3 * x**2), rtol=1e-14)
    assert explanation.checks["x"].product_vs_reverse.largest < PRODUCT_TOLERANCE
    assert explanation.checks["x"].reverse_vs_numeric.largest < FD_TOLERANCE


def test_a_custom_gradient_that_is_not_linear_in_the_cotangent_shows_up_in_the_checks():
    # Row by row (one-hot cotangents) the clip changes nothing, so the stage's Jacobian is
    # the identity; the cotangent 3 of the whole chain is clipped to 1 by reverse mode.
    explanation = explain([_clipped_identity, lambda v: 3 * v, np.sum], np.array([0.5, -2.0]))
    check = explanation.checks["x"]
    assert explanation.stages[0].jacobian_checks["x"].largest < FD_TOLERANCE
    assert check.product_vs_numeric.largest < FD_TOLERANCE
    assert check.product_vs_reverse.largest == pytest.approx(2.0)
    assert check.reverse_vs_numeric.largest == pytest.approx(2.0)


def test_jacobians_too_large_to_build_are_pulled_back_by_a_vjp():
    rng = np.random.default_rng(3)
    stages = [dense(rng.normal(size=(4, 5)), rng.normal(size=4)), np.tanh, np.sum]
    small = explain(stages, rng.normal(size=5), max_jacobian_entries=10)
    assert small.jacobian("z", "W") is None
    assert small.checks["W"].product_vs_reverse.largest < PRODUCT_TOLERANCE
    assert small.checks["W"].reverse_vs_numeric.largest < FD_TOLERANCE


def test_one_symbol_for_two_values_is_refused():
    with pytest.raises(ValueError, match="W, b, z"):
        explain([dense(np.eye(2), np.zeros(2)), dense(np.eye(2), np.zeros(2))], np.ones(2))


def test_stages_named_like_the_tutorial_print_its_equations(mlp):
    _, _, stages, explanation = mlp
    assert [s.equation for s in explanation.stages] == [
        "z1 = W1 x + b1", "a1 = relu(z1)", "z2 = W2 a1 + b2", "y = softmax(z2)", "C = -ln y_3"]
    assert [type(s) for s in stages] == [Stage] * 5


def test_explaining_a_sub_chain_starts_at_its_own_input():
    rng = np.random.default_rng(4)
    hidden = rng.uniform(0, 1, 8)
    explanation = explain([dense(rng.normal(size=(3, 8)), np.zeros(3), ("W2", "b2"), "z2"),
                           softmax(), cross_entropy(1)], hidden, input_symbol="a1")
    assert explanation.stages[0].equation == "z2 = W2 a1 + b2"
    assert explanation.gradient("a1").shape == (1, 8)
    assert activation("tanh").equation("z", "a") == "a = tanh(z)"


def test_the_tutorials_own_custom_gradient_cross_entropy_is_a_stage():
    from test_tutorial import cross_entropy as tutorial_cross_entropy  # as the tutorial has it

    onehot = np.eye(10)[TUTORIAL_LABEL]
    z2 = np.log(TUTORIAL_Y)
    ours = explain([softmax(), cross_entropy(TUTORIAL_LABEL)], z2, input_symbol="z2")
    theirs = explain([softmax(), Stage("cross_entropy", lambda y: tutorial_cross_entropy(
        y, onehot), {}, "C", "{output} = -ln {input}_r")], z2, input_symbol="z2")
    assert float(theirs.value) == pytest.approx(1.1711829815, abs=1e-10)
    np.testing.assert_allclose(theirs.jacobian("C", "y"), ours.jacobian("C", "y"), rtol=1e-15)
    np.testing.assert_allclose(theirs.gradient("z2"), ours.gradient("z2"), rtol=1e-14)
    assert theirs.checks["z2"].reverse_vs_numeric.largest < FD_TOLERANCE
