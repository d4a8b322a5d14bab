"""Every op's derivatives equal central finite differences in float64.

Shapes (with broadcasting) come from hypothesis; each op is checked in reverse and forward
mode to second order, and again through the functions that `vjp` and `jvp` return
(differentiated in the primals and in the cotangent or tangent). The tables below name
every exported op and every NumPy function with a gradient rule: a test fails when an op
is missing from them. A row's key is the op's name, or `name/variant`.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr
from chainrule.ops import numpy_dispatch

RNG = np.random.default_rng(0)
MODES = ("rev", "fwd")


def positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def anywhere(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def away_from_zero(shape):
    return RNG.choice([-1, 1], size=shape) * RNG.uniform(0.5, 2.0, size=shape)


UNARY = {
    "negative": (np.negative, anywhere),
    "positive": (np.positive, anywhere),
    "identity": (cr.identity, anywhere),
    "exp": (np.exp, anywhere),
    "log": (np.log, positive),
    "log1p": (np.log1p, positive),
    "expm1": (np.expm1, anywhere),
    "sqrt": (np.sqrt, positive),
    "square": (np.square, anywhere),
    "sin": (np.sin, anywhere),
    "cos": (np.cos, anywhere),
    "tan": (lambda x: np.tan(x * 0.5), anywhere),
    "tanh": (np.tanh, anywhere),
    "arcsin": (lambda x: np.arcsin(x * 0.4), anywhere),
    "arccos": (lambda x: np.arccos(x * 0.4), anywhere),
    "arctan": (np.arctan, anywhere),
    "sinh": (np.sinh, anywhere),
    "cosh": (np.cosh, anywhere),
    "log2": (np.log2, positive),
    "log10": (np.log10, positive),
    "exp2": (np.exp2, anywhere),
    "sigmoid": (cr.sigmoid, anywhere),
    "relu": (cr.relu, away_from_zero),
    "absolute": (np.abs, away_from_zero),
    "reciprocal": (np.reciprocal, away_from_zero),
    "divide/reciprocal": (lambda x: 1 / x, away_from_zero),
    "power/constant_exponent": (lambda x: x**3, anywhere),
    "power/half": (lambda x: x**0.5, positive),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), away_from_zero),
    "sign": (lambda x: np.sign(x) * x, away_from_zero),
    "astype": (lambda x: cr.astype(x, np.float64) * 2, anywhere),
    "real": (lambda x: np.real(x) * x, anywhere),
    "imag": (lambda x: np.imag(x) + x, anywhere),
    "conjugate": (lambda x: np.conj(x) * x, anywhere),
    "angle": (lambda x: np.angle(x) + x, away_from_zero),
    "fabs": (np.fabs, away_from_zero),
    "real_if_close": (lambda x: np.real_if_close(x) * x, anywhere),
    "nan_to_num": (np.nan_to_num, anywhere),
}

BINARY = {
    "add": (np.add, anywhere, anywhere),
    "subtract": (np.subtract, anywhere, anywhere),
    "multiply": (np.multiply, anywhere, anywhere),
    "divide": (np.divide, anywhere, away_from_zero),
    "power": (np.power, positive, anywhere),
    "maximum": (np.maximum, anywhere, anywhere),
    "minimum": (np.minimum, anywhere, anywhere),
    "where": (lambda x, y: np.where(x > 0, x * y, y), anywhere, anywhere),
}

REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "amax": np.amax,
    "min": np.min,
    "amin": np.amin,
    "prod": np.prod,
    "var": np.var,
    "var/ddof": lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
    "std": np.std,
    "std/ddof": lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
    "logsumexp": cr.logsumexp,
}

STRUCTURAL = {
    "softmax": (lambda x: cr.softmax(x, axis=-1), [(2, 4)]),
    "softmax/axis0": (lambda x: cr.softmax(x, axis=0), [(3, 2)]),
    "log_softmax": (lambda x: cr.log_softmax(x, axis=1), [(2, 4)]),
    "cumsum": (lambda x: np.cumsum(x, axis=1), [(2, 3)]),
    "cumsum/flat": (lambda x: np.cumsum(x), [(2, 3)]),
    "matmul": (np.matmul, [(2, 2, 3), (3, 2)]),
    "dot": (np.dot, [(3,), (3,)]),
    "dot/matrix_vector": (np.dot, [(2, 3), (3,)]),
    "dot/nd": (lambda x, y: np.dot(x, y), [(2, 3), (4, 3, 2)]),
    "outer": (np.outer, [(3,), (2,)]),
    "einsum": (lambda x, y: np.einsum("ij,jk->ik", x, y), [(2, 3), (3, 2)]),
    "einsum/batched": (lambda x, y: np.einsum("bij,bjk->bik", x, y), [(2, 2, 3), (2, 3, 2)]),
    "einsum/sum": (lambda x: np.einsum("ij->i", x), [(2, 3)]),
    "einsum/implicit": (lambda x, y: np.einsum("i,j", x, y), [(2,), (3,)]),
    "einsum/ellipsis": (lambda x: np.einsum("...ij->...ji", x), [(2, 2, 3)]),
    "einsum/ellipsis_inside": (
        lambda x, y: np.einsum("j...k,lj...->lk...", x, y),
        [(3, 2), (2, 3, 4)],
    ),
    "einsum/diagonal": (lambda x: np.einsum("iij->j", x), [(2, 2, 3)]),
    "einsum/sublists": (lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]), [(2, 3), (3, 2)]),
    "reshape": (lambda x: np.reshape(x, (3, 2)), [(2, 3)]),
    "transpose": (lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 2)]),
    "transpose/T": (lambda x: x.T, [(2, 3)]),
    "swapaxes": (lambda x: np.swapaxes(x, 0, 2), [(2, 3, 2)]),
    "moveaxis": (lambda x: np.moveaxis(x, 0, -1), [(2, 3, 2)]),
    "expand_dims": (lambda x: np.expand_dims(x, 1), [(2, 3)]),
    "squeeze": (lambda x: np.squeeze(x, 1), [(2, 1, 3)]),
    "ravel": (np.ravel, [(2, 3)]),
    "broadcast_to": (lambda x: np.broadcast_to(x, (2, 3, 3)), [(3, 1)]),
    "concatenate": (lambda x, y: np.concatenate([x, y], axis=1), [(2, 3), (2, 2)]),
    "concatenate/flat": (lambda x, y: np.concatenate([x, y], axis=None), [(2, 3), (2, 2)]),
    "stack": (lambda x, y: np.stack([x, y], axis=1), [(2, 3), (2, 3)]),
    "split": (lambda x: np.split(x, 2, axis=1)[1], [(2, 4)]),
    "split/indices": (lambda x: np.split(x, [1, 3])[1], [(4, 2)]),
    "pad": (lambda x: np.pad(x, ((1, 0), (2, 1))), [(2, 3)]),
    "flip": (lambda x: np.flip(x, axis=1), [(2, 3)]),
    "flip/all": (lambda x: np.flip(x), [(2, 3)]),
    "flipud": (np.flipud, [(2, 3)]),
    "fliplr": (np.fliplr, [(2, 3)]),
    "rot90": (np.rot90, [(2, 3)]),
    "rot90/k3_axes": (lambda x: np.rot90(x, 3, axes=(2, 0)), [(2, 3, 2)]),
    "tile": (lambda x: np.tile(x, (2, 3)), [(2, 2)]),
    "tile/int": (lambda x: np.tile(x, 2), [(3,)]),
    "repeat": (lambda x: np.repeat(x, 2, axis=0), [(2, 3)]),
    "repeat/counts": (lambda x: np.repeat(x, [1, 0, 2], axis=1), [(2, 3)]),
    "repeat/flat": (lambda x: np.repeat(x, 2), [(2, 2)]),
    "getitem": (lambda x: x[1], [(3, 2)]),
    "getitem/slice": (lambda x: x[:, 1:], [(3, 3)]),
    "getitem/newaxis": (lambda x: x[::-1, None, 0], [(3, 3)]),
    "getitem/ellipsis": (lambda x: x[..., 1], [(2, 3, 2)]),
    "getitem/repeated": (lambda x: x[np.array([0, 2, 0, 0])], [(3, 2)]),
    "getitem/pairs": (lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 0])], [(2, 3)]),
    "getitem/mask": (lambda x: x[x > 0], [(3, 3)]),
    "index_set": (lambda x: cr.index_set(x, (np.array([0, 2]),), x[1] ** 2), [(3, 2)]),
    "index_add": (lambda x: cr.index_add(x, (np.array([0, 0]),), x[1:] * 3), [(3, 2)]),
    "take": (lambda x: np.take(x, [2, 2, 0]), [(2, 2)]),
    "take/axis": (lambda x: np.take(x, [1, 1], axis=1), [(2, 2)]),
    "sort": (lambda x: np.sort(x, axis=1), [(2, 3)]),
    "sort/axis0": (lambda x: np.sort(x, axis=0), [(3, 2)]),
    "partition": (lambda x: np.partition(x, 1), [(2, 4)]),
    "partition/flat": (lambda x: np.partition(x, 3, axis=None), [(2, 3)]),
    "take_along_axis": (
        lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1]]), axis=1),
        [(2, 3)],
    ),
    "linalg.norm": (lambda x: np.linalg.norm(x), [(2, 3)]),
    "linalg.norm/axis_keepdims": (lambda x: np.linalg.norm(x, axis=0, keepdims=True), [(2, 3)]),
}

NOT_OPS = {"custom_gradient": "it makes ops; test_api and test_tutorial check its derivatives"}


def check(f, *args):
    """First and second order, reverse and forward mode (shapes kept small: FD is O(n^2))."""
    cr.check_grads(f, args, order=2, modes=MODES)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=2))
def test_unary_op_matches_finite_differences(name, shape):
    f, sample = UNARY[name]
    check(f, sample(shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=2))
def test_binary_op_with_broadcasting_matches_finite_differences(name, shapes):
    f, sample_x, sample_y = BINARY[name]
    x_shape, y_shape = shapes.input_shapes
    check(f, sample_x(x_shape), sample_y(y_shape))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(
    shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=2),
    data=st.data(),
)
def test_reduction_matches_finite_differences(name, shape, data):
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple),
        )
    )
    keepdims = data.draw(st.booleans())
    reduce = REDUCTIONS[name]
    check(lambda x: reduce(x, axis=axis, keepdims=keepdims), anywhere(shape))


@given(
    shapes=mutually_broadcastable_shapes(signature="(n?,k),(k,m?)->(n?,m?)", max_dims=3, max_side=2)
)
def test_matmul_follows_numpy_shape_rules(shapes):
    x_shape, y_shape = shapes.input_shapes
    check(np.matmul, anywhere(x_shape), anywhere(y_shape))


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_op_matches_finite_differences(name):
    f, shapes = STRUCTURAL[name]
    check(f, *[away_from_zero(s) for s in shapes])


def every_row():
    """(key, f, args) for one representative call of every row of every table."""
    rows = [(k, f, [sample((2, 3))]) for k, (f, sample) in UNARY.items()]
    rows += [(k, f, [sx((2, 3)), sy((3,))]) for k, (f, sx, sy) in BINARY.items()]
    rows += [
        (k, lambda x, r=reduce: r(x, axis=1, keepdims=False), [anywhere((2, 3))])
        for k, reduce in REDUCTIONS.items()
    ]
    rows += [(k, f, [away_from_zero(s) for s in shapes]) for k, (f, shapes) in STRUCTURAL.items()]
    return rows


@pytest.mark.parametrize("key, f, args", every_row(), ids=[row[0] for row in every_row()])
def test_second_order_through_the_functions_vjp_and_jvp_return(key, f, args):
    # The pattern of issue 8: jacobian(lambda x, v: vjp(f, x)[1](v)[0], 1), and the same
    # for jvp, in every argument (primals and cotangent / tangents) and in both modes.
    n = len(args)
    cotangent = RNG.normal(size=np.shape(f(*args)))
    tangents = [RNG.normal(size=np.shape(a)) for a in args]
    for i in range(n):
        cr.check_grads(
            lambda *xs, i=i: cr.vjp(f, *xs[:n])[1](xs[n])[i], (*args, cotangent), modes=MODES
        )
    cr.check_grads(lambda *xs: cr.jvp(f, xs[:n], xs[n:])[1], (*args, *tangents), modes=MODES)


def numpy_name(function):
    """A NumPy or SciPy function's name as the tables spell it: sum, linalg.norm, fft.fft."""
    if isinstance(function, np.ufunc):
        in_numpy = getattr(np, function.__name__, None) is function
        return function.__name__ if in_numpy else f"scipy.special.{function.__name__}"
    module = ".".join(p for p in function.__module__.split(".") if not p.startswith("_"))
    module = module.removeprefix("numpy").lstrip(".")
    return f"{module}.{function.__name__}" if module else function.__name__


