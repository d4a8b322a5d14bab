"""In-place updates: of one `.grad` (no other gradient changes), and of a parameter by an
optimiser step (a graph recorded before it refuses to backpropagate)."""

import numpy as np
import pytest

import chainrule as cr


def test_inputs_of_an_add_get_gradients_that_do_not_share_memory():
    w1 = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w2 = cr.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    ((w1 + w2) * np.array([1.0, 2.0])).sum().backward()
    assert not np.shares_memory(w1.grad, w2.grad)
    w1.grad *= 0
    np.testing.assert_array_equal(w2.grad, [1.0, 2.0])


def test_clip_grad_norm_scales_gradients_that_came_from_one_add_once():
    w1 = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w2 = cr.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    ((w1 + w2) * np.array([1.0, 2.0])).sum().backward()
    cr.nn.utils.clip_grad_norm_([w1, w2], 1.0)
    norm = np.sqrt(np.sum(w1.grad**2) + np.sum(w2.grad**2))
    np.testing.assert_allclose(norm, 1.0, rtol=1e-5)


def test_the_gradient_given_to_backward_is_not_handed_out_as_a_grad():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = cr.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    seed = np.array([1.0, -1.0])
    (x + y).backward(gradient=seed)
    x.grad[...] = 7.0
    y.grad[...] = 9.0
    np.testing.assert_array_equal(seed, [1.0, -1.0])
    leaf = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    leaf.backward(gradient=seed)
    leaf.grad += 1.0
    np.testing.assert_array_equal(seed, [1.0, -1.0])


def test_functional_gradients_of_an_add_do_not_share_memory():
    grads = cr.grad(lambda a, b: ((a + b) * np.array([1.0, 2.0])).sum(), (0, 1))(
        np.ones(2), np.ones(2)
    )
    grads[0][...] = 0.0
    np.testing.assert_array_equal(grads[1], [1.0, 2.0])


def test_backward_through_a_graph_recorded_before_an_optimiser_step_raises():
    weights = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    optimizer = cr.optim.SGD([weights], lr=0.5)
    loss = (weights * weights).sum()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    with pytest.raises(cr.GradientError, match="updated in place"):
        loss.backward()
    (weights * weights).sum().backward()
    np.testing.assert_array_equal(weights.grad, 2 * weights.data)


def test_an_optimiser_step_leaves_graphs_of_other_tensors_alone():
    weights = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    frozen = cr.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    optimizer = cr.optim.SGD([weights], lr=0.5)
    loss = (frozen * frozen).sum()
    (weights * weights).sum().backward()
    optimizer.step()
    loss.backward()
    np.testing.assert_array_equal(frozen.grad, [6.0, 8.0])


def test_backward_through_a_graph_recorded_before_load_state_dict_raises():
    model = cr.nn.MLP((3, 2), rng=np.random.default_rng(0))
    loss = model(np.ones((1, 3))).sum()
    model.load_state_dict({k: np.zeros_like(v) for k, v in model.state_dict().items()})
    with pytest.raises(cr.GradientError, match="updated in place"):
        loss.backward()
