"""Complex numbers follow autograd's and JAX's convention, checked in both real directions.

For f at z = x + iy and a cotangent g, the VJP is d/dx Re(g f) - i d/dy Re(g f): for a
holomorphic f that is g f'(z) (no conjugate), and `grad` of a real-valued f is
df/dx - i df/dy (JAX: grad(abs)(3+4j) = 0.6-0.8j). Forward values equal NumPy's.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr

RNG = np.random.default_rng(12)


def complex_sample(shape, away_from_zero=False):
    z = RNG.uniform(-1.5, 1.5, size=shape) + 1j * RNG.uniform(-1.5, 1.5, size=shape)
    if away_from_zero:
        z = z / np.abs(z) * RNG.uniform(0.5, 1.5, size=shape)
    return z


OPS = {
    "add": (lambda z: z + (0.5 - 2j) * z[::-1], False),
    "subtract": (lambda z: z - 3j, False),
    "multiply": (lambda z: z * z[::-1], False),
    "divide": (lambda z: (1 + 1j) / z, True),
    "negative": (np.negative, False),
    "power": (lambda z: z**3, False),
    "power_complex_exponent": (lambda z: np.power(z, 0.5 + 1j), True),
    "square": (np.square, False),
    "sqrt": (np.sqrt, True),
    "exp": (np.exp, False),
    "expm1": (np.expm1, False),
    "log": (np.log, True),
    "log1p": (lambda z: np.log1p(z * 0.3), False),
    "log2": (np.log2, True),
    "log10": (np.log10, True),
    "exp2": (np.exp2, False),
    "sin": (np.sin, False),
    "cos": (np.cos, False),
    "tan": (lambda z: np.tan(z * 0.5), False),
    "arcsin": (lambda z: np.arcsin(z * 0.4), False),
    "arccos": (lambda z: np.arccos(z * 0.4), False),
    "arctan": (lambda z: np.arctan(z * 0.4), False),
    "sinh": (np.sinh, False),
    "cosh": (np.cosh, False),
    "tanh": (lambda z: np.tanh(z * 0.5), False),
    "reciprocal": (np.reciprocal, True),
    "absolute": (np.abs, True),
    "sign": (np.sign, True),
    "real": (np.real, False),
    "imag": (np.imag, False),
    "conjugate": (np.conj, False),
    "angle": (np.angle, True),
    "angle_degrees": (lambda z: np.angle(z, deg=True), True),
    "sum": (np.sum, False),
    "mean": (lambda z: np.mean(z, axis=0), False),
    "prod": (np.prod, False),
    "var": (np.var, False),
    "var_ddof_axis": (lambda z: np.var(z, axis=1, ddof=1), False),
    "std": (np.std, False),
    "std_keepdims": (lambda z: np.std(z, axis=0, keepdims=True), False),
    "cumsum": (np.cumsum, False),
    "matmul": (lambda z: z @ z.T, False),
    "einsum": (lambda z: np.einsum("ij,kj->ik", z, np.conj(z)), False),
    "dot": (lambda z: np.dot(z, z[0]), False),
    "outer": (lambda z: np.outer(z, z[0]), False),
    "transpose": (lambda z: z.T * z, False),
    "getitem": (lambda z: z[1] * z[:, 0], False),
    "concatenate": (lambda z: np.concatenate([z, z * 1j]), False),
}


def split_function(f):
    """F(x, y) = [Re f(x + iy), Im f(x + iy)]: real in, real out, complex inside."""

    def real_view(x, y):
        value = f(x + 1j * y)
        return np.stack([np.real(value), np.imag(value)])

    return real_view


@pytest.mark.parametrize("name", sorted(OPS))
def test_forward_value_equals_numpy(name):
    f, away = OPS[name]
    z = complex_sample((2, 2), away)
    value = f(cr.Tensor(z)).numpy()
    expected = f(z)
    assert value.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(value, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", sorted(OPS))
def test_derivatives_match_finite_differences_in_both_real_directions(name):
    # Perturbing x and y separately checks every real direction, to second order, through
    # the complex ops inside, in reverse and forward mode.
    f, away = OPS[name]
    z = complex_sample((2, 2), away)
    cr.check_grads(split_function(f), (z.real, z.imag), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(OPS))
def test_vjp_is_the_convention_of_autograd_and_jax(name):
    f, away = OPS[name]
    z = complex_sample((2, 2), away)
    out, vjp_fn = cr.vjp(f, z)
    g = complex_sample(np.shape(out)) if np.iscomplexobj(out) else RNG.normal(size=np.shape(out))
    (cotangent,) = vjp_fn(g)

    def pairing(x, y):
        return np.real(np.sum(g * f(x + 1j * y)))

    dx = cr.checks.numerical_jacobian(pairing, (z.real, z.imag), 0, 1e-6)
    dy = cr.checks.numerical_jacobian(pairing, (z.real, z.imag), 1, 1e-6)
    np.testing.assert_allclose(cotangent, dx - 1j * dy, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(OPS))
def test_jvp_is_the_directional_derivative_along_a_complex_tangent(name):
    f, away = OPS[name]
    z, v = complex_sample((2, 2), away), complex_sample((2, 2))
    _, tangent_out = cr.jvp(f, (z,), (v,))
    step = 1e-6
    expected = (f(z + step * v) - f(z - step * v)) / (2 * step)
    np.testing.assert_allclose(tangent_out, expected, rtol=1e-6, atol=1e-7)


def test_grad_of_abs_is_jaxs():
    assert cr.grad(np.abs)(3 + 4j) == pytest.approx(0.6 - 0.8j)
    assert cr.grad(lambda z: np.abs(z) ** 2)(1 + 2j) == pytest.approx(2 - 4j)


def test_jvp_of_abs_along_a_complex_tangent():
    # Issue 8: the jvp of np.abs at 0.3+0.4j along 1+0.5j was 0.2; Re(conj(z) v) / |z| = 1.
    value, tangent = cr.jvp(np.abs, (np.array(0.3 + 0.4j),), (np.array(1 + 0.5j),))
    assert value == pytest.approx(0.5) and tangent == pytest.approx(1.0)


def test_var_std_and_abs_values_of_complex_input_equal_numpy():
    z = np.array([1 + 2j, 3 - 1j])
    assert cr.var(cr.Tensor(z)).numpy() == pytest.approx(3.25)
    assert np.var(cr.Tensor(z)).dtype == np.float64
    assert np.std(cr.Tensor(z)).numpy() == pytest.approx(np.sqrt(3.25))
    np.testing.assert_allclose(np.abs(cr.Tensor(z)).numpy(), np.abs(z))


def test_grad_of_a_complex_output_raises_unless_holomorphic():
    with pytest.raises(cr.GradientError, match="holomorphic=True"):
        cr.grad(lambda z: z * z)(1 + 1j)
    with pytest.raises(cr.GradientError, match="holomorphic=True"):
        cr.jacobian(lambda z: np.sin(z))(np.array([1 + 1j, 2j]))
    with pytest.raises(cr.GradientError, match="holomorphic=True"):
        cr.jacobian(np.abs, mode="fwd")(np.array([1 + 1j, 2j]))
    with pytest.raises(cr.GradientError, match="complex inputs"):
        cr.grad(lambda x: x * 1j, holomorphic=True)(2.0)


def test_holomorphic_grad_and_jacobian_are_the_complex_derivative():
    z = 0.3 - 0.7j
    assert cr.grad(np.sin, holomorphic=True)(z) == pytest.approx(np.cos(z))
    value, derivative = cr.value_and_grad(lambda z: z**3, holomorphic=True)(z)
    assert value == pytest.approx(z**3) and derivative == pytest.approx(3 * z**2)
    w = complex_sample(3)
    for mode in ("rev", "fwd"):
        jac = cr.jacobian(np.exp, mode=mode, holomorphic=True)(w)
        np.testing.assert_allclose(jac, np.diag(np.exp(w)))


def test_complex_cotangent_into_a_real_input_keeps_its_real_part():
    x = np.array([2.0, -1.0])
    _, vjp_fn = cr.vjp(lambda x: x * (1 + 2j), x)
    (cotangent,) = vjp_fn(np.array([1.0, 1j]))
    assert cotangent.dtype == np.float64
    np.testing.assert_allclose(cotangent, [1.0, -2.0])


def test_real_imag_conj_angle_on_real_input():
    x = np.array([-2.0, 0.5])
    t = cr.Tensor(x)
    np.testing.assert_array_equal(np.real(t).numpy(), x)
    np.testing.assert_array_equal(np.imag(t).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(np.conj(t).numpy(), x)
    np.testing.assert_array_equal(np.angle(t).numpy(), np.angle(x))
    np.testing.assert_array_equal(cr.grad(lambda x: np.real(x).sum())(x), [1.0, 1.0])
    np.testing.assert_array_equal(cr.grad(lambda x: np.imag(x).sum())(x), [0.0, 0.0])
    np.testing.assert_array_equal(cr.grad(lambda x: np.angle(x).sum())(x), [0.0, 0.0])
    assert cr.grad(lambda x: np.real(x).sum())(x.astype(np.float32)).dtype == np.float32


def test_tensor_real_imag_and_conj():
    z = np.array([1 + 2j, -3 + 0.5j])
    grad = cr.grad(lambda z: (z.real * z.imag + (z.conj() * z).real).sum())(z)
    np.testing.assert_allclose(grad, z.imag - 1j * z.real + 2 * np.conj(z))


def test_complex64_stays_complex64():
    z = complex_sample(3).astype(np.complex64)
    assert cr.grad(lambda z: np.abs(z).sum())(z).dtype == np.complex64
    assert cr.grad(lambda z: np.sin(z).sum(), holomorphic=True)(z).dtype == np.complex64


def test_the_docs_example_runs():
    from test_extend import docs_example

    namespace = {}
    exec(docs_example("## Complex numbers"), namespace)
    assert cr.grad(np.abs)(3 + 4j) == pytest.approx(0.6 - 0.8j)


@pytest.mark.parametrize("z", [0.7, 0.4 + 0.9j])
@pytest.mark.parametrize("f", [np.abs, np.angle, lambda z: np.exp(z * 1j)])
def test_check_grads_checks_complex_arguments_and_values_in_both_real_directions(f, z):
    cr.check_grads(f, (z,), order=2, modes=("rev", "fwd"))
    cr.check_grads(lambda z: cr.grad(lambda z: np.abs(f(z)))(z), (z,), modes=("rev", "fwd"))


def test_check_grads_catches_a_conjugated_rule():
    from chainrule.extend import primitive

    @primitive
    def square(z):
        return z * z

    square.defvjp(lambda g, ans, z: g * 2 * np.conj(z))  # PyTorch's convention: wrong here
    with pytest.raises(AssertionError, match="wrong"):
        cr.check_grads(square, (np.array(1 + 1j),))


def test_backward_of_a_complex_scalar_needs_a_cotangent():
    z = cr.Tensor(np.array(1 + 2j), requires_grad=True)
    with pytest.raises(cr.GradientError, match="complex"):
        (z * z).backward()
    (z * z).backward(gradient=np.array(1.0 + 0j))
    assert z.grad == pytest.approx(2 + 4j)
    z.grad = None
    np.abs(z).backward()
    assert z.grad == pytest.approx((1 - 2j) / np.sqrt(5))


BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": lambda a, b: a / (b + 3),
    "power": lambda a, b: (a + 3) ** (b * 0.5),
    "matmul_like": lambda a, b: np.einsum("...,...->...", a, np.conj(b)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
    kinds=st.tuples(st.booleans(), st.booleans()),
)
def test_mixed_real_and_complex_operands_with_broadcasting(name, shapes, kinds):
    # A real operand meets a complex one: its gradient is real (the real part of the
    # cotangent), summed over its broadcast axes; both checked in every real direction.
    args = [
        complex_sample(shape) if is_complex else RNG.uniform(-1.5, 1.5, size=shape)
        for shape, is_complex in zip(shapes.input_shapes, kinds)
    ]
    cr.check_grads(BINARY[name], tuple(args), order=2, modes=("rev", "fwd"))
    _, vjp_fn = cr.vjp(BINARY[name], *args)
    out = BINARY[name](*args)
    for arg, cotangent in zip(args, vjp_fn(np.ones_like(out))):
        assert cotangent.dtype == np.asarray(arg).dtype and cotangent.shape == np.shape(arg)