def tables_kept_elsewhere():
    """The gradient tables kept beside their own tests: numpy.fft's, numpy.linalg's, the
    wider NumPy coverage's, and SciPy's ufuncs' (when SciPy is installed)."""
    import test_fft
    import test_linalg_gradients
    import test_numpy_coverage

    tables = (test_fft.GRADIENT_TABLES + test_linalg_gradients.GRADIENT_TABLES
              + test_numpy_coverage.GRADIENT_TABLES)
    try:
        import test_scipy_special
    except (ImportError, pytest.skip.Exception):
        return tables
    return tables + test_scipy_special.GRADIENT_TABLES


def test_every_exported_op_is_in_the_gradient_tables():
    try:
        import chainrule.ops.scipy_special  # noqa: F401 - registers scipy.special's ufuncs
    except ImportError:
        pass
    cr.ops.load_all()  # the linalg, fft, statistics ... modules register on first use
    ops = [(name, getattr(cr.ops, name)) for name in cr.ops.__all__ if name not in NOT_OPS]
    dispatched = [*numpy_dispatch.UFUNCS.items(), *numpy_dispatch.FUNCTIONS.items()]
    ops += [(numpy_name(function), op) for function, op in dispatched]
    tables = [UNARY, BINARY, REDUCTIONS, STRUCTURAL, *tables_kept_elsewhere()]
    covered = {key.split("/")[0] for table in tables for key in table}
    # Two names for one op (np.amax and max, cr.norm and np.linalg.norm) share one row.
    covered_ops = {id(op) for name, op in ops if name in covered}
    missing = {name for name, op in ops if name not in covered and id(op) not in covered_ops}
    assert not missing, (
        f"ops without a row in the gradient tables of tests/test_ops_gradients.py: "
        f"{sorted(missing)}; "
        "add one (key: the op's name, or name/variant) to UNARY, BINARY, REDUCTIONS or STRUCTURAL"
    )


