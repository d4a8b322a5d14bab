"""einsum speaks NumPy's whole grammar, forward and backward.

Forward values equal NumPy's; derivatives equal float64 central finite differences in
reverse and forward mode, for calls that hypothesis writes: '...' anywhere (with size-1
broadcasting), repeated letters in one operand, implicit output, the sublist form.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

RNG = np.random.default_rng(8)
LETTERS = "abcd"


def check(f, *args, order=1):
    cr.check_grads(f, args, order=order, modes=("rev", "fwd"))


def as_sublists(specs, output):
    """The same call in NumPy's sublist form: letters become ints, '...' Ellipsis."""

    def sublist(spec):
        head, dots, tail = spec.partition("...")
        return [LETTERS.index(c) for c in head] + [Ellipsis] * bool(dots) + [
            LETTERS.index(c) for c in tail
        ]

    return [sublist(s) for s in specs], None if output is None else sublist(output)


@st.composite
def einsum_calls(draw):
    """(specs, output or None for implicit, shapes) of a valid NumPy einsum call."""
    sizes = {c: draw(st.integers(1, 3)) for c in LETTERS}
    ellipsis_shape = draw(st.lists(st.integers(1, 2), max_size=2))
    specs, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        letters = draw(st.lists(st.sampled_from(LETTERS), max_size=3))
        if draw(st.booleans()):
            kept = ellipsis_shape[len(ellipsis_shape) - draw(st.integers(0, len(ellipsis_shape))) :]
            dims = [draw(st.sampled_from([n, 1])) for n in kept]
            at = draw(st.integers(0, len(letters)))
            specs.append("".join(letters[:at]) + "..." + "".join(letters[at:]))
            shapes.append(
                tuple([sizes[c] for c in letters[:at]] + dims + [sizes[c] for c in letters[at:]])
            )
        else:
            specs.append("".join(letters))
            shapes.append(tuple(sizes[c] for c in letters))
    if draw(st.booleans()):
        return specs, None, shapes
    used = sorted(set("".join(specs).replace(".", "")))
    output = "".join(draw(st.permutations(used))[: draw(st.integers(0, len(used)))])
    if any("..." in s for s in specs):
        at = draw(st.integers(0, len(output)))
        output = output[:at] + "..." + output[at:]
    return specs, output, shapes


@given(call=einsum_calls(), sublists=st.booleans())
def test_einsum_matches_numpy_and_finite_differences(call, sublists):
    specs, output, shapes = call
    operands = [RNG.normal(size=s) for s in shapes]
    if sublists:
        subs, out = as_sublists(specs, output)

        def f(*ops):
            args = [item for pair in zip(ops, subs) for item in pair]
            return np.einsum(*args, *([] if out is None else [out]))
    else:
        subscripts = ",".join(specs) + ("" if output is None else "->" + output)

        def f(*ops):
            return np.einsum(subscripts, *ops)

    expected = f(*operands)
    value = f(*[cr.Tensor(op) for op in operands])
    assert value.shape == np.shape(expected)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12, atol=1e-12)
    check(f, *operands)


def test_ellipsis_in_the_middle_has_the_finite_difference_gradient():
    # The reproducer of issue 8: the gradient for A was wrong with (2, 2), (2, 2, 2),
    # and the call raised with (3, 2), (2, 3, 4).
    for a_shape, b_shape in [((2, 2), (2, 2, 2)), ((3, 2), (2, 3, 4))]:
        a, b = RNG.normal(size=a_shape), RNG.normal(size=b_shape)
        np.testing.assert_allclose(
            np.einsum("j...k,lj...->lk...", cr.Tensor(a), b).numpy(),
            np.einsum("j...k,lj...->lk...", a, b),
        )
        check(lambda a, b: np.einsum("j...k,lj...->lk...", a, b), a, b, order=2)


def test_sublist_form_is_a_matrix_product():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(np.einsum(cr.Tensor(a), [0, 1], b, [1, 2], [0, 2]).numpy(), a @ b)
    weights = RNG.normal(size=(2, 4))
    grad = cr.grad(lambda a: (np.einsum(a, [0, 1], b, [1, 2], [0, 2]) * weights).sum())(a)
    np.testing.assert_allclose(grad, weights @ b.T)


@pytest.mark.parametrize(
    "subscripts, shape",
    [
        ("ii->i", (3, 3)),
        ("ii->", (3, 3)),
        ("ii", (3, 3)),
        ("iij->j", (3, 3, 2)),
        ("iji->ij", (2, 3, 2)),
    ],
)
def test_repeated_index_in_one_operand_takes_a_diagonal(subscripts, shape):
    x = RNG.normal(size=shape)
    check(lambda x: np.einsum(subscripts, x), x, order=2)


def test_trace_gradient_is_the_identity():
    np.testing.assert_array_equal(cr.grad(lambda x: np.einsum("ii", x))(np.ones((3, 3))), np.eye(3))


def test_operand_with_ellipsis_and_a_summed_out_letter():
    x, y = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4,))
    check(lambda x, y: np.einsum("...ij,j->...", x, y), x, y, order=2)
    grad = cr.grad(lambda x: np.einsum("...ij->...", x).sum())(x)
    np.testing.assert_allclose(grad, np.ones_like(x))


def test_size_one_axes_broadcast_and_their_gradient_is_summed():
    x, y = RNG.normal(size=(2, 1, 4)), RNG.normal(size=(3, 4))
    check(lambda x, y: np.einsum("...i,...i->...", x, y), x, y, order=2)
    gy = cr.grad(lambda y: np.einsum("...i,...i->...", x, y).sum())(y)
    np.testing.assert_allclose(gy, np.broadcast_to(x.sum(axis=0), (3, 4)))


def test_float32_stays_float32():
    a, b = RNG.normal(size=(2, 3)).astype(np.float32), RNG.normal(size=(3,)).astype(np.float32)
    ga, gb = cr.grad(lambda a, b: np.einsum("ij,j", a, b).sum(), (0, 1))(a, b)
    assert ga.dtype == gb.dtype == np.float32


@pytest.mark.parametrize(
    "subscripts, shapes",
    [("i...->", [(2, 3)]), ("ij,jk", [(2, 3), (2, 3)]), ("ij", [(2,)]), ("i,j", [(2,)])],
)
def test_calls_numpy_refuses_raise_a_shape_error(subscripts, shapes):
    with pytest.raises(cr.ShapeError, match="einsum"):
        np.einsum(subscripts, *[cr.Tensor(np.ones(s)) for s in shapes])
