"""What the tests of numba's layer and loss passes share: switching the passes on and off,
and comparing what runs with them to what runs without, bit for bit."""

import numpy as np

from chainrule import _kernels
from chainrule.nn import _fused


def serve(monkeypatch, module):
    """Make `module` (None: NumPy's calls) serve the layers' and the loss's passes."""
    monkeypatch.setitem(_kernels._modules, _fused.COMPILED, module)


def same_bits(expected, got):
    """Equal arrays with equal signs of zero (NaN payloads may differ: NaN is NaN)."""
    assert expected.dtype == got.dtype and expected.shape == got.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(expected[expected == 0]))


def same_with_and_without(monkeypatch, compiled, run, *args):
    """`run(*args)` (a list of arrays) gives the same bits with NumPy's calls and with the
    compiled passes."""
    serve(monkeypatch, None)
    expected = run(*args)
    serve(monkeypatch, compiled)
    got = run(*args)
    for want, have in zip(expected, got, strict=True):
        same_bits(want, have)
