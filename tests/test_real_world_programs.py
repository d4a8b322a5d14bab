"""The objectives of autograd's example programs, ported with only the imports changed.

Each is differentiated by chainrule and checked against central finite differences in
float64 (`cr.check_grads`) or a closed form, at small sizes and fixed seeds. Autograd itself
is not a dependency: its examples are the workload, finite differences the oracle.
"""

import numpy as np
import pytest

import chainrule as cr
from chainrule.extend import defvjp, primitive
from test_redteam_primitives import fixed_point_closing_over_answer

special = pytest.importorskip("scipy.special")
csp = pytest.importorskip("chainrule.scipy")
logsumexp = csp.special.logsumexp
norm = csp.stats.norm
mvn = csp.stats.multivariate_normal


def check(f, *args, order=1, modes=("rev",)):
    cr.check_grads(f, args, order=order, modes=modes)


# --- fixed_points.py: a primitive whose VJP solves another fixed point -------------------


# autograd's fixed_point with its VJP as written (closing over the answer); the red-team
# tests hold the definition.
fixed_point = fixed_point_closing_over_answer


def test_fixed_points_square_root_has_its_closed_form_derivatives():
    def sqrt(a):
        step = lambda a: lambda x: x - 0.05 * (x**2 - a)  # noqa: E731 - the example's form
        return fixed_point(step, a, 10.0, lambda x, y: np.abs(x - y), 1e-12)

    np.testing.assert_allclose(cr.grad(sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-8)
    np.testing.assert_allclose(cr.grad(cr.grad(sqrt))(2.0), -0.25 * 2.0**-1.5, rtol=1e-6)


# --- define_gradient.py: logsumexp as a primitive with a hand-written VJP ---------------


@primitive
def logsumexp_primitive(x):
    max_x = np.max(x)
    return max_x + np.log(np.sum(np.exp(x - max_x)))


defvjp(
    logsumexp_primitive,
    lambda g, ans, x: np.full(x.shape, g) * np.exp(x - np.full(x.shape, ans)),
)


def test_define_gradient_matches_finite_differences_and_refuses_np_full_at_second_order():
    def example_func(y):
        return np.sum(logsumexp_primitive(y**2))

    y = np.random.default_rng(0).normal(size=10)
    np.testing.assert_allclose(
        cr.grad(example_func)(y), 2 * y * np.exp(y**2 - logsumexp_primitive(y**2))
    )
    check(example_func, y)
    # np.full copies its fill value into a new NumPy array: at second order that value is
    # a Tensor, so plain NumPy's np.full must refuse rather than drop it.
    with pytest.raises(cr.GradientError, match="drop it from the graph"):
        cr.hessian(example_func)(y)


# --- gaussian_process.py: log marginal likelihood with solve and multivariate_normal -----


def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs**2, axis=2))


def gp_log_marginal_likelihood(params, x, y):
    mean, cov_params, noise_scale = params[0], params[2:], np.exp(params[1]) + 0.0001
    cov_y_y = rbf_covariance(cov_params, x, x) + noise_scale * np.eye(len(y))
    return mvn.logpdf(y, mean * np.ones(len(y)), cov_y_y)


def gp_predictive_mean(params, x, y, xstar):
    mean, cov_params, noise_scale = params[0], params[2:], np.exp(params[1]) + 0.0001
    cov_y_f = rbf_covariance(cov_params, x, xstar)
    cov_y_y = rbf_covariance(cov_params, x, x) + noise_scale * np.eye(len(y))
    return mean + np.dot(np.linalg.solve(cov_y_y, cov_y_f).T, y - mean)


def test_gaussian_process_objective_and_prediction_match_finite_differences():
    rs = np.random.RandomState(0)
    x = np.linspace(-2, 2, 8).reshape(8, 1)
    y = (np.cos(2 * x[:, 0]) + 0.1 * rs.randn(8)) / 2
    params = 0.1 * rs.randn(4)
    check(lambda p: gp_log_marginal_likelihood(p, x, y), params, order=2, modes=("rev", "fwd"))
    check(lambda p: gp_predictive_mean(p, x, y, np.array([[0.3], [1.1]])), params)


# --- black_box_svi.py, bayesian_neural_net.py: reparameterised variational objectives ----


def variational_objective(logprob, params, samples_standard):
    dimension = params.shape[0] // 2
    mean, log_std = params[:dimension], params[dimension:]
    samples = samples_standard * np.exp(log_std) + mean
    entropy = 0.5 * dimension * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
    return -(entropy + np.mean(logprob(samples)))


def funnel_log_density(x):
    mu, log_sigma = x[:, 0], x[:, 1]
    return norm.logpdf(log_sigma, 0, 1.35) + norm.logpdf(mu, 0, np.exp(log_sigma))


def test_black_box_svi_objective_matches_finite_differences():
    rs = np.random.RandomState(0)
    samples = rs.randn(50, 2)
    params = np.array([-1.0, -1.0, -5.0, -5.0]) * 0.3
    check(lambda p: variational_objective(funnel_log_density, p, samples), params, order=2)