def test_concatenate_gradient_reaches_every_operand():
    a, b = np.ones((2, 2)), np.ones((2, 3))
    ga, gb = cr.grad(lambda a, b: (np.concatenate([a, b], 1) * np.arange(5.0)).sum(), (0, 1))(a, b)
    np.testing.assert_array_equal(ga, [[0, 1], [0, 1]])
    np.testing.assert_array_equal(gb, [[2, 3, 4], [2, 3, 4]])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_keeps_float32_in_value_and_gradient(name):
    f, sample = UNARY[name]
    x = sample((2, 3)).astype(np.float32)
    if name != "astype":
        assert f(cr.Tensor(x)).dtype == np.float32
    assert cr.grad(lambda x: f(x).sum())(x).dtype == np.float32


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_keeps_float32_in_value_and_gradients(name):
    f, sample_x, sample_y = BINARY[name]
    x, y = sample_x((2, 3)).astype(np.float32), sample_y((3,)).astype(np.float32)
    grads = cr.grad(lambda x, y: f(x, y).sum(), argnums=(0, 1))(x, y)
    assert [g.dtype for g in grads] == [np.float32, np.float32]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_keeps_float32(name):
    x = anywhere((3, 4)).astype(np.float32)
    reduce = REDUCTIONS[name]
    assert reduce(cr.Tensor(x), axis=1, keepdims=False).dtype == np.float32
    assert cr.grad(lambda x: reduce(x, axis=1, keepdims=False).sum())(x).dtype == np.float32


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_op_keeps_float32(name):
    f, shapes = STRUCTURAL[name]
    args = [away_from_zero(s).astype(np.float32) for s in shapes]
    assert f(*[cr.Tensor(a) for a in args]).dtype == np.float32
    grads = cr.grad(lambda *xs: f(*xs).sum(), argnums=tuple(range(len(args))))(*args)
    assert [g.dtype for g in grads] == [np.float32] * len(args)
