"""scipy.special's ufuncs on Tensors: SciPy's values, exact derivatives, float32 kept.

Derivatives are checked against float64 central finite differences to second order in
reverse and forward mode, with hypothesis-drawn (broadcast) shapes.
"""

import subprocess
import sys
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr

special = pytest.importorskip("scipy.special")
from chainrule.scipy import special as cr_special  # noqa: E402 - needs SciPy

RNG = np.random.default_rng(1)


def positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def anywhere(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def away_from_zero(shape):
    return RNG.choice([-1, 1], size=shape) * RNG.uniform(0.5, 2.0, size=shape)


def unit(shape):
    return RNG.uniform(0.1, 0.9, size=shape)


def symmetric_unit(shape):
    return RNG.uniform(-0.9, 0.9, size=shape)


def below_two(shape):
    return RNG.uniform(0.1, 1.9, size=shape)


UNARY = {
    "scipy.special.gammaln": (special.gammaln, positive),
    "scipy.special.gammasgn": (special.gammasgn, away_from_zero),
    "scipy.special.gamma": (special.gamma, positive),
    "scipy.special.psi/digamma": (special.digamma, positive),
    "scipy.special.psi": (special.psi, positive),
    "scipy.special.rgamma": (special.rgamma, positive),
    "scipy.special.loggamma": (special.loggamma, positive),
    "scipy.special.dawsn": (special.dawsn, anywhere),
    "scipy.special.exp1": (special.exp1, positive),
    "scipy.special.expi": (special.expi, positive),
    "scipy.special.erf": (special.erf, anywhere),
    "scipy.special.erfc": (special.erfc, anywhere),
    "scipy.special.erfcx": (special.erfcx, anywhere),
    "scipy.special.erfinv": (special.erfinv, symmetric_unit),
    "scipy.special.erfcinv": (special.erfcinv, below_two),
    "scipy.special.ndtr": (special.ndtr, anywhere),
    "scipy.special.log_ndtr": (special.log_ndtr, anywhere),
    "scipy.special.ndtri": (special.ndtri, unit),
    "scipy.special.expit": (special.expit, anywhere),
    "scipy.special.log_expit": (special.log_expit, anywhere),
    "scipy.special.logit": (special.logit, unit),
    "scipy.special.entr": (special.entr, positive),
    "scipy.special.i0": (special.i0, anywhere),
    "scipy.special.i1": (special.i1, anywhere),
    "scipy.special.i0e": (special.i0e, away_from_zero),
    "scipy.special.i1e": (special.i1e, away_from_zero),
    "scipy.special.j0": (special.j0, anywhere),
    "scipy.special.j1": (special.j1, anywhere),
    "scipy.special.y0": (special.y0, positive),
    "scipy.special.y1": (special.y1, positive),
    "scipy.special.jv/jn_order_2": (lambda x: special.jn(2, x), anywhere),
    "scipy.special.jv/order_half": (lambda x: special.jv(0.5, x), positive),
    "scipy.special.yn/order_2": (lambda x: special.yn(2, x), positive),
    "scipy.special.yv/order_three_halves": (lambda x: special.yv(1.5, x), positive),
    "scipy.special.iv/order_three_halves": (lambda x: special.iv(1.5, x), positive),
    "scipy.special.ive/order_3": (lambda x: special.ive(3, x), away_from_zero),
    "scipy.special.gammainc": (lambda x: special.gammainc(1.7, x), positive),
    "scipy.special.gammaincc": (lambda x: special.gammaincc(1.7, x), positive),
    "scipy.special.betainc": (lambda x: special.betainc(1.5, 2.5, x), unit),
    "scipy.special.betaincc": (lambda x: special.betaincc(1.5, 2.5, x), unit),
    "scipy.special.stdtr": (lambda x: special.stdtr(3.5, x), anywhere),
}

BINARY = {
    "scipy.special.poch": (special.poch, positive, positive),
    "scipy.special.binom": (special.binom, lambda shape: positive(shape) + 3, positive),
    "scipy.special.beta": (special.beta, positive, positive),
    "scipy.special.betaln": (special.betaln, positive, positive),
    "scipy.special.xlogy": (special.xlogy, anywhere, positive),
    "scipy.special.xlog1py": (special.xlog1py, anywhere, positive),
    "scipy.special.rel_entr": (special.rel_entr, positive, positive),
    "scipy.special.kl_div": (special.kl_div, positive, positive),
}

GRADIENT_TABLES = [UNARY, BINARY]
"""Seen by tests/test_ops_gradients.py's check that every dispatched op has a row."""

NO_DERIVATIVE_IN_FIRST_ARGUMENT = {
    "jv": (special.jv, 1.5, 2.0),
    "jn": (special.jn, 2.0, 2.0),
    "yv": (special.yv, 1.5, 2.0),
    "yn": (special.yn, 2.0, 2.0),
    "iv": (special.iv, 1.5, 2.0),
    "ive": (special.ive, 1.5, 2.0),
    "gammainc": (special.gammainc, 1.5, 2.0),
    "gammaincc": (special.gammaincc, 1.5, 2.0),
    "stdtr": (special.stdtr, 3.0, 0.5),
}


def check(f, *args):
    cr.check_grads(f, args, order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=array_shapes(min_dims=0, max_dims=2, max_side=2))
def test_special_function_derivatives_match_finite_differences(name, shape):
    f, sample = UNARY[name]
    check(f, sample(shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
def test_binary_special_function_derivatives_broadcast(name, shapes):
    f, sample_x, sample_y = BINARY[name]
    x_shape, y_shape = shapes.input_shapes
    check(f, sample_x(x_shape), sample_y(y_shape))


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(BINARY))
def test_special_function_on_tensors_gives_scipys_value_and_keeps_float32(name):
    if name in UNARY:
        f, *samples = UNARY[name]
    else:
        f, *samples = BINARY[name]
    args = [sample((2, 3)).astype(np.float32) for sample in samples]
    out = f(*[cr.Tensor(a) for a in args])
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), f(*args), rtol=1e-6)
    grads = cr.grad(lambda *a: f(*a).sum(), argnums=tuple(range(len(args))))(*args)
    assert [g.dtype for g in grads] == [np.float32] * len(args)


