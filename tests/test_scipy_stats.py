"""chainrule.scipy.stats: SciPy's values, exact derivatives in every continuous argument,
float32 kept, and a clear error for the discrete ones.

Derivatives are checked against float64 central finite differences to second order in
reverse and forward mode, on hypothesis-drawn shapes that broadcast against each other.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr

scipy_stats = pytest.importorskip("scipy.stats")
from chainrule.scipy import stats  # noqa: E402 - needs SciPy

RNG = np.random.default_rng(2)


def uniform(low, high):
    return lambda shape: RNG.uniform(low, high, size=shape)


def counts(low, high):
    return lambda shape: RNG.integers(low, high, size=shape).astype(float)


ANY = uniform(-2.0, 2.0)
POSITIVE = uniform(0.5, 2.0)
SHAPE = uniform(1.2, 3.0)
UNIT = uniform(0.1, 0.9)
SMALL_SHIFT = uniform(-0.3, 0.3)
TINY_SHIFT = uniform(-0.05, 0.05)
NEAR_ONE = uniform(1.0, 1.1)
DEGREES = uniform(2.1, 5.0)

LOC_SCALE = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")

# name: (samplers, one per argument; the arguments that carry a derivative)
CONTINUOUS = {
    **{f"norm.{f}": ((ANY, ANY, POSITIVE), (0, 1, 2)) for f in LOC_SCALE},
    "norm.ppf": ((UNIT, ANY, POSITIVE), (0, 1, 2)),
    "norm.isf": ((UNIT, ANY, POSITIVE), (0, 1, 2)),
    **{f"t.{f}": ((ANY, DEGREES, ANY, POSITIVE), (0, 1, 2, 3)) for f in ("logpdf", "pdf")},
    **{f"t.{f}": ((ANY, DEGREES, ANY, POSITIVE), (0, 2, 3)) for f in LOC_SCALE[2:]},
    **{f"gamma.{f}": ((POSITIVE, SHAPE, SMALL_SHIFT, POSITIVE), (0, 1, 2, 3))
       for f in ("logpdf", "pdf")},
    **{f"gamma.{f}": ((POSITIVE, SHAPE, SMALL_SHIFT, POSITIVE), (0, 2, 3)) for f in LOC_SCALE[2:]},
    **{f"chi2.{f}": ((POSITIVE, SHAPE, SMALL_SHIFT, POSITIVE), (0, 1, 2, 3))
       for f in ("logpdf", "pdf")},
    **{f"chi2.{f}": ((POSITIVE, SHAPE, SMALL_SHIFT, POSITIVE), (0, 2, 3)) for f in LOC_SCALE[2:]},
    **{f"beta.{f}": ((UNIT, SHAPE, SHAPE, TINY_SHIFT, NEAR_ONE), (0, 1, 2, 3, 4))
       for f in ("logpdf", "pdf")},
    **{f"beta.{f}": ((UNIT, SHAPE, SHAPE, TINY_SHIFT, NEAR_ONE), (0, 3, 4))
       for f in LOC_SCALE[2:]},
    **{f"expon.{f}": ((POSITIVE, SMALL_SHIFT, POSITIVE), (0, 1, 2)) for f in LOC_SCALE},
    **{f"laplace.{f}": ((ANY, ANY, POSITIVE), (0, 1, 2)) for f in LOC_SCALE},
    **{f"cauchy.{f}": ((ANY, ANY, POSITIVE), (0, 1, 2)) for f in LOC_SCALE},
    **{f"logistic.{f}": ((ANY, ANY, POSITIVE), (0, 1, 2)) for f in LOC_SCALE},
    **{f"poisson.{f}": ((counts(0, 6), POSITIVE), (1,))
       for f in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")},
    **{f"binom.{f}": ((counts(0, 3), counts(3, 6), UNIT), (2,))
       for f in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")},
}


def functions(name):
    distribution, function = name.split(".")
    return (
        getattr(getattr(stats, distribution), function),
        getattr(getattr(scipy_stats, distribution), function),
    )


def sample(name, shapes, dtype=np.float64):
    samplers, _ = CONTINUOUS[name]
    return [sampler(shape).astype(dtype) for sampler, shape in zip(samplers, shapes)]


def differentiated(f, args, argnums):
    """f as a function of the arguments in `argnums` only (the others held fixed)."""

    def of(*varied):
        full = list(args)
        for i, value in zip(argnums, varied):
            full[i] = value
        return f(*full)

    return of, [args[i] for i in argnums]


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
@settings(max_examples=8)  # each example is a second-order check in every argument
@given(data=mutually_broadcastable_shapes(num_shapes=5, max_dims=2, max_side=2))
def test_distribution_matches_scipy_and_finite_differences(name, data):
    ours, theirs = functions(name)
    samplers, argnums = CONTINUOUS[name]
    args = sample(name, data.input_shapes[: len(samplers)])
    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-9, atol=1e-12)
    f, varied = differentiated(ours, args, argnums)
    cr.check_grads(f, varied, order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_distribution_keeps_float32(name):
    ours, _ = functions(name)
    _, argnums = CONTINUOUS[name]
    args = sample(name, [(3,)] * 5, np.float32)
    assert ours(*[cr.Tensor(a) for a in args]).dtype == np.float32
    f, varied = differentiated(lambda *a: ours(*a).sum(), args, argnums)
    grads = cr.grad(f, argnums=tuple(range(len(varied))))(*varied)
    assert [g.dtype for g in grads] == [np.float32] * len(varied)


OUTSIDE = {
    "norm": [(np.array([-1.0, 0.0, 2.0]), 0.0, np.array([1.0, -1.0, 0.0]))],
    "gamma": [(np.array([-1.0, 0.0, 0.0, 2.0]), np.array([2.0, 2.0, 1.0, 0.5]))],
    "chi2": [(np.array([-1.0, 0.0, 0.0, 2.0]), np.array([3.0, 2.0, 1.0, -1.0]))],
    "beta": [(np.array([-0.5, 0.0, 1.0, 1.5, 0.5]), 2.0, np.array([2.0, 0.5, 3.0, 2.0, -1.0]))],
    "expon": [(np.array([-1.0, 0.0, 3.0]), 0.5, 2.0)],
    "laplace": [(np.array([-40.0, 0.0, 40.0]), 0.0, np.array([1.0, 1.0, -2.0]))],
    "t": [(np.array([-3.0, 0.0, 3.0]), np.array([1.0, -1.0, 30.0]))],
}


@pytest.mark.parametrize("distribution", sorted(OUTSIDE))
@pytest.mark.parametrize("function", LOC_SCALE)
def test_values_outside_the_support_and_for_bad_parameters_match_scipy(distribution, function):
    ours, theirs = functions(f"{distribution}.{function}")
    for args in OUTSIDE[distribution]:
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-9)


def test_discrete_values_outside_the_support_match_scipy():
    k = np.array([-1.0, 0.0, 2.5, 3.0, 7.0])
    for function in ("logpmf", "pmf", "cdf", "sf"):
        ours, theirs = functions(f"poisson.{function}")
        np.testing.assert_allclose(ours(k, 2.0), theirs(k, 2.0))
        ours, theirs = functions(f"binom.{function}")
        np.testing.assert_allclose(ours(k, 5, 0.3), theirs(k, 5, 0.3))


@pytest.mark.parametrize("distribution, args", [("poisson", (2.0,)), ("binom", (5.0, 0.3))])
def test_counts_refuse_a_gradient(distribution, args):
    logpmf = getattr(stats, distribution).logpmf
    with pytest.raises(cr.GradientError, match=f"{distribution}.logpmf: k is discrete"):
        cr.grad(lambda k: logpmf(k, *args))(2.0)


def test_cdf_shape_parameters_have_no_silent_zero_gradient():
    with pytest.raises(cr.GradientError, match="gammainc"):
        cr.grad(lambda a: stats.gamma.cdf(1.5, a))(2.0)
    with pytest.raises(cr.GradientError, match="stdtr"):
        cr.grad(lambda df: stats.t.cdf(0.5, df))(3.0)


def test_tails_stay_finite_where_scipy_is():
    x = np.array([-40.0, 40.0])
    for name in ("norm.logcdf", "norm.logsf", "logistic.logcdf", "laplace.logsf"):
        ours, theirs = functions(name)
        np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-9)
        assert np.all(np.isfinite(cr.grad(lambda x, ours=ours: ours(x).sum())(x)))


def psd(n):
    a = RNG.normal(size=(n, n))
    return a @ a.T + np.eye(n)


def symmetrized(f, argnum):
    """f of a covariance argument made symmetric, as finite differences must see it."""

    def of(*args):
        args = list(args)
        args[argnum] = 0.5 * (args[argnum] + np.swapaxes(args[argnum], -1, -2))
        return f(*args)

    return of


@pytest.mark.parametrize("function", ["logpdf", "pdf"])
@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 2, 3)])
def test_multivariate_normal_matches_scipy_and_finite_differences(function, x_shape):
    ours = getattr(stats.multivariate_normal, function)
    theirs = getattr(scipy_stats.multivariate_normal, function)
    x, mean, cov = RNG.normal(size=x_shape), RNG.normal(size=3), psd(3)
    np.testing.assert_allclose(ours(x, mean, cov), theirs(x, mean, cov), rtol=1e-9)
    cr.check_grads(symmetrized(ours, 2), (x, mean, cov), order=2, modes=("rev", "fwd"))


def test_multivariate_normal_entropy_and_scalar_forms_match_scipy():
    cov = psd(3)
    mvn, ref = stats.multivariate_normal, scipy_stats.multivariate_normal
    np.testing.assert_allclose(mvn.entropy(np.zeros(3), cov), ref.entropy(np.zeros(3), cov))
    cr.check_grads(symmetrized(lambda c: mvn.entropy(None, c), 0), (cov,), order=2,
                   modes=("rev", "fwd"))
    for args in [(0.3,), (np.array([0.1, 0.2]), 0.0, 2.0), (np.ones(2), np.zeros(2), [1.0, 2.0])]:
        np.testing.assert_allclose(mvn.logpdf(*args), ref.logpdf(*args))


def test_multivariate_normal_with_singular_covariance():
    cov = np.diag([1.0, 2.0, 0.0, 0.0])
    mean = np.concatenate([RNG.normal(size=2), np.zeros(2)])
    x = np.concatenate([RNG.normal(size=2), np.zeros(2)])
    mvn, ref = stats.multivariate_normal, scipy_stats.multivariate_normal
    for function in ("logpdf", "pdf"):
        ours = getattr(mvn, function)
        expected = getattr(ref, function)(x, mean, cov, allow_singular=True)
        np.testing.assert_allclose(ours(x, mean, cov, allow_singular=True), expected)

        def on_support(x, mean, ours=ours):
            x = np.concatenate([x[:2], mean[2:]])
            return ours(x, mean, cov, allow_singular=True)

        cr.check_grads(on_support, (x, mean), order=2, modes=("rev", "fwd"))
    off_support = x + np.array([0.0, 0.0, 1.0, 0.0])
    assert mvn.logpdf(off_support, mean, cov, allow_singular=True) == -np.inf
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular"):
        mvn.logpdf(x, mean, cov)


def test_dirichlet_matches_scipy_and_finite_differences():
    alpha = RNG.uniform(1.2, 3.0, size=4)
    x = scipy_stats.dirichlet.rvs(alpha, random_state=3)[0]

    def normalized(f):
        return lambda x, alpha: f(x / np.sum(x), alpha)

    for function in ("logpdf", "pdf"):
        ours = getattr(stats.dirichlet, function)
        theirs = getattr(scipy_stats.dirichlet, function)
        np.testing.assert_allclose(ours(x, alpha), theirs(x, alpha))
        cr.check_grads(normalized(ours), (x, alpha), order=2, modes=("rev", "fwd"))
    columns = np.stack([x, x[::-1]], axis=1)
    np.testing.assert_allclose(
        stats.dirichlet.logpdf(columns[:-1], alpha), scipy_stats.dirichlet.logpdf(columns, alpha)
    )
    with pytest.raises(ValueError, match="sum to 1"):
        stats.dirichlet.logpdf(x * 1.1, alpha)
    with pytest.raises(ValueError, match="greater than 0"):
        stats.dirichlet.logpdf(x, -alpha)


@pytest.mark.parametrize(
    "call, replacement",
    [
        (lambda t: scipy_stats.norm.logpdf(t), "chainrule.scipy.stats.norm.logpdf"),
        (lambda t: scipy_stats.norm(t).cdf(0.5), "chainrule.scipy.stats.norm.cdf"),
        (lambda t: scipy_stats.gamma.pdf(2.0, t), "chainrule.scipy.stats.gamma.pdf"),
        (
            lambda t: scipy_stats.multivariate_normal.logpdf(t, np.zeros(3), np.eye(3)),
            "chainrule.scipy.stats.multivariate_normal.logpdf",
        ),
    ],
)
def test_scipys_own_distribution_on_a_tensor_names_the_replacement(call, replacement):
    with pytest.raises(cr.GradientError, match=replacement.replace(".", r"\.")):
        cr.grad(lambda x: call(x).sum())(np.array([0.5, 1.0, 1.5]))


def test_a_plain_asarray_of_a_tensor_names_no_scipy_function():
    with pytest.raises(cr.GradientError) as error:
        cr.grad(lambda x: np.asarray(x).sum())(np.ones(2))
    assert "scipy" not in str(error.value)


def test_multivariate_normal_reads_the_lower_triangle_of_cov_as_scipy_does():
    cov = np.array([[2.0, 0.3], [0.9, 1.5]])
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, None, cov),
                               scipy_stats.multivariate_normal.logpdf(x, None, cov))
    grad = cr.grad(lambda c: stats.multivariate_normal.logpdf(x, None, c))(cov)
    assert grad[0, 1] == 0
    cr.check_grads(lambda c: stats.multivariate_normal.logpdf(x, None, c), (cov,), order=2,
                   modes=("rev", "fwd"))
