"""Every op runs on arrays that refuse NumPy, as CuPy's do: no op falls back to NumPy.

Each row of the gradient tables (tests/test_ops_gradients.py and the tables kept beside
their own tests) runs on StrictArrays (tests/strict_array.py): the value, a VJP, a JVP and
a second-order pass through the function that `vjp` returns (which runs the VJPs on
Tensors, recording a graph). Any array handed to NumPy, any NumPy array handed to the
device's module and any Tensor handed to either raises, so a pass is proof that the op
takes its array module from its inputs. The results must equal the NumPy run's, whose
derivatives the other tests check against finite differences.
"""

import numpy as np
import pytest

import chainrule as cr
import test_fft
import test_linalg_gradients as linalg_tables
import test_numpy_coverage as coverage
import test_ops_gradients as ops_tables
from strict_array import StrictArray, to_host, to_strict, use_strict_device

RNG = np.random.default_rng(7)


def _linalg_rows():
    rng = np.random.default_rng(3)
    general, rectangular = linalg_tables.general, linalg_tables.rectangular
    rows = [(key, f, [sample(rng, (3, 3))]) for key, (f, sample) in linalg_tables.SQUARE.items()]
    rows += [(key, f, [rectangular(rng, (4, 3))]) for key, f in linalg_tables.RECTANGULAR.items()]
    rows += [(key, f, [general(rng, (2, 3, 3))]) for key, f in linalg_tables.ARRAY_API.items()]
    rows += [
        (key, f, [(general if len(s) > 1 and s[-1] == s[-2] else rectangular)(rng, s)
                  for s in shapes])
        for key, (f, shapes) in linalg_tables.SEVERAL_INPUTS.items()
    ]
    rows += [
        (key, f, [sample(rng, (2, 2) if key.startswith("eig/complex_spectrum") else (3, 3))])
        for key, (f, sample) in linalg_tables.COMPLEX.items()
    ]
    return rows


def _fft_rows():
    rows = []
    for key, f in test_fft.GRADIENT_TABLES[0].items():
        name = key.split(".", 1)[1]
        x = ops_tables.anywhere((3, 4))
        if name not in test_fft.REAL_INPUT_ONLY and name not in test_fft.SHIFTS:
            x = x + 1j * ops_tables.anywhere((3, 4))
        rows.append((key, f, [x]))
    return rows


def _coverage_rows():
    rows = [(k, f, [sample((2, 3))]) for k, (f, sample) in coverage.UNARY.items()]
    rows += [(k, f, [sx((2, 3)), sy((3,))]) for k, (f, sx, sy) in coverage.BINARY.items()]
    rows += [
        (k, lambda x, r=reduce: r(x, 1), [ops_tables.anywhere((3, 3, 3))])
        for k, reduce in coverage.REDUCTIONS.items()
    ]
    rows += [
        (k, f, [ops_tables.away_from_zero(s) for s in shapes])
        for k, (f, shapes) in coverage.STRUCTURAL.items()
    ]
    return rows


ROWS = ops_tables.every_row() + _coverage_rows() + _linalg_rows() + _fft_rows()

USER_NUMPY_CONSTANTS = {
    "average/weighted": "the row's own weights are a NumPy array (np.arange)",
}
"""Rows whose function itself builds a NumPy array and mixes it with the inputs: on a
device the user writes the device module's array there (cupy.arange)."""


def _real(f):
    """f with complex outputs as stacked real and imaginary parts (one real output)."""

    def real_valued(*args):
        out = f(*args)
        return np.stack([np.real(out), np.imag(out)]) if np.iscomplexobj(out) else out

    return real_valued


def _passes(f, args, cotangent, tangents, device):
    """Value, VJP, JVP and a second-order pass, each as NumPy arrays."""
    put = to_strict if device else (lambda a: a)
    inputs = [put(a) for a in args]
    n = len(inputs)
    value, pullback = cr.vjp(f, *inputs)
    first = pullback(put(cotangent))
    _, along = cr.jvp(f, tuple(inputs), tuple(put(t) for t in tangents))
    _, second_pullback = cr.vjp(
        lambda *xs: cr.vjp(f, *xs[:n])[1](xs[n])[0], *inputs, put(cotangent)
    )
    second = second_pullback(put(tangents[0]))
    return to_host([value, list(first), along, list(second)])


@pytest.mark.parametrize("key, f, args", ROWS, ids=[row[0] for row in ROWS])
def test_op_runs_on_strict_device_arrays_and_matches_numpy(key, f, args):
    if key in USER_NUMPY_CONSTANTS:
        pytest.skip(USER_NUMPY_CONSTANTS[key])
    f = _real(f)
    with np.errstate(all="ignore"):
        value = f(*[cr.Tensor(a) for a in args])
    cotangent = RNG.normal(size=np.shape(value.data))
    tangents = [
        RNG.normal(size=np.shape(a)) + (1j * RNG.normal(size=np.shape(a)) if np.iscomplexobj(a)
                                        else 0)
        for a in args
    ]
    want = _passes(f, args, cotangent, tangents, device=False)
    with use_strict_device():
        got = _passes(f, args, cotangent, tangents, device=True)
    _assert_same(got, want, key)


def _assert_same(got, want, where):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), where
        for g, w in zip(got, want):
            _assert_same(g, w, where)
        return
    assert not isinstance(got, StrictArray), where
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9, atol=1e-12,
                               err_msg=where)


def test_grad_jacobian_and_hessian_run_on_strict_device_arrays():
    def f(w, x):
        return np.sum(np.tanh(x @ w) ** 2) + np.log(np.sum(np.exp(w)))

    w, x = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 3))
    want = [cr.grad(f)(w, x), cr.jacobian(lambda w: np.tanh(x @ w))(w), cr.hessian(f)(w, x)]
    with use_strict_device():
        sw, sx = to_strict(w), to_strict(x)
        got = [cr.grad(f)(sw, sx), cr.jacobian(lambda w: np.tanh(sx @ w))(sw),
               cr.hessian(f)(sw, sx)]
        assert all(isinstance(g, StrictArray) for g in got)
    _assert_same(to_host(got), want, "grad, jacobian, hessian")


def test_tensor_to_device_and_back_carries_gradients_to_the_original_device():
    x = cr.Tensor(np.arange(3.0), requires_grad=True)
    with use_strict_device():
        on_device = x.to("strict")
        assert on_device.device == "strict" and isinstance(on_device.data, StrictArray)
        assert x.to("cpu") is x and on_device.to("strict") is on_device
        loss = (on_device * on_device).sum().to("cpu")
        loss.backward()
        assert isinstance(x.grad, np.ndarray)
        np.testing.assert_array_equal(x.grad, [0.0, 2.0, 4.0])
        np.testing.assert_array_equal(cr.asnumpy(on_device), [0.0, 1.0, 2.0])
        with pytest.raises(TypeError, match="cr.asnumpy"):
            np.asarray(on_device.detach())


def test_unknown_and_missing_devices_fail_in_one_line():
    with pytest.raises(cr.DeviceError, match="unknown device 'tpu'"):
        cr.Tensor(1.0, device="tpu")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(cr.DeviceError, match="needs CuPy, which is not installed"):
            cr.Tensor(1.0, device="cuda")
