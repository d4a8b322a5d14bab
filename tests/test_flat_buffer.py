"""Parameters and gradients in one flat buffer per dtype: views, gradients written in place,
state dicts and resumption unchanged, and gradients that stay correct when the buffer is busy."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.nn import functional as F
from chainrule.nn.parameter import FlatGroup, Parameter, repack
from strict_array import StrictArray, to_host, to_strict, use_strict_device


def _model(seed=0, dtype=np.float32):
    return nn.MLP((6, 5, 3), rng=np.random.default_rng(seed), dtype=dtype)


def _batch(seed=1, rows=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, 6)).astype(np.float32), rng.integers(0, 3, rows)


def test_an_mlp_keeps_all_its_parameters_in_one_contiguous_buffer_in_order():
    model = _model()
    parameters = model.parameters()
    base = parameters[0].data.base
    assert base.ndim == 1 and base.size == sum(p.size for p in parameters)
    assert all(p.data.base is base for p in parameters)
    address = lambda array: array.__array_interface__["data"][0]  # noqa: E731
    offsets = [address(p.data) - address(base) for p in parameters]
    assert offsets == list(np.cumsum([0] + [p.data.nbytes for p in parameters])[:-1])


def test_the_optimiser_reuses_the_models_buffer_and_backward_writes_gradients_into_it():
    model = _model()
    optimizer = optim.Adam(model.parameters())
    (group,) = optimizer.groups
    assert np.shares_memory(group.data, model.parameters()[0].data)
    x, y = _batch()
    F.cross_entropy(model(x), y).backward()
    for parameter, view in zip(model.parameters(), group.views(group.grad)):
        assert parameter.grad is view.base or np.shares_memory(parameter.grad, view)


def test_flat_gradients_equal_the_gradients_of_an_unpacked_model():
    model = _model()
    x, y = _batch()
    F.cross_entropy(model(x), y).backward()
    weights = [p.data.astype(np.float64) for p in model.parameters()]

    def loss(w1, b1, w2, b2):
        hidden = np.maximum(x.astype(np.float64) @ w1.T + b1, 0)
        return F.cross_entropy(hidden @ w2.T + b2, y)

    expected = cr.grad(loss, argnums=(0, 1, 2, 3))(*weights)
    for parameter, gradient in zip(model.parameters(), expected):
        np.testing.assert_allclose(parameter.grad, gradient, rtol=2e-5, atol=1e-6)


def test_two_backward_passes_accumulate_although_the_first_wrote_into_the_buffer():
    model = _model()
    x, y = _batch()
    F.cross_entropy(model(x), y).backward()
    once = [p.grad.copy() for p in model.parameters()]
    F.cross_entropy(model(x), y).backward()
    for parameter, gradient in zip(model.parameters(), once):
        np.testing.assert_allclose(parameter.grad, 2 * gradient, rtol=1e-6)


def test_a_weight_used_twice_in_one_pass_gets_the_sum_of_both_uses():
    layer = nn.Linear(3, 3, rng=np.random.default_rng(0), dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(2, 3))
    layer(layer(x)).sum().backward()
    w, b = layer.weight.data, layer.bias.data

    def twice(w, b):
        return F.linear(F.linear(x, w, b), w, b).sum()

    expected_w, expected_b = cr.grad(twice, argnums=(0, 1))(w, b)
    np.testing.assert_allclose(layer.weight.grad, expected_w, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, expected_b, rtol=1e-12)


def test_a_gradient_the_user_kept_is_not_overwritten_by_the_next_backward():
    model = _model()
    x, y = _batch()
    F.cross_entropy(model(x), y).backward()
    kept = model.parameters()[0].grad
    saved = kept.copy()
    model.zero_grad()
    x, y = _batch(seed=2)
    F.cross_entropy(model(x), y).backward()
    np.testing.assert_array_equal(kept, saved)
    assert not np.array_equal(model.parameters()[0].grad, saved)


def test_state_dict_and_load_state_dict_are_unchanged_by_packing():
    model, other = _model(0), _model(5)
    state = model.state_dict()
    assert sorted(state) == ["layers.0.bias", "layers.0.weight", "layers.2.bias",
                             "layers.2.weight"]
    assert all(not np.shares_memory(value, p.data)
               for value, p in zip(state.values(), model.parameters()))
    other.load_state_dict(state)
    base = other.parameters()[0].data.base
    assert all(p.data.base is base for p in other.parameters())
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(value, state[name])


def test_an_optimiser_packs_plain_tensors_and_their_data_become_views():
    a = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    b = cr.Tensor(np.arange(4.0), requires_grad=True)
    c = cr.Tensor(np.ones(2, np.float32), requires_grad=True)
    optimizer = optim.SGD([a, b, c], lr=0.5)
    assert [group.data.dtype for group in optimizer.groups] == [np.float64, np.float32]
    assert np.shares_memory(a.data, optimizer.groups[0].data)
    np.testing.assert_array_equal(b.data, np.arange(4.0))
    a.grad, b.grad, c.grad = np.ones((2, 3)), np.ones(4), np.ones(2, np.float32)
    optimizer.step()
    np.testing.assert_array_equal(a.data, 0.5)
    np.testing.assert_array_equal(b.data, np.arange(4.0) - 0.5)
    np.testing.assert_array_equal(c.data, 0.5)


def test_a_parameter_listed_twice_is_refused():
    a = cr.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([a, a])


def test_a_gradient_of_the_wrong_shape_is_refused_by_name():
    a = Parameter(np.ones(3), name="w")
    optimizer = optim.SGD([a])
    a.grad = np.ones(4)
    with pytest.raises(cr.ShapeError, match="gradient of w has shape"):
        optimizer.step()


def test_resume_from_state_dicts_continues_bit_for_bit():
    x, y = _batch(rows=8)

    def train(model, optimizer, steps):
        for _ in range(steps):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    straight = _model()
    straight_optimizer = optim.Adam(straight.parameters(), lr=0.01)
    train(straight, straight_optimizer, 6)
    first = _model()
    first_optimizer = optim.Adam(first.parameters(), lr=0.01)
    train(first, first_optimizer, 3)
    resumed = _model(seed=9)
    resumed_optimizer = optim.Adam(resumed.parameters(), lr=0.01)
    resumed.load_state_dict(first.state_dict())
    resumed_optimizer.load_state_dict(first_optimizer.state_dict())
    train(resumed, resumed_optimizer, 3)
    for mine, theirs in zip(resumed.parameters(), straight.parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_flat_group_views_cut_a_flat_array_back_into_parameter_shapes():
    parameters = [cr.Tensor(np.zeros((2, 2)), requires_grad=True),
                  cr.Tensor(np.zeros(3), requires_grad=True)]
    group = FlatGroup(parameters)
    views = group.views(np.arange(7.0))
    np.testing.assert_array_equal(views[0], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(views[1], [4, 5, 6])


def test_a_parameter_whose_data_is_replaced_is_still_updated():
    model = _model()
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    weight = model.parameters()[0]
    weight.data = np.zeros(weight.shape, np.float32)
    for parameter in model.parameters():
        parameter.grad = np.ones(parameter.shape, np.float32)
    optimizer.step()
    np.testing.assert_array_equal(weight.data, -1.0)
    assert np.shares_memory(weight.data, optimizer.groups[0].data)


def test_repack_moves_the_flat_buffers_to_a_device_and_backward_writes_gradients_there():
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    x, y = _batch()
    with use_strict_device():
        repack(model.parameters(), "strict")
        (group,) = optim.SGD(model.parameters()).groups
        address = lambda array: array.__array_interface__["data"][0]  # noqa: E731
        assert type(group.data) is StrictArray and address(group.data) == address(
            model.parameters()[0].data)
        F.cross_entropy(model(to_strict(x)), to_strict(y)).backward()
        for parameter, view in zip(model.parameters(), group.views(group.grad)):
            assert address(parameter.grad) == address(view)
        for parameter, values in zip(model.parameters(), before, strict=True):
            np.testing.assert_array_equal(to_host(parameter.data), values)