def neural_net_predictions(weights, inputs, layer_sizes=(1, 4, 1)):
    """The Bayesian neural net's forward pass for a batch of flattened weight samples."""
    inputs = np.expand_dims(inputs, 0)
    start = 0
    for m, n in zip(layer_sizes[:-1], layer_sizes[1:]):
        w = np.reshape(weights[:, start : start + m * n], (-1, m, n))
        b = np.reshape(weights[:, start + m * n : start + m * n + n], (-1, 1, n))
        start += m * n + n
        outputs = np.einsum("mnd,mdo->mno", inputs, w) + b
        inputs = np.tanh(outputs)
    return outputs


def test_bayesian_neural_net_objective_matches_finite_differences():
    rs = np.random.RandomState(0)
    inputs = np.linspace(-1, 1, 6).reshape(6, 1)
    targets = np.cos(3 * inputs)
    num_weights = 1 * 4 + 4 + 4 * 1 + 1

    def logprob(weights):
        log_prior = -0.1 * np.sum(weights**2, axis=1)
        predictions = neural_net_predictions(weights, inputs)
        log_lik = -np.sum((predictions - targets) ** 2, axis=1)[:, 0] / 0.01
        return log_prior + log_lik

    samples = rs.randn(3, num_weights)
    params = np.concatenate([0.3 * rs.randn(num_weights), -2 * np.ones(num_weights)])
    check(lambda p: variational_objective(logprob, p, samples), params)


# --- logistic_regression.py, negative_binomial_maxlike.py --------------------------------


def test_logistic_regression_gradient_is_its_closed_form():
    inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30],
                       [0.74, -2.49, 1.39]])
    targets = np.array([True, True, False, True])

    def training_loss(weights):
        preds = 0.5 * (np.tanh(np.dot(inputs, weights) / 2) + 1)
        label_probabilities = preds * targets + (1 - preds) * (1 - targets)
        return -np.sum(np.log(label_probabilities))

    weights = np.array([0.1, -0.2, 0.3])
    p = 1 / (1 + np.exp(-inputs @ weights))
    np.testing.assert_allclose(cr.grad(training_loss)(weights), inputs.T @ (p - targets))
    check(training_loss, weights, order=2, modes=("rev", "fwd"))


def test_negative_binomial_newton_derivatives_match_finite_differences():
    data = np.random.RandomState(0).poisson(np.random.RandomState(1).gamma(5, 1.0, size=40))

    def loglike(r, p):
        return np.sum(special.gammaln(r + data) - special.gammaln(r) - special.gammaln(data + 1)
                      + data * np.log(p) + r * np.log(1 - p))

    def rprime(r):
        return cr.grad(loglike)(r, np.sum(data) / np.sum(r + data))

    check(rprime, 3.0, order=2, modes=("rev", "fwd"))
    check(loglike, 3.0, 0.4, order=2)


# --- hmm_em.py, gmm.py: log-likelihoods through logsumexp --------------------------------


def hmm_log_partition(natural_params, data):
    log_pi, log_a, log_b = natural_params
    log_alpha = log_pi
    for y in data:
        log_alpha = logsumexp(log_alpha[:, None] + log_a, axis=0) + log_b[:, y]
    return logsumexp(log_alpha)


def test_hmm_expected_counts_are_the_gradient_of_the_log_partition():
    rs = np.random.RandomState(0)
    params = [np.log(rs.rand(3)), np.log(rs.rand(3, 3)), np.log(rs.rand(3, 4))]
    data = [0, 3, 1, 1, 2]
    check(lambda p: hmm_log_partition(p, data), params, order=2)
    # The expected initial-state counts sum to 1 (one sequence).
    counts = cr.grad(hmm_log_partition)(params, data)
    np.testing.assert_allclose(counts[0].sum(), 1.0)
    np.testing.assert_allclose(counts[2].sum(), len(data))


def test_gmm_log_likelihood_matches_finite_differences():
    rs = np.random.RandomState(0)
    data = rs.randn(10, 2)
    params = {"log proportions": rs.randn(3), "means": rs.randn(3, 2),
              "lower triangles": np.tril(rs.randn(3, 2, 2)) + np.eye(2)}

    def gmm_log_likelihood(params):
        cluster_lls = []
        for log_proportion, mean, cov_sqrt in zip(*params.values()):
            cov = np.dot(cov_sqrt.T, cov_sqrt)
            cluster_lls.append(log_proportion + mvn.logpdf(data, mean, cov))
        return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))

    check(gmm_log_likelihood, params)


