"""The few-class labels cross-entropy's numba passes give NumPy's values, bit for bit,
check the labels as NumPy's path does, and serve the MLP's training step once loaded."""

import importlib.util

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ShapeError
from chainrule.nn import _fused
from chainrule.nn.functional import cross_entropy
from kernel_helpers import same_bits, same_with_and_without, serve

HAS_NUMBA = importlib.util.find_spec("numba") is not None
pytestmark = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed "
                                "(pip install chainrule[fast])")


@pytest.fixture(scope="module")
def compiled():
    module = importlib.import_module(_fused.COMPILED)
    module.warm_up()
    return module


def _run(logits, labels, reduction, g=None):
    """The loss and its gradient with respect to the logits."""
    tensor = cr.Tensor(logits, requires_grad=True)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in NumPy's passes
        loss = cross_entropy(tensor, labels, reduction=reduction)
        loss.backward(g)
    return loss.data, tensor.grad


def _logits(rng, rows, classes, dtype, hostile):
    values = (rng.standard_normal((rows, classes)) * 4).astype(dtype)
    if hostile and values.size:
        flat = values.reshape(-1)
        flat[::5], flat[::7], flat[::11] = -0.0, 0.0, 80.0
        flat[::13], flat[::17], flat[::19] = np.inf, -np.inf, np.nan
    return values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8, np.int16])
@pytest.mark.parametrize("rows, classes", [(128, 10), (1, 1), (5, 2), (300, 16), (0, 3),
                                           (7, 9), (64, 8)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("hostile", [False, True])
def test_the_numba_passes_give_numpys_values(compiled, monkeypatch, dtype, label_dtype, rows,
                                             classes, reduction, hostile):
    if reduction == "mean" and rows == 0:
        pytest.skip("no rows have no mean: a ShapeError before either path")
    rng = np.random.default_rng(rows * 31 + classes)
    logits = _logits(rng, rows, classes, dtype, hostile)
    labels = rng.integers(0, classes, rows).astype(label_dtype)
    g = (rng.standard_normal(rows) * 3).astype(dtype) if reduction == "none" else None
    same_with_and_without(monkeypatch, compiled, _run, logits, labels, reduction, g)


@pytest.mark.parametrize("bad", [-1, 10, 255])
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
def test_labels_out_of_range_raise_the_same_error_with_and_without_the_passes(
        compiled, monkeypatch, bad, label_dtype):
    if bad < 0 and label_dtype is np.uint8:
        pytest.skip("uint8 has no negative labels")
    labels = np.array([3, bad, 0, 9], dtype=label_dtype)
    logits = np.zeros((4, 10), np.float32)
    messages = []
    for module in (None, compiled):
        serve(monkeypatch, module)
        with pytest.raises(ShapeError, match="labels must be in 0..9") as raised:
            cross_entropy(cr.Tensor(logits, requires_grad=True), labels)
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and f"to {max(bad, 9)}" in messages[0]


def test_what_the_passes_do_not_fit_takes_numpys_calls(compiled, monkeypatch):
    calls = []

    class Counting:
        def __getattr__(self, name):
            kernel = getattr(compiled, name)
            if not callable(kernel):
                return kernel

            def counted(*args):
                calls.append(name)
                return kernel(*args)

            return counted

    serve(monkeypatch, Counting())
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 0, 1])
    expected = _run(logits, labels, "mean")
    assert calls == ["shifted_columns", "normalised_columns", "softmax_gradient"]
    for logits_, labels_ in [(np.asfortranarray(logits), labels),  # strided logits
                             (logits, labels.astype(np.int16)),  # a label dtype not built
                             (logits, np.repeat(labels, 2)[::2])]:  # strided labels
        calls.clear()
        got = _run(logits_, labels_, "mean")
        assert calls == ["softmax_gradient"]  # the backward pass fits all of them
        for want, have in zip(expected, got, strict=True):
            same_bits(want, have)


def test_a_training_step_takes_the_passes_and_learns_as_without_them(compiled, monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 6)).astype(np.float32)
    y = rng.integers(0, 3, 32).astype(np.uint8)
    weights = []
    for module in (None, compiled):
        serve(monkeypatch, module)
        model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(0))
        optimizer = cr.optim.SGD(model.parameters(), lr=0.5)
        for _ in range(5):
            optimizer.zero_grad()
            cross_entropy(model(x), y).backward()
            optimizer.step()
        weights.append([p.data.copy() for p in model.parameters()])
    for want, have in zip(*weights, strict=True):
        same_bits(want, have)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_compiles_nothing_beyond_the_warm_up(compiled, monkeypatch, label_dtype,
                                                      dtype):
    """A signature the warm-up did not build would compile on the training thread, a
    stall of about a second in the middle of an epoch."""
    serve(monkeypatch, compiled)
    kernels = [compiled.shifted_columns, compiled.normalised_columns, compiled.softmax_gradient,
               compiled.bias_relu, compiled.relu_backward]
    built = [len(kernel.signatures) for kernel in kernels]
    model = cr.nn.MLP((6, 5, 3), rng=np.random.default_rng(0), dtype=dtype)
    x = np.random.default_rng(1).standard_normal((8, 6)).astype(dtype)
    labels = np.arange(8).astype(label_dtype) % 3
    cross_entropy(model(x), labels).backward()
    logits = model(x).data
    labels.flags.writeable = False  # a memory-mapped dataset's: numba types it apart
    cross_entropy(logits, labels)
    logits.flags.writeable = False
    cross_entropy(logits, labels.copy())
    assert [len(kernel.signatures) for kernel in kernels] == built
