"""nn.functional: the fused linear op, cross-entropy and the other losses, against ground truth."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import ShapeError
from chainrule.nn import functional as F
from strict_array import to_host, to_strict, use_strict_device

RNG = np.random.default_rng(0)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("x_shape", [(4, 3), (3,), (2, 4, 3)])
def test_linear_gradients_match_finite_differences(x_shape):
    x, w, b = RNG.normal(size=x_shape), RNG.normal(size=(2, 3)), RNG.normal(size=2)
    cr.check_grads(lambda x, w, b: F.linear(x, w, b), (x, w, b))


def test_linear_second_derivatives_match_finite_differences():
    x, w, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3)), RNG.normal(size=2)
    cr.check_grads(lambda x, w, b: np.tanh(F.linear(x, w, b)).sum(), (x, w, b), order=2)


def test_linear_without_bias_is_x_times_w_transposed():
    x, w = RNG.normal(size=(4, 3)), RNG.normal(size=(2, 3))
    np.testing.assert_allclose(F.linear(x, w), x @ w.T)


def test_linear_keeps_float32_and_gives_gradients_in_the_weights_layout():
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    w = cr.Tensor(RNG.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    b = cr.Tensor(np.zeros(2, np.float32), requires_grad=True)
    F.linear(x, w, b).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.flags.c_contiguous
    np.testing.assert_allclose(w.grad, np.ones((5, 2)).T @ x, rtol=1e-6)
    np.testing.assert_allclose(b.grad, [5, 5])


def test_cross_entropy_is_minus_log_softmax_at_the_label():
    logits, labels = RNG.normal(size=(6, 4)), RNG.integers(0, 4, 6)
    rows = -np.log(_softmax(logits)[np.arange(6), labels])
    np.testing.assert_allclose(F.cross_entropy(logits, labels, reduction="none"), rows)
    np.testing.assert_allclose(F.cross_entropy(logits, labels), rows.mean())
    np.testing.assert_allclose(F.cross_entropy(logits, labels, reduction="sum"), rows.sum())


def test_cross_entropy_gradient_is_softmax_minus_target():
    logits, labels = RNG.normal(size=(5, 3)), RNG.integers(0, 3, 5)
    gradient = cr.grad(lambda z: F.cross_entropy(z, labels))(logits)
    np.testing.assert_allclose(gradient, (_softmax(logits) - np.eye(3)[labels]) / 5, atol=1e-15)


def test_cross_entropy_gradients_match_finite_differences_for_probability_targets():
    logits, target = RNG.normal(size=(3, 4)), _softmax(RNG.normal(size=(3, 4)))
    cr.check_grads(lambda z, t: F.cross_entropy(z, t, reduction="none"), (logits, target))


def test_cross_entropy_second_derivative_is_the_softmax_jacobian():
    z = RNG.normal(size=4)
    y = _softmax(z)
    hessian = cr.hessian(lambda z: F.cross_entropy(z, np.array(2)))(z)
    np.testing.assert_allclose(hessian, np.diag(y) - np.outer(y, y), atol=1e-14)


def test_cross_entropy_takes_one_hot_rows_like_labels():
    logits, labels = RNG.normal(size=(4, 5)), np.array([0, 4, 2, 2])
    np.testing.assert_allclose(F.cross_entropy(logits, np.eye(5)[labels]),
                               F.cross_entropy(logits, labels))


def test_label_smoothing_mixes_the_uniform_distribution_into_the_target():
    logits, labels = RNG.normal(size=(4, 5)), np.array([0, 4, 2, 2])
    target = 0.9 * np.eye(5)[labels] + 0.1 / 5
    np.testing.assert_allclose(F.cross_entropy(logits, labels, label_smoothing=0.1),
                               F.cross_entropy(logits, target))


def test_cross_entropy_is_finite_where_softmax_underflows():
    logits = cr.Tensor(np.array([[1000.0, 0.0, -1000.0]], np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([2]))
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    np.testing.assert_allclose(logits.grad, [[1, 0, -1]])


def test_cross_entropy_keeps_float32():
    logits = cr.Tensor(RNG.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1, 2]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


@pytest.mark.parametrize("target, message", [
    (np.array([0, 1]), r"labels of shape \(2,\) do not fit scores of shape \(3, 4\)"),
    (np.array([0, 1, 4]), r"labels must be in 0..3, got values from 0 to 4"),
    (np.zeros((3, 5)), r"target of shape \(3, 5\) does not fit scores of shape \(3, 4\)"),
])
def test_cross_entropy_names_targets_that_do_not_fit(target, message):
    with pytest.raises(ShapeError, match=message):
        F.cross_entropy(np.zeros((3, 4)), target)


def test_cross_entropy_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none"):
        F.cross_entropy(np.zeros((1, 2)), np.array([0]), reduction="max")


def test_nll_loss_after_log_softmax_equals_cross_entropy():
    logits, labels = RNG.normal(size=(4, 3)), np.array([2, 0, 1, 1])
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(logits), labels),
                               F.cross_entropy(logits, labels))


def test_mse_loss_averages_squared_errors_and_checks_shapes():
    prediction, target = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 0.0], [0.0, 5.0]])
    assert F.mse_loss(prediction, target) == pytest.approx(13 / 4)
    assert F.mse_loss(prediction, target, reduction="sum") == pytest.approx(13)
    with pytest.raises(ShapeError, match="differ"):
        F.mse_loss(prediction, target[0])


def test_accuracy_counts_rows_whose_top_score_is_the_target():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert F.accuracy(scores, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert F.accuracy(cr.Tensor(scores), np.eye(2)[[1, 0, 1]]) == 1.0


def test_tutorial_cross_entropy_value_is_minus_log_of_the_true_class_probability():
    y = np.array([[0.01, 0.11, 0.31, 0.11, 0.21, 0.01, 0.01, 0.01, 0.21, 0.01]])
    assert F.tutorial_cross_entropy(y, np.array([2])) == pytest.approx(1.17118, abs=1e-5)
    gradient = cr.grad(lambda y: F.tutorial_cross_entropy(y, np.array([2])))(y)
    expected = np.zeros_like(y)
    expected[0, 2] = -1 / 0.31
    np.testing.assert_allclose(gradient, expected)


def test_tutorial_gradient_through_softmax_layer_is_softmax_minus_target():
    z, labels = RNG.normal(size=(4, 5)), np.array([1, 0, 4, 4])
    via_softmax = cr.grad(lambda z: F.tutorial_cross_entropy(F.softmax(z), labels))(z)
    fused = cr.grad(lambda z: F.cross_entropy(z, labels))(z)
    np.testing.assert_allclose(via_softmax, fused, atol=1e-15)


def test_tutorial_gradient_breaks_where_the_true_class_probability_underflows():
    logits = cr.Tensor(np.array([[200.0, 0.0]], np.float32), requires_grad=True)
    with np.errstate(all="ignore"):
        loss = F.tutorial_cross_entropy(F.softmax(logits), np.array([1]))
        loss.backward()
    assert not np.isfinite(loss.item()) and not np.isfinite(logits.grad).all()
    fused = cr.grad(lambda z: F.cross_entropy(z, np.array([1])))(logits.data)
    np.testing.assert_allclose(fused, [[1, -1]])


def test_loss_functions_are_exported_from_nn_and_functional():
    assert nn.cross_entropy is F.cross_entropy
    assert nn.tutorial_cross_entropy is F.tutorial_cross_entropy


def test_cross_entropy_with_one_hot_targets_returns_the_logits_dtype():
    logits = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    one_hot = np.eye(3)[[0, 2, 1, 1]]
    loss = F.cross_entropy(cr.Tensor(logits, requires_grad=True), one_hot)
    assert loss.dtype == np.float32
    assert F.cross_entropy(logits, np.array([0, 2, 1, 1])).dtype == np.float32
    np.testing.assert_allclose(loss.data, F.cross_entropy(logits, np.array([0, 2, 1, 1])),
                               rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_cross_entropy_gradients_match_finite_differences_to_second_order(reduction):
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(2, 3, 4)), rng.integers(0, 4, (2, 3))
    cr.check_grads(lambda z: F.cross_entropy(z, labels, reduction=reduction), (logits,),
                   order=2)
    one_hot = np.eye(4)[labels]
    np.testing.assert_allclose(
        cr.jacobian(lambda z: F.cross_entropy(z, labels, reduction=reduction))(logits),
        cr.jacobian(lambda z: F.cross_entropy(z, one_hot, reduction=reduction))(logits),
        atol=1e-14)


@pytest.mark.parametrize("classes", [1, 2, 8, 9, 16, 17])
@pytest.mark.parametrize("label_dtype", [np.uint8, np.int16, np.int64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_cross_entropy_of_rows_equals_the_one_hot_formula(classes, label_dtype,
                                                                 reduction):
    """Rows of few classes (<= 16) take the by-column path: its values and gradients are
    the one-hot formula's, also where rows * classes overflows the labels' dtype (uint8)."""
    rng = np.random.default_rng(classes)
    logits, labels = rng.normal(size=(40, classes)), rng.integers(0, classes, 40)
    labels = labels.astype(label_dtype)
    one_hot = np.eye(classes)[labels]
    log_softmax = np.log(_softmax(logits))
    losses = -(one_hot * log_softmax).sum(axis=-1)
    weights = rng.normal(size=40) if reduction == "none" else np.full(40, 1.0)
    if reduction == "mean":
        weights /= 40
    tensor = cr.Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(tensor, labels, reduction=reduction)
    loss.backward(weights if reduction == "none" else None)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-13)
    np.testing.assert_allclose(tensor.grad, weights[:, None] * (_softmax(logits) - one_hot),
                               rtol=1e-12, atol=1e-15)


def test_label_cross_entropy_of_few_classes_keeps_float32_and_its_second_derivative():
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(6, 10)), rng.integers(0, 10, 6)
    single = F.cross_entropy(cr.Tensor(logits.astype(np.float32), requires_grad=True), labels)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.data, F.cross_entropy(logits, labels), rtol=1e-6)
    cr.check_grads(lambda z: F.cross_entropy(z, labels), (logits,), order=2)


def test_label_cross_entropy_backward_twice_gives_the_same_gradient():
    logits = cr.Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 3, 1]))
    loss.backward()
    first = logits.grad.copy()
    loss.backward()
    np.testing.assert_allclose(logits.grad, 2 * first, rtol=1e-14)


def test_anomaly_mode_checks_cross_entropy_on_plain_arrays():
    with cr.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(cr.AnomalyError, match="cross_entropy"):
            F.cross_entropy(np.array([[np.inf, 0, 0], [0, 1, 2]]), np.array([1, 0]))
        with pytest.raises(cr.AnomalyError, match="cross_entropy"):
            F.cross_entropy(np.array([[np.nan, 0, 0]]), np.eye(3)[[1]])


@pytest.mark.parametrize("target", [np.zeros(0, np.int64), np.zeros((0, 3))])
def test_the_mean_loss_of_an_empty_batch_is_a_shape_error_without_warnings(target):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(cr.ShapeError, match=r"empty batch.*\(0, 3\)"):
            F.cross_entropy(np.zeros((0, 3)), target)
        assert F.cross_entropy(np.zeros((0, 3)), target, reduction="sum") == 0


def test_relu_in_place_overwrites_only_where_it_is_safe():
    x = cr.Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    out = F.relu_(x)
    np.testing.assert_array_equal(x.data, [-1.0, 2.0])  # a leaf is never overwritten
    z = F.linear(x[None], cr.Tensor(np.eye(2), requires_grad=True))
    activated = F.relu_(z)
    assert np.shares_memory(activated.data, z.data)
    activated.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
    np.testing.assert_array_equal(out.data, [0.0, 2.0])


def _on_device(array, strict):
    return to_strict(array) if strict else array


DEVICE_LOSSES = {
    "cross_entropy labels": lambda z, labels, probs: F.cross_entropy(z, labels),
    "cross_entropy sum": lambda z, labels, probs: F.cross_entropy(z, labels, reduction="sum"),
    "cross_entropy none": lambda z, labels, probs: F.cross_entropy(
        z, labels, reduction="none").sum(),
    "cross_entropy probabilities": lambda z, labels, probs: F.cross_entropy(z, probs),
    "cross_entropy smoothing": lambda z, labels, probs: F.cross_entropy(
        z, labels, label_smoothing=0.1),
    "nll_loss": lambda z, labels, probs: F.nll_loss(F.log_softmax(z), labels),
    "mse_loss": lambda z, labels, probs: F.mse_loss(z, probs),
    "tutorial_cross_entropy": lambda z, labels, probs: F.tutorial_cross_entropy(
        F.softmax(z), labels),
    "relu_": lambda z, labels, probs: (F.relu_(z) ** 2).sum(),
    "dropout": lambda z, labels, probs: (F.dropout(z, 0.3, np.random.default_rng(1)) ** 2).sum(),
}


@pytest.mark.parametrize("name", DEVICE_LOSSES)
def test_losses_and_linear_run_on_a_device_to_second_order(name):
    """Gradients and Hessians through linear and each loss on the strict stand-in device
    (arrays that refuse NumPy) equal the NumPy run's."""
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    labels, probs = rng.integers(0, 3, 5), _softmax(rng.normal(size=(5, 3)))

    def run(strict):
        targets = [_on_device(labels, strict), _on_device(probs, strict)]

        def f(x, w, b):
            return DEVICE_LOSSES[name](F.linear(x, w, b), *targets)

        args = [_on_device(a, strict) for a in (x, w, b)]
        return (to_host(cr.grad(f, argnums=(0, 1, 2))(*args)),
                to_host(cr.hessian(lambda w: f(args[0], w, args[2]))(args[1])))

    (gradients, hessian) = run(False)
    with use_strict_device():
        (device_gradients, device_hessian) = run(True)
    for mine, theirs in zip(device_gradients, gradients, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(device_hessian, hessian, rtol=1e-10, atol=1e-14)


def test_accuracy_takes_labels_from_the_host_or_the_device():
    logits = np.array([[0.0, 2.0], [3.0, 1.0], [0.0, 1.0]])
    with use_strict_device():
        device_logits = to_strict(logits)
        assert F.accuracy(device_logits, np.array([1, 0, 0])) == pytest.approx(2 / 3)
        assert F.accuracy(device_logits, to_strict(np.eye(2)[[1, 0, 1]])) == 1.0


def test_linear_relu_is_relu_of_linear_in_value_and_derivatives_to_second_order():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=5)
    fused = cr.nn.functional.linear_relu
    separate = lambda x, w, b: cr.relu(cr.nn.functional.linear(x, w, b))  # noqa: E731
    np.testing.assert_array_equal(fused(x, w, b), separate(x, w, b))
    for argnums in (0, 1, 2):
        np.testing.assert_allclose(
            cr.jacobian(fused, argnums)(x, w, b), cr.jacobian(separate, argnums)(x, w, b)
        )
    both = cr.grad(lambda *a: (fused(*a) ** 2).sum(), (0, 1, 2))(x, w, b)
    for got, want in zip(both, cr.grad(lambda *a: (separate(*a) ** 2).sum(), (0, 1, 2))(x, w, b)):
        np.testing.assert_allclose(got, want)
    cr.check_grads(lambda x, w, b: fused(x, w, b) ** 2, (x, w, b), order=2,
                   modes=("rev", "fwd"))
    cr.check_grads(lambda x, w: fused(x, w) ** 2, (x, w), order=2, modes=("rev",))


def test_an_mlp_runs_linear_and_inplace_relu_as_one_node_with_the_same_numbers():
    model = cr.nn.MLP([6, 5, 3], rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    out = model(x)
    layers = model.layers.layers
    by_layer = x
    for layer in layers:
        by_layer = layer(by_layer)
    np.testing.assert_array_equal(out.data, by_layer.data)
    assert out._parents[0][1].op_name == "linear_relu"
    saliency = cr.grad(lambda x: model(x)[:, 1].sum())(x)
    by_layers = cr.grad(lambda x: layers[2](layers[1](layers[0](x)))[:, 1].sum())(x)
    np.testing.assert_allclose(saliency, by_layers, rtol=1e-6)