def test_integer_order_does_not_promote_float32():
    x = positive((3,)).astype(np.float32)
    assert special.yn(np.array([1, 2, 3]), cr.Tensor(x)).dtype == np.float32
    assert cr.grad(lambda x: special.jn(np.array([0, 1, 2]), x).sum())(x).dtype == np.float32


@pytest.mark.parametrize("name", sorted(NO_DERIVATIVE_IN_FIRST_ARGUMENT))
def test_argument_without_closed_form_derivative_raises_never_zero(name):
    f, order, x = NO_DERIVATIVE_IN_FIRST_ARGUMENT[name]
    with pytest.raises(cr.GradientError, match=f"scipy.special.{f.__name__}.*argument 0"):
        cr.grad(lambda v: f(v, x))(order)
    assert cr.grad(lambda x: f(order, x))(x) != 0


def test_derivatives_equal_closed_forms():
    x = np.array([0.3, 1.0, 2.5])
    np.testing.assert_allclose(cr.grad(lambda x: special.gammaln(x).sum())(x), special.psi(x))
    np.testing.assert_allclose(
        cr.grad(lambda x: special.erf(x).sum())(x), 2 / np.sqrt(np.pi) * np.exp(-x * x)
    )
    np.testing.assert_allclose(cr.grad(lambda x: special.j0(x).sum())(x), -special.j1(x))
    np.testing.assert_allclose(
        cr.grad(lambda x: special.digamma(x).sum())(x), special.polygamma(1, x)
    )
    np.testing.assert_allclose(
        cr.hessian(lambda x: special.gammaln(x).sum())(x), np.diag(special.polygamma(1, x))
    )


def test_xlogy_is_finite_at_zero_with_a_zero_gradient_in_y():
    gx, gy = cr.grad(lambda x, y: special.xlogy(x, y), argnums=(0, 1))(0.0, 0.0)
    assert gy == 0.0 and gx == -np.inf


def test_chainrule_works_and_never_imports_scipy_when_scipy_is_missing():
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "import numpy as np, chainrule as cr\n"
        "print(cr.grad(lambda x: np.exp(x).sum())(np.zeros(2)))\n"
        "try:\n    np.frexp(cr.Tensor(np.ones(2)))\nexcept TypeError:\n    print('TypeError')\n"
        "import chainrule.scipy\n"
        "try:\n    chainrule.scipy.stats\nexcept ImportError as e:\n    print(e.msg[:33])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[1. 1.]", "TypeError", "chainrule.scipy.stats needs SciPy"
    ]


def axes(ndim):
    """Every axis argument NumPy accepts for an ndim array: None, an int, a tuple."""
    return st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    )


