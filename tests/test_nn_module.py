"""Module, Linear, activations, Dropout, Sequential and MLP: structure, state and layout."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import CheckpointError, ShapeError


def test_linear_computes_z_equals_w_a_plus_b_for_each_row():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    layer.bias.data[:] = [0.5, -1.0]
    a = np.array([1.0, 2.0, 3.0])
    x = np.stack([a, 2 * a])
    z = layer(x).data
    np.testing.assert_allclose(z[0], layer.weight.data @ a + layer.bias.data)
    np.testing.assert_allclose(z, x @ layer.weight.data.T + layer.bias.data)


def test_linear_parameters_are_named_tensors_that_require_grad():
    layer = nn.Linear(4, 3, rng=np.random.default_rng(0))
    assert [(name, p.name) for name, p in layer.named_parameters()] == [
        ("weight", "weight"), ("bias", "bias")]
    assert all(isinstance(p, cr.Tensor) and p.requires_grad for p in layer.parameters())
    assert layer.weight.dtype == np.float32 and not layer.bias.data.any()


def test_he_and_glorot_initialisation_have_their_variances():
    rng = np.random.default_rng(0)
    he = nn.Linear(800, 400, init="he", rng=rng).weight.data
    glorot = nn.Linear(800, 400, init="glorot", rng=rng).weight.data
    assert he.std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)
    limit = np.sqrt(6 / 1200)
    assert np.abs(glorot).max() <= limit
    assert glorot.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_linear_rejects_an_unknown_initialisation():
    with pytest.raises(ValueError, match="init must be one of he, glorot"):
        nn.Linear(2, 2, init="zeros")


def test_the_same_rng_seed_gives_the_same_weights():
    first = nn.MLP((5, 4, 3), rng=np.random.default_rng(7))
    second = nn.MLP((5, 4, 3), rng=np.random.default_rng(7))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_mlp_is_the_tutorials_784_512_10_network_by_default():
    model = nn.MLP(rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "ReLU", "Linear"]
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [p.name for p in model.parameters()][0] == "layers.0.weight"
    assert model(np.zeros((4, 784), np.float32)).shape == (4, 10)


def test_mlp_with_softmax_output_ends_in_a_softmax_layer_of_probabilities():
    model = nn.MLP((6, 5, 3), output="softmax", rng=np.random.default_rng(0))
    assert type(model.layers[-1]).__name__ == "Softmax"
    probabilities = model(np.random.default_rng(1).random((4, 6))).data
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)


def test_mlp_names_the_expected_width_when_given_the_wrong_input():
    model = nn.MLP((64, 8, 10), rng=np.random.default_rng(0))
    with pytest.raises(ShapeError, match="MLP 64-8-10 expects inputs with 64 features"):
        model(np.zeros((2, 784), np.float32))


def test_mlp_standardises_its_inputs_before_the_first_layer():
    rng = np.random.default_rng(0)
    plain = nn.MLP((4, 3, 2), rng=np.random.default_rng(1), dtype=np.float64)
    scaled = nn.MLP((4, 3, 2), rng=np.random.default_rng(1), dtype=np.float64,
                    input_mean=0.25, input_std=0.5)
    x = rng.random((5, 4))
    np.testing.assert_allclose(scaled(x).data, plain((x - 0.25) / 0.5).data)


def test_mlp_rejects_bad_sizes_activation_and_output():
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP((784,))
    with pytest.raises(ValueError, match="activation must be one of relu, sigmoid, tanh"):
        nn.MLP(activation="gelu")
    with pytest.raises(ValueError, match="output must be one of"):
        nn.MLP(output="probabilities")


def test_sigmoid_and_tanh_mlps_use_their_activation_and_glorot_weights():
    model = nn.MLP((10, 6, 6, 2), activation="tanh", rng=np.random.default_rng(0))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert model.layers[0].init == "glorot"
    assert type(nn.MLP((3, 2, 2), activation="sigmoid").layers[1]).__name__ == "Sigmoid"


def test_repr_shows_the_layers_and_their_settings():
    text = repr(nn.MLP((784, 512, 10), dropout=0.2, rng=np.random.default_rng(0)))
    assert "(0): Linear(in_features=784, out_features=512, init='he', dtype=float32)" in text
    assert "(1): ReLU(inplace=True)" in text and "(2): Dropout(p=0.2)" in text
    assert text.startswith("MLP(sizes=(784, 512, 10)")


def test_state_dict_round_trip_restores_the_outputs():
    x = np.random.default_rng(0).random((3, 5)).astype(np.float32)
    source = nn.MLP((5, 4, 2), rng=np.random.default_rng(1))
    target = nn.MLP((5, 4, 2), rng=np.random.default_rng(2))
    weight = target.layers[0].weight
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target(x).data, source(x).data)
    assert target.layers[0].weight is weight


def test_state_dict_is_a_copy_that_later_training_does_not_change():
    model = nn.MLP((3, 2, 2), rng=np.random.default_rng(0))
    state = model.state_dict()
    before = state["layers.0.weight"].copy()
    model.layers[0].weight.data += 1
    np.testing.assert_array_equal(state["layers.0.weight"], before)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.pop("layers.2.bias"), "missing layers.2.bias"),
    (lambda s: s.update(extra=np.zeros(1)), "unexpected extra"),
    (lambda s: s.update({"layers.0.weight": np.zeros((4, 3), np.float32)}),
     r"layers.0.weight is \(4, 3\) float32 but the model has \(4, 5\) float32"),
    (lambda s: s.update({"layers.0.bias": np.zeros(4, np.float64)}),
     r"layers.0.bias is \(4,\) float64 but the model has \(4,\) float32"),
])
def test_load_state_dict_refuses_a_state_that_does_not_fit(edit, message):
    model = nn.MLP((5, 4, 2), rng=np.random.default_rng(0))
    state = model.state_dict()
    edit(state)
    before = model.state_dict()
    model.layers[0].weight.data[...] = 0
    model.load_state_dict(before)
    with pytest.raises(CheckpointError, match=message):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.layers[0].weight.data, before["layers.0.weight"])


def test_train_and_eval_switch_every_submodule():
    model = nn.MLP((4, 3, 2), dropout=0.5, rng=np.random.default_rng(0))
    assert all(module.training for module in model.modules())
    model.eval()
    assert not any(module.training for module in model.modules())
    model.train()
    assert all(module.training for module in model.modules())


def test_dropout_is_the_identity_in_eval_mode_and_inverted_in_training():
    layer = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = np.ones((200, 100), np.float32)
    out = layer(cr.Tensor(x)).data
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert out.dtype == np.float32
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.01)
    layer.eval()
    assert layer(x) is x


def test_dropout_gradient_is_the_mask():
    layer = nn.Dropout(0.5, rng=np.random.default_rng(0))
    x = cr.Tensor(np.ones((4, 6)), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)


def test_dropout_rejects_p_outside_zero_to_one():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(1.0)


def test_sequential_applies_modules_in_order_and_indexes_them():
    relu, softmax = nn.ReLU(), nn.Softmax()
    model = nn.Sequential(relu, softmax)
    assert model[0] is relu and len(model) == 2 and list(model) == [relu, softmax]
    x = np.array([[-1.0, 0.0, 1.0]])
    np.testing.assert_allclose(model(cr.Tensor(x)).data, cr.softmax(np.maximum(x, 0)))


def test_activation_modules_match_their_functions():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(nn.Sigmoid()(cr.Tensor(x)).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(cr.Tensor(x)).data, np.tanh(x))
    np.testing.assert_allclose(nn.ReLU()(cr.Tensor(x)).data, np.maximum(x, 0))


def test_linear_without_bias_has_only_a_weight_and_computes_x_w_transposed():
    layer = nn.Linear(3, 2, bias=False, rng=np.random.default_rng(0), dtype=np.float64)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.ones((4, 2)).T @ x)
    assert "bias=False" in repr(layer)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_module_zero_grad_clears_every_parameters_gradient(set_to_none):
    model = nn.MLP((3, 4, 2), rng=np.random.default_rng(0))
    nn.functional.cross_entropy(model(np.ones((2, 3), np.float32)), np.array([0, 1])).backward()
    model.zero_grad(set_to_none=set_to_none)
    for parameter in model.parameters():
        if set_to_none:
            assert parameter.grad is None
        else:
            np.testing.assert_array_equal(parameter.grad, 0)


def test_a_float32_model_given_float64_input_computes_and_returns_float32():
    model = nn.MLP((3, 4, 2), rng=np.random.default_rng(0), input_mean=0.5, input_std=2.0)
    x = np.random.default_rng(1).normal(size=(5, 3))
    out = model(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, model(x.astype(np.float32)).data)
    assert model(cr.Tensor(x)).dtype == np.float32
    assert model(np.ones((1, 3), np.uint8)).dtype == np.float32


def test_a_float64_input_tensor_still_gets_a_float64_gradient_through_a_float32_model():
    model = nn.MLP((3, 4, 2), rng=np.random.default_rng(0))
    x = cr.Tensor(np.random.default_rng(1).normal(size=(2, 3)), requires_grad=True)
    model(x).sum().backward()
    assert x.grad.dtype == np.float64


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before():
    a, b = (cr.Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([0.0, 4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad, [3 / (5 + 1e-6), 0])
    np.testing.assert_allclose(b.grad, [0, 4 / (5 + 1e-6)])
    assert nn.utils.clip_grad_norm_([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(np.hypot(a.grad[0], b.grad[1]), 1.0, rtol=1e-5)


def test_clip_grad_norm_infinity_norm_and_nonfinite_error():
    a = cr.Tensor(np.zeros(3), requires_grad=True)
    a.grad = np.array([1.0, -6.0, 2.0])
    assert nn.utils.clip_grad_norm_(a, 3.0, norm_type=np.inf) == 6.0
    np.testing.assert_allclose(a.grad, np.array([1.0, -6.0, 2.0]) * 3 / (6 + 1e-6))
    a.grad = np.array([np.inf, 1.0, 0.0])
    with pytest.raises(cr.GradientError, match="not finite|inf"):
        nn.utils.clip_grad_norm_(a, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_matches_pytorch_when_it_is_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    ours = [cr.Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = g.copy(), torch.tensor(g)
    for norm_type in (2.0, 1.0, 3.0):
        expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
        assert nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type) == pytest.approx(
            float(expected))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
