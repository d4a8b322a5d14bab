"""Optimisers against PyTorch's and closed forms; schedules; state dicts; no subnormals."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.errors import CheckpointError
from chainrule.nn.parameter import repack
from strict_array import StrictArray, to_host, to_strict, use_strict_device

RNG = np.random.default_rng(0)


def reference_sgd(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """SGD as PyTorch documents it, one plain step at a time."""
    state = {}

    def step(p, g):
        g = g + weight_decay * p
        if momentum:
            state["buf"] = g if "buf" not in state else momentum * state["buf"] + g
            g = g + momentum * state["buf"] if nesterov else state["buf"]
        return p - lr * g

    return step


def reference_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """Adam (Kingma & Ba) with bias correction; AdamW decays the weights first."""
    state = {"m": 0.0, "v": 0.0, "t": 0}

    def step(p, g):
        state["t"] += 1
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        state["m"] = betas[0] * state["m"] + (1 - betas[0]) * g
        state["v"] = betas[1] * state["v"] + (1 - betas[1]) * g * g
        m_hat = state["m"] / (1 - betas[0] ** state["t"])
        v_hat = state["v"] / (1 - betas[1] ** state["t"])
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    return step


def _gradient_sequence(steps):
    return RNG.normal(size=(3, 4)), [RNG.normal(size=(3, 4)) for _ in range(steps)]


def _run_ours(make_ours, start, gradients):
    ours = cr.Tensor(start.copy(), requires_grad=True)
    optimizer = make_ours([ours])
    for gradient in gradients:
        optimizer.zero_grad()
        ours.grad = gradient.copy()
        optimizer.step()
    return ours.data


def _run_reference(step, start, gradients):
    p = start.copy()
    for gradient in gradients:
        p = step(p, gradient)
    return p


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01},
]
ADAM_SETTINGS = [
    ("Adam", {"lr": 1e-3}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5}),
]


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_follows_the_documented_update(settings):
    start, gradients = _gradient_sequence(5)
    ours = _run_ours(lambda p: optim.SGD(p, **settings), start, gradients)
    expected = _run_reference(reference_sgd(**settings), start, gradients)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, settings", ADAM_SETTINGS)
def test_adam_and_adamw_follow_the_documented_update(name, settings):
    start, gradients = _gradient_sequence(20)
    ours = _run_ours(lambda p: getattr(optim, name)(p, **settings), start, gradients)
    settings = {"weight_decay": 0.01, **settings} if name == "AdamW" else settings
    expected = _run_reference(reference_adam(**settings, decoupled=name == "AdamW"), start,
                              gradients)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name, settings",
                         [("SGD", s) for s in SGD_SETTINGS] + ADAM_SETTINGS)
def test_optimisers_match_pytorch_when_it_is_installed(name, settings):
    torch = pytest.importorskip("torch")  # a peer for comparison, never a requirement
    start, gradients = _gradient_sequence(20)
    ours = _run_ours(lambda p: getattr(optim, name)(p, **settings), start, gradients)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    optimizer = getattr(torch.optim, name)([theirs], **settings)
    for gradient in gradients:
        optimizer.zero_grad()
        theirs.grad = torch.tensor(gradient.copy())
        optimizer.step()
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-14)


def test_adam_first_step_moves_each_weight_by_lr_against_its_gradient_sign():
    parameter = cr.Tensor(np.zeros(3), requires_grad=True)
    optimizer = optim.Adam([parameter], lr=0.01)
    parameter.grad = np.array([3.0, -0.5, 1e-3])
    optimizer.step()
    np.testing.assert_allclose(parameter.data, [-0.01, 0.01, -0.01], rtol=1e-5)


def test_adam_keeps_float32_parameters_and_buffers_float32():
    parameter = cr.Tensor(np.ones(4, np.float32), requires_grad=True)
    optimizer = optim.Adam([parameter])
    parameter.grad = np.ones(4, np.float32)
    optimizer.step()
    assert parameter.dtype == np.float32
    assert all(b[0].dtype == np.float32 for b in optimizer.buffers.values())


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p),
                                  lambda p: optim.SGD(p, lr=0.1, momentum=0.9)])
def test_state_holds_subnormal_values_for_fewer_than_flush_every_steps(make):
    from chainrule.optim.kernels import FLUSH_EVERY

    parameter = cr.Tensor(np.zeros(1000, np.float32), requires_grad=True)
    optimizer = make([parameter])
    tiny = np.finfo(np.float32).tiny
    parameter.grad = np.geomspace(1e-30, 1e-2, 1000).astype(np.float32)
    optimizer.step()
    parameter.grad = np.zeros(1000, np.float32)
    run, longest = 0, 0
    for _ in range(300):
        optimizer.step()
        state = np.concatenate([b[0] for b in optimizer.buffers.values()])
        subnormal = np.count_nonzero((state != 0) & (np.abs(state) < tiny))
        run = run + 1 if subnormal else 0
        longest = max(longest, run)
        if optimizer.steps % FLUSH_EVERY == 0:
            assert subnormal == 0
    assert 0 < longest < FLUSH_EVERY
    assert np.count_nonzero(state) > 0  # the large ones are still decaying


def test_sgd_skips_parameters_without_gradients_and_zero_grad_clears_them():
    used = cr.Tensor(np.ones(2), requires_grad=True)
    unused = cr.Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.SGD([used, unused], lr=0.5)
    (used * 2).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(used.data, [0, 0])
    np.testing.assert_array_equal(unused.data, [1, 1])
    optimizer.zero_grad()
    assert used.grad is None


def test_optimisers_refuse_tensors_that_do_not_require_grad():
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([cr.Tensor(np.ones(2))])
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum"):
        optim.SGD([cr.Tensor(np.ones(2), requires_grad=True)], nesterov=True)


def test_state_dict_round_trip_continues_exactly():
    gradients = [RNG.normal(size=5) for _ in range(6)]

    def run(interrupt):
        parameter = cr.Tensor(np.ones(5), requires_grad=True)
        optimizer = optim.Adam([parameter], lr=0.01)
        for step, gradient in enumerate(gradients):
            if interrupt and step == 3:
                state = optimizer.state_dict()
                weights = parameter.data.copy()
                parameter = cr.Tensor(weights, requires_grad=True)
                optimizer = optim.Adam([parameter], lr=0.5)
                optimizer.load_state_dict(state)
            parameter.grad = gradient
            optimizer.step()
        return parameter.data, optimizer.steps

    (straight, steps), (resumed, resumed_steps) = run(False), run(True)
    np.testing.assert_array_equal(resumed, straight)
    assert steps == resumed_steps == 6


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.update(kind="SGD"), "optimizer state is for SGD, not Adam"),
    (lambda s: s["buffers"].pop("exp_avg"), "has buffers"),
    (lambda s: s["buffers"]["exp_avg"].append(np.zeros(3)), "2 exp_avg arrays for 1 parameters"),
    (lambda s: s["buffers"]["exp_avg_sq"].__setitem__(0, np.zeros(4)),
     r"exp_avg_sq\[0\] is \(4,\) float64, expected \(3,\) float64"),
])
def test_load_state_dict_refuses_state_for_another_optimiser_or_model(edit, message):
    optimizer = optim.Adam([cr.Tensor(np.ones(3), requires_grad=True)])
    state = optimizer.state_dict()
    edit(state)
    with pytest.raises(CheckpointError, match=message):
        optimizer.load_state_dict(state)


def test_step_decay_multiplies_by_gamma_every_step_size_steps():
    schedule = optim.StepDecay(1.0, step_size=10, gamma=0.5)
    assert [schedule(step) for step in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]


def test_cosine_goes_from_lr_to_min_lr_over_total_steps():
    schedule = optim.Cosine(0.1, total_steps=100, min_lr=0.01)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(50) == pytest.approx(0.055)
    assert schedule(100) == schedule(150) == pytest.approx(0.01)
    assert schedule(25) == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2)


def test_linear_warmup_ramps_up_then_follows_the_schedule():
    schedule = optim.LinearWarmup(optim.Constant(0.2), warmup_steps=4)
    assert [schedule(step) for step in range(6)] == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2, 0.2])


def test_schedules_refuse_nonsense_lengths():
    with pytest.raises(ValueError, match="step_size"):
        optim.StepDecay(0.1, 0)
    with pytest.raises(ValueError, match="total_steps"):
        optim.Cosine(0.1, 0)


def test_set_threads_limits_the_blas_and_refuses_zero():
    from chainrule.optim.threads import set_threads

    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=None):  # restores the count afterwards
        assert set_threads(1) == "threadpoolctl"
        blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    with pytest.raises(ValueError, match="at least 1"):
        set_threads(0)


@pytest.mark.parametrize("make", [
    lambda parameters: optim.Adam(parameters, lr=0.01),
    lambda parameters: optim.AdamW(parameters, lr=0.01),
    lambda parameters: optim.SGD(parameters, lr=0.1, momentum=0.9),
    lambda parameters: optim.SGD(parameters, lr=0.1, momentum=0.9, nesterov=True,
                                 weight_decay=0.01),
], ids=["Adam", "AdamW", "SGD-momentum", "SGD-nesterov"])
def test_training_steps_on_a_device_give_the_weights_of_numpy(make):
    """MLP forward, cross_entropy, backward and optimiser steps with every array on the
    strict stand-in device (which refuses NumPy) update the weights as NumPy does."""
    def train(device):
        rng = np.random.default_rng(0)
        images = rng.normal(size=(8, 6)).astype(np.float32)
        labels = rng.integers(0, 3, 8)
        model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(1))
        if device == "strict":
            repack(model.parameters(), device)
            images, labels = to_strict(images), to_strict(labels)
        optimizer = make(model.parameters())
        for _ in range(9):  # past a subnormal flush (every 8 steps)
            loss = cr.nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        kinds = {type(array) for group in optimizer.groups for array in (group.data, group.grad)}
        return [to_host(p.data) for p in model.parameters()], kinds

    expected, _ = train("cpu")
    with use_strict_device():
        weights, kinds = train("strict")
    assert kinds == {StrictArray}
    for mine, theirs in zip(weights, expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)
