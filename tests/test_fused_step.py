"""The fused optimiser pass: numba and NumPy kernels give the same bits, equal to the update
written out in plain NumPy; numba is optional and never imported by `import chainrule`."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import _kernels, optim
from chainrule.optim import kernels

HAS_NUMBA = importlib.util.find_spec("numba") is not None
BACKENDS = ["numpy"] + (["numba"] if HAS_NUMBA else [])
SETTINGS = [
    ("Adam", {"lr": 1e-3}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Run the test with one kernel backend."""
    kernels.backend()
    kernels.wait_for_compiled()  # the background load must not switch kernels mid-test
    module = kernels if request.param == "numpy" else importlib.import_module(
        "chainrule.optim._compiled")
    _serve(monkeypatch, module)
    return request.param


def _serve(monkeypatch, module):
    """Make `module` run the optimisers' float32/float64 updates (`kernels`: NumPy's)."""
    monkeypatch.setitem(_kernels._modules, kernels.COMPILED,
                        None if module is kernels else module)


def _run(name, settings, dtype, steps=20):
    """Parameters after `steps` steps on gradients with zero columns (they go subnormal)."""
    rng = np.random.default_rng(0)
    parameters = [cr.Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True)
                  for shape in ((7, 5), (5,))]
    optimizer = getattr(optim, name)(parameters, **settings)
    for _ in range(steps):
        for parameter in parameters:
            gradient = rng.normal(size=parameter.shape).astype(dtype) * 1e-3
            gradient[..., :2] = 0
            parameter.grad = gradient
        optimizer.step()
    return [p.data.copy() for p in parameters], optimizer.state_dict()


def _reference_adam(parameter, gradients, lr, betas=(0.9, 0.999), eps=1e-8,
                    weight_decay=0.0, decoupled=False):
    """The update as separate in-place NumPy operations in the parameter's dtype."""
    dtype = parameter.dtype.type
    m, v = np.zeros_like(parameter), np.zeros_like(parameter)
    for step, g in enumerate(gradients, start=1):
        if weight_decay and decoupled:
            parameter *= dtype(1 - lr * weight_decay)
        elif weight_decay:
            g = g + dtype(weight_decay) * parameter
        m *= dtype(betas[0])
        m += g * dtype(1 - betas[0])
        v *= dtype(betas[1])
        v += g * g * dtype(1 - betas[1])
        correction2 = np.sqrt(1 - betas[1] ** step)
        parameter += m / (np.sqrt(v) + dtype(eps * correction2)) * dtype(
            -lr * correction2 / (1 - betas[0] ** step))
        if step % kernels.FLUSH_EVERY == 0:
            m[np.abs(m) < np.finfo(dtype).tiny] = 0
            v[np.abs(v) < np.finfo(dtype).tiny] = 0
    return parameter


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, settings", SETTINGS)
def test_numba_and_numpy_kernels_give_the_same_bits(name, settings, dtype, monkeypatch):
    if not HAS_NUMBA:
        pytest.skip("numba is not installed (pip install chainrule[fast])")
    results = {}
    kernels.backend()
    kernels.wait_for_compiled()
    for module in (kernels, importlib.import_module("chainrule.optim._compiled")):
        _serve(monkeypatch, module)
        results[module.__name__] = _run(name, settings, dtype)
    (weights, state), (other_weights, other_state) = results.values()
    for mine, theirs in zip(weights, other_weights):
        np.testing.assert_array_equal(mine, theirs)
    for buffer, arrays in state["buffers"].items():
        for mine, theirs in zip(arrays, other_state["buffers"][buffer]):
            np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name, settings", [s for s in SETTINGS if s[0] != "SGD"])
def test_fused_adam_equals_the_update_written_out_bit_for_bit(name, settings, backend):
    rng = np.random.default_rng(3)
    start = rng.normal(size=40).astype(np.float32)
    gradients = [rng.normal(size=40).astype(np.float32) * 1e-3 for _ in range(17)]
    for g in gradients:
        g[:10] = 0
    parameter = cr.Tensor(start.copy(), requires_grad=True)
    optimizer = getattr(optim, name)([parameter], **settings)
    for gradient in gradients:
        parameter.grad = gradient
        optimizer.step()
    defaults = {"weight_decay": 0.01} if name == "AdamW" else {}
    expected = _reference_adam(start.copy(), gradients, **{**defaults, **settings},
                               decoupled=name == "AdamW")
    np.testing.assert_array_equal(parameter.data, expected)