@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=2), data=st.data())
def test_logsumexp_with_weights_matches_scipy_and_finite_differences(shape, data):
    axis = data.draw(axes(len(shape)))
    keepdims = data.draw(st.booleans())
    a, b = anywhere(shape), positive(shape)
    f = partial(cr_special.logsumexp, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(f(a, b=b), special.logsumexp(a, axis, b, keepdims))
    np.testing.assert_allclose(f(a), special.logsumexp(a, axis, keepdims=keepdims))
    check(lambda a, b: f(a, b=b), a, b)
    check(f, a)


def test_logsumexp_with_signed_weights_returns_scipys_sign():
    a, b = anywhere((3, 4)), anywhere((3, 4))
    out, sign = cr_special.logsumexp(a, axis=1, b=b, return_sign=True)
    expected_out, expected_sign = special.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(out, expected_out)
    np.testing.assert_array_equal(sign, expected_sign)
    check(lambda a, b: cr_special.logsumexp(a, axis=1, b=b, return_sign=True)[0], a, b)
    with np.errstate(all="ignore"):
        negative = cr_special.logsumexp(np.zeros(2), b=np.array([-1.0, -2.0]))
    assert np.isnan(negative)


def test_logsumexp_is_finite_for_huge_logits_and_zero_weights():
    a = np.array([1e4, -1e4, 5.0])
    b = np.array([1.0, 2.0, 0.0])
    np.testing.assert_allclose(cr_special.logsumexp(a, b=b), special.logsumexp(a, b=b))
    assert np.all(np.isfinite(cr.grad(lambda a: cr_special.logsumexp(a, b=b))(a)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_softmax_over_any_axes_matches_scipy_and_finite_differences(name, axis):
    ours, theirs = getattr(cr_special, name), getattr(special, name)
    x = anywhere((2, 3))
    np.testing.assert_allclose(ours(x, axis=axis), theirs(x, axis=axis))
    check(lambda x: ours(x, axis=axis), x)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_multigammaln_matches_scipy_and_finite_differences(d):
    a = RNG.uniform(2.0, 3.0, size=(2, 3))
    np.testing.assert_allclose(cr_special.multigammaln(a, d), special.multigammaln(a, d))
    check(lambda a: cr_special.multigammaln(a, d), a)
    assert cr_special.multigammaln(np.float32(2.5), d).dtype == np.float32
    with pytest.raises(ValueError, match="greater than"):
        cr_special.multigammaln(0.2, 3)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma_matches_scipy_and_finite_differences(n):
    x = positive((2, 2))
    np.testing.assert_allclose(cr_special.polygamma(n, x), special.polygamma(n, x))
    check(lambda x: cr_special.polygamma(n, x), x)
    with pytest.raises(cr.GradientError, match="polygamma.*argument 0"):
        cr.grad(lambda n: cr_special.polygamma(n, 1.5))(float(n))


def test_softplus_matches_scipy_and_finite_differences():
    x = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    np.testing.assert_allclose(cr_special.softplus(x), np.logaddexp(0, x))
    np.testing.assert_allclose(cr.grad(lambda x: cr_special.softplus(x).sum())(x),
                               special.expit(x))
    check(cr_special.softplus, anywhere((2, 2)))


@pytest.mark.parametrize(
    "call, replacement",
    [
        (lambda t: special.logsumexp(t), "chainrule.scipy.special.logsumexp"),
        (lambda t: special.polygamma(1, t), "chainrule.scipy.special.polygamma"),
        (lambda t: special.multigammaln(t, 2), "chainrule.scipy.special.multigammaln"),
    ],
)
def test_scipys_own_function_on_a_tensor_names_the_replacement(call, replacement):
    with pytest.raises(cr.GradientError, match=replacement.replace(".", r"\.")):
        cr.grad(lambda x: call(x).sum())(positive((3,)) + 1)


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_error_function_of_complex_input_is_holomorphic(name):
    f = getattr(special, name)
    z = np.array([0.3 + 0.1j, -1.2 + 0.25j])
    np.testing.assert_allclose(f(cr.Tensor(z)).numpy(), f(z))
    cr.check_grads(lambda a, b: np.stack([np.real(f(a + 1j * b)), np.imag(f(a + 1j * b))]),
                   (z.real, z.imag), order=2, modes=("rev", "fwd"))
    sign = 1 if name == "erf" else -1
    np.testing.assert_allclose(cr.grad(f, holomorphic=True)(z[0]),
                               sign * 2 / np.sqrt(np.pi) * np.exp(-z[0] ** 2))


def test_unsupported_scipy_ufunc_and_keyword_arguments_are_named():
    x = cr.Tensor(np.array([1.5, 2.5]), requires_grad=True)
    with pytest.raises(TypeError, match=r"scipy\.special\.zeta on Tensors"):
        special.zeta(x, 2.0)
    with pytest.raises(TypeError, match=r"scipy\.special\.gammaln with keyword arguments"):
        special.gammaln(x, dtype=np.float32)


@pytest.mark.parametrize("name", ["scipy.special.gammaln", "scipy.special.jv/jn_order_2",
                                  "scipy.special.beta", "scipy.special.xlogy"])
def test_vjp_and_jvp_results_are_differentiable_in_cotangents_and_tangents(name):
    f, *samples = {**UNARY, **BINARY}[name]
    primals = [sample((2,)) for sample in samples]
    n = len(primals)
    cotangent = RNG.normal(size=np.shape(f(*primals)))
    for i in range(n):
        cr.check_grads(lambda *xs, i=i: cr.vjp(f, *xs[:n])[1](xs[n])[i], (*primals, cotangent),
                       modes=("rev", "fwd"))
    tangents = [RNG.normal(size=np.shape(p)) for p in primals]
    cr.check_grads(lambda *xs: cr.jvp(f, xs[:n], xs[n:])[1], (*primals, *tangents),
                   modes=("rev", "fwd"))
