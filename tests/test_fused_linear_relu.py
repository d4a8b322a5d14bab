"""linear_relu's numba passes (bias + ReLU forward; mask + bias sums backward) give NumPy's
values, bit for bit, and serve the MLP's training step once loaded."""

import importlib.util

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import _fused
from chainrule.nn.functional import linear_relu
from kernel_helpers import same_bits, same_with_and_without, serve

HAS_NUMBA = importlib.util.find_spec("numba") is not None
pytestmark = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed "
                                "(pip install chainrule[fast])")


@pytest.fixture(scope="module")
def compiled():
    return importlib.import_module(_fused.COMPILED)


def _hostile(rng, shape, dtype):
    """Normal values with zeros of both signs, NaN and infinities sprinkled in."""
    values = rng.standard_normal(shape).astype(dtype)
    flat = values.reshape(-1)
    flat[::7], flat[::11], flat[::13], flat[::17] = -0.0, np.nan, np.inf, -np.inf
    flat[::19] = 0.0
    return values


def _run(x, weight, bias, g):
    """linear_relu's output and the gradients of x, weight and bias for cotangent g."""
    tensors = [cr.Tensor(value, requires_grad=True) for value in (x, weight, bias)
               if value is not None]
    out = linear_relu(*tensors, *([None] if bias is None else []))
    with np.errstate(invalid="ignore"):
        out.backward(g)
    return [out.data] + [tensor.grad for tensor in tensors]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, features", [((128, 784), 512), ((1, 7), 3), ((5, 1), 9),
                                               ((2, 3, 6), 4), ((0, 5), 4)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_the_numba_passes_give_numpys_values(compiled, monkeypatch, dtype, x_shape, features,
                                             with_bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal((features, x_shape[-1])).astype(dtype)
    bias = _hostile(rng, features, dtype) if with_bias else None
    g = _hostile(rng, x_shape[:-1] + (features,), dtype)
    same_with_and_without(monkeypatch, compiled, _run, x, weight, bias, g)


def test_the_numba_passes_run_for_the_mlp_and_numpys_for_what_they_do_not_fit(monkeypatch,
                                                                              compiled):
    calls = []

    class Counting:
        def bias_relu(self, *args):
            calls.append("bias_relu")
            compiled.bias_relu(*args)

        def relu_backward(self, *args):
            calls.append("relu_backward")
            compiled.relu_backward(*args)

        def __getattr__(self, name):  # the loss's passes
            return getattr(compiled, name)

    serve(monkeypatch, Counting())
    model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(0))
    loss = cr.nn.functional.cross_entropy(model(np.ones((2, 6), np.float32)), np.array([0, 2]))
    loss.backward()
    assert calls == ["bias_relu", "relu_backward"]
    calls.clear()
    x = cr.Tensor(np.ones((6, 4)).T, requires_grad=True)  # mixed dtypes, strided cotangent
    out = linear_relu(x, model.layers[0].weight, model.layers[0].bias)
    out.backward(np.ones((5, 4), np.float32).T)
    assert calls == []


def test_the_fused_pass_feeds_the_bias_gradient_into_its_flat_buffer(compiled, monkeypatch):
    serve(monkeypatch, compiled)
    model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(0))
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    cr.nn.functional.cross_entropy(model(x), np.array([0, 1, 2, 0])).backward()
    bias = model.layers[0].bias
    assert bias.grad is bias.gradient_slot.view
    expected = (np.ones(4, np.float32) @ _pre_activation_gradient(model, x)).astype(np.float32)
    np.testing.assert_allclose(bias.grad, expected, rtol=1e-5)
    optimizer.step()


def _pre_activation_gradient(model, x):
    """d(loss)/d(first layer's pre-activation), from the plain chain rule in float64."""
    w1, b1 = model.layers[0].weight.data.astype(float), model.layers[0].bias.data.astype(float)
    w2, b2 = model.layers[2].weight.data.astype(float), model.layers[2].bias.data.astype(float)
    z1 = x @ w1.T + b1
    z2 = np.maximum(z1, 0) @ w2.T + b2
    y = np.exp(z2 - z2.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    y[np.arange(4), [0, 1, 2, 0]] -= 1
    return (y / 4) @ w2 * (z1 > 0)


def test_second_order_through_linear_relu_is_unchanged_by_the_kernels(compiled, monkeypatch):
    rng = np.random.default_rng(2)
    x, weight, bias = (rng.standard_normal(shape) for shape in ((3, 4), (5, 4), (5,)))

    def loss(w):
        return cr.numpy.sum(linear_relu(x, w, bias) ** 2)

    serve(monkeypatch, None)
    expected = cr.hessian(loss)(weight)
    serve(monkeypatch, compiled)
    np.testing.assert_array_equal(cr.hessian(loss)(weight), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf - inf, NaN sums
def test_each_kernel_gives_numpys_bits_on_hostile_values(compiled, dtype):
    rng = np.random.default_rng(3)
    out, bias = _hostile(rng, (64, 33), dtype), _hostile(rng, 33, dtype)
    out[:, 0], bias[0] = -0.0, -0.0  # a column whose sums stay -0.0 before the ReLU
    expected = out.copy()
    expected += bias
    np.maximum(expected, 0, out=expected)
    compiled.bias_relu(out, bias)
    same_bits(expected, out)

    g, ans = _hostile(rng, (64, 33), dtype), np.abs(_hostile(rng, (64, 33), dtype))
    g[:, 1], ans[:, 1] = -0.0, 1.0  # a column of -0.0 kept by the mask: its sum is +0.0
    masked = g * (ans > 0)
    sums = masked.sum(axis=0)
    got_masked, got_sums = np.empty_like(g), np.empty(33, dtype)
    compiled.relu_backward(g, ans, got_masked, got_sums)
    same_bits(masked, got_masked)
    same_bits(sums, got_sums)