def test_parameters_without_a_gradient_are_left_alone_by_the_fused_step(backend):
    used, unused = (cr.Tensor(np.ones(3), requires_grad=True) for _ in range(2))
    optimizer = optim.Adam([used, unused], lr=0.1)
    used.grad = np.ones(3)
    optimizer.step()
    np.testing.assert_allclose(used.data, 0.9)
    np.testing.assert_array_equal(unused.data, 1.0)
    np.testing.assert_array_equal(optimizer.buffers["exp_avg"][1], 0.0)


def test_import_chainrule_and_building_an_optimiser_do_not_import_numba():
    code = ("import sys, numpy as np, chainrule as cr\n"
            "model = cr.nn.MLP((4, 3, 2))\n"
            "cr.optim.Adam(model.parameters())\n"
            "print('numba' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_chainrule_kernels_numpy_forces_the_numpy_backend(monkeypatch):
    kernels.wait_for_compiled()
    monkeypatch.setenv("CHAINRULE_KERNELS", "numpy")
    monkeypatch.setattr(_kernels, "_modules", {})
    monkeypatch.setattr(_kernels, "_loaders", {})
    assert kernels.backend() is kernels
    assert not kernels.wait_for_compiled()


def test_the_first_step_starts_loading_numba_and_it_serves_once_loaded():
    if not HAS_NUMBA:
        pytest.skip("numba is not installed (pip install chainrule[fast])")
    code = ("import sys, time, numpy as np, chainrule as cr\n"
            "from chainrule import _kernels\n"
            "from chainrule.optim import kernels\n"
            "model = cr.nn.MLP((4, 3, 2))\n"
            "optimizer = cr.optim.Adam(model.parameters())\n"
            "cr.nn.functional.cross_entropy(model(np.ones((1, 4))), np.array([0])).backward()\n"
            "time.sleep(0.2)\n"
            "gradients_only = 'numba' in sys.modules\n"
            "optimizer.step()\n"
            "loaded = kernels.wait_for_compiled(timeout=120)\n"
            "print(gradients_only, loaded, kernels.backend(np.dtype(np.float32)).__name__,\n"
            "      _kernels.loaded('chainrule.nn._compiled').__name__)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "True", "chainrule.optim._compiled",
                                     "chainrule.nn._compiled"]


_LOAD_KERNELS = ("import warnings, numpy as np\n"
                 "warnings.simplefilter('always')\n"
                 "from chainrule import _kernels\n"
                 "from chainrule.optim import kernels\n"
                 "kernels.backend(np.dtype(np.float32))\n"
                 "kernels.wait_for_compiled()\n"
                 "print(_kernels.loaded(kernels.COMPILED) is not None,\n"
                 "      _kernels.loaded('chainrule.nn._compiled') is not None)\n")


def test_an_unreadable_numba_cache_is_compiled_afresh_and_named(tmp_path):
    """A truncated or foreign cache file must not leave training on NumPy's slower passes
    without a word: the kernels compile afresh, and a warning says which cache to delete."""
    if not HAS_NUMBA:
        pytest.skip("numba is not installed (pip install chainrule[fast])")
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = [sys.executable, "-c", _LOAD_KERNELS]
    first = subprocess.run(run, capture_output=True, text=True, check=True, env=environment)
    assert first.stdout.split() == ["True", "True"] and "RuntimeWarning" not in first.stderr
    cache_files = sorted(tmp_path.rglob("*.nbi"))
    assert cache_files
    for path in cache_files:
        path.write_bytes(b"\x80\x04not a numba index")
    second = subprocess.run(run, capture_output=True, text=True, check=True, env=environment)
    assert second.stdout.split() == ["True", "True"]
    assert "numba's cache of chainrule.optim._compiled could not be read" in second.stderr
    assert "compiled afresh" in second.stderr


def test_float16_parameters_are_updated_by_the_numpy_kernel():
    parameter = cr.Tensor(np.ones(4, np.float16), requires_grad=True)
    optimizer = optim.Adam([parameter], lr=0.25)
    parameter.grad = np.ones(4, np.float16)
    optimizer.step()
    assert parameter.dtype == np.float16
    np.testing.assert_allclose(parameter.data, 0.75, rtol=1e-3)
    assert kernels.backend(np.dtype(np.float16)) is kernels


def test_an_mlp_adam_step_through_the_public_api_is_one_kernel_call(monkeypatch):
    calls = []

    class Counting:
        def adam(self, parameter, *rest):
            calls.append(parameter.size)
            kernels.adam(parameter, *rest)

    kernels.backend()
    kernels.wait_for_compiled()
    _serve(monkeypatch, Counting())
    model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(0))
    optimizer = cr.optim.Adam(model.parameters())
    loss = cr.nn.functional.cross_entropy(model(np.ones((2, 6), np.float32)), np.array([0, 2]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert calls == [6 * 5 + 5 + 5 * 3 + 3]
