"""A graph node keeps only what its VJP reads, so unneeded intermediate results are freed.

`Primitive.saves` is read off each VJP's code (or declared with `defvjp(saves=)`); a VJP
that reads a value its primitive did not save raises instead of computing with it, so
the whole gradient suite also checks every op's declaration.
"""

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.extend import defvjp, primitive
from chainrule.ops import elementwise, linalg


@pytest.mark.parametrize(
    "op, saves",
    [
        (elementwise.add, (False, frozenset())),
        (elementwise.subtract, (False, frozenset())),
        (elementwise.negative, (False, frozenset())),
        (elementwise.exp, (True, frozenset())),
        (elementwise.tanh, (True, frozenset())),
        (elementwise.multiply, (False, frozenset({0, 1}))),
        (linalg.matmul, (False, frozenset({0, 1}))),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_what_common_ops_keep_for_their_backward_pass(op, saves):
    assert op.saves == saves


def test_intermediate_results_no_vjp_reads_are_freed_before_backward():
    rng = np.random.default_rng(0)
    x = cr.Tensor(rng.normal(size=(64, 32)))
    w = cr.Tensor(rng.normal(size=(32, 16)), requires_grad=True)
    b = cr.Tensor(rng.normal(size=(16,)), requires_grad=True)
    product = x @ w
    pre_activation = product + b
    loss = np.tanh(pre_activation).sum()
    freed = [weakref.ref(product.data), weakref.ref(pre_activation.data)]
    del product, pre_activation
    gc.collect()
    assert [ref() for ref in freed] == [None, None]
    loss.backward()
    expected = x.data.T @ (1 - np.tanh(x.data @ w.data + b.data) ** 2)
    np.testing.assert_allclose(w.grad, expected)


def test_an_output_the_vjp_reads_is_kept_and_differentiable_again():
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(cr.hessian(lambda x: np.exp(x).sum())(x), np.diag(np.exp(x)))


def test_declared_saves_replace_what_is_read_off_the_code():
    @primitive
    def scale(x, k):
        return x * k

    def vjp(g, ans, *args):  # *args: the code does not say which input it reads
        return g * args[1]

    defvjp(scale, vjp, None)
    assert scale.saves == (True, None)
    defvjp(scale, vjp, None, saves=(1,))
    assert scale.saves == (False, frozenset({1}))
    np.testing.assert_allclose(cr.grad(lambda x: scale(x, 3.0).sum())(np.ones(2)), [3.0, 3.0])


def test_a_vjp_that_reads_what_was_declared_unsaved_raises_instead_of_guessing():
    @primitive
    def cube(x):
        return x**3

    defvjp(cube, lambda g, ans, x: g * 3 * x**2, saves=("ans",))
    with pytest.raises(cr.GradientError, match="does not save"):
        cr.grad(lambda x: cube(x).sum())(np.ones(2))