# --- rnn.py, lstm.py: character models over a few time steps -----------------------------


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def sequence_log_likelihood(params, inputs, targets, lstm):
    def output_log_probs(hiddens):
        output = concat_and_multiply(params["predict"], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    sigmoid = lambda x: 0.5 * (np.tanh(x) + 1.0)  # noqa: E731 - the example's form
    hiddens = np.repeat(params["init hiddens"], inputs.shape[1], axis=0)
    cells = np.repeat(params["init cells"], inputs.shape[1], axis=0)
    loglik = np.sum(output_log_probs(hiddens) * targets[0])
    for t, step_input in enumerate(inputs[:-1]):
        change = np.tanh(concat_and_multiply(params["change"], step_input, hiddens))
        if lstm:
            forget = sigmoid(concat_and_multiply(params["forget"], step_input, hiddens))
            ingate = sigmoid(concat_and_multiply(params["ingate"], step_input, hiddens))
            outgate = sigmoid(concat_and_multiply(params["outgate"], step_input, hiddens))
            cells = cells * forget + ingate * change
            hiddens = outgate * np.tanh(cells)
        else:
            hiddens = change
        loglik = loglik + np.sum(output_log_probs(hiddens) * targets[t + 1])
    return loglik / np.prod(inputs.shape[:2])


@pytest.mark.parametrize("lstm", [False, True], ids=["rnn", "lstm"])
def test_character_model_log_likelihood_matches_finite_differences(lstm):
    rs = np.random.RandomState(0)
    alphabet, state, steps, sequences = 5, 3, 4, 2
    text = rs.randint(alphabet, size=(steps, sequences))
    one_hot = (text[:, :, None] == np.arange(alphabet)).astype(float)
    names = ["change", "forget", "ingate", "outgate"] if lstm else ["change"]
    params = {name: 0.5 * rs.randn(alphabet + state + 1, state) for name in names}
    params.update({"init hiddens": 0.5 * rs.randn(1, state), "init cells": np.zeros((1, state)),
                   "predict": 0.5 * rs.randn(state + 1, alphabet)})
    check(lambda p: sequence_log_likelihood(p, one_hot, one_hot, lstm), params)


# --- variational_autoencoder.py: a Gaussian encoder and a Bernoulli decoder --------------


def test_variational_autoencoder_objective_matches_finite_differences():
    rs = np.random.RandomState(0)
    images = (rs.rand(3, 6) > 0.5).astype(float)
    noise = rs.randn(3, 2)

    def mlp(params, inputs):
        for w, b in params[:-1]:
            inputs = np.tanh(np.dot(inputs, w) + b)
        w, b = params[-1]
        return np.dot(inputs, w) + b

    def vae_lower_bound(params):
        encoded = mlp(params[0], images)
        mean, log_std = encoded[:, :2], encoded[:, 2:]
        latents = mean + np.exp(log_std) * noise
        logits = mlp(params[1], latents)
        log_lik = -np.sum(np.logaddexp(0, -logits * (2 * images - 1)), axis=1)
        entropy = np.sum(log_std, axis=1)
        log_prior = np.sum(norm.logpdf(latents, 0, 1), axis=1)
        return np.mean(entropy + log_lik + log_prior)

    def layer(m, n):
        return (0.3 * rs.randn(m, n), 0.3 * rs.randn(n))

    params = ([layer(6, 4), layer(4, 4)], [layer(2, 4), layer(4, 6)])
    check(vae_lower_bound, params)


# --- rosenbrock.py, tanh.py, sinusoid.py: closed forms -----------------------------------


def test_rosenbrock_gradient_and_hessian_are_their_closed_forms():
    def rosenbrock(x):
        return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2

    x = np.array([-1.2, 1.0])
    a, b = x
    np.testing.assert_allclose(
        cr.grad(rosenbrock)(x), [-400 * a * (b - a**2) - 2 * (1 - a), 200 * (b - a**2)]
    )
    np.testing.assert_allclose(
        cr.hessian(rosenbrock)(x), [[1200 * a**2 - 400 * b + 2, -400 * a], [-400 * a, 200]]
    )


def elementwise_grad(f):
    """autograd's elementwise_grad: the VJP with a cotangent of ones."""
    def derivative(x):
        out, vjp_fn = cr.vjp(f, x)
        return vjp_fn(np.ones(np.shape(out)))[0]
    return derivative


def test_tanh_derivatives_to_fourth_order_are_their_closed_forms():
    def tanh(x):
        return (1.0 - np.exp(-2 * x)) / (1.0 + np.exp(-(2 * x)))

    x = np.linspace(-3, 3, 13)
    t = np.tanh(x)
    d = [elementwise_grad(tanh)]
    for _ in range(3):
        d.append(elementwise_grad(d[-1]))
    np.testing.assert_allclose(d[0](x), 1 - t**2, atol=1e-12)
    np.testing.assert_allclose(d[1](x), -2 * t * (1 - t**2), atol=1e-12)
    np.testing.assert_allclose(d[2](x), (1 - t**2) * (6 * t**2 - 2), atol=1e-11)
    np.testing.assert_allclose(d[3](x), 8 * t * (1 - t**2) * (2 - 3 * t**2), atol=1e-10)


def test_sinusoid_taylor_coefficients_are_its_closed_form_derivatives():
    x = 0.7
    derivatives = [np.sin]
    for _ in range(4):
        derivatives.append(cr.grad(derivatives[-1]))
    expected = [np.sin(x), np.cos(x), -np.sin(x), -np.cos(x), np.sin(x)]
    np.testing.assert_allclose([float(d(x)) for d in derivatives], expected, atol=1e-12)
