"""The backward walk's order: every op node reachable from the root once, after its parents,
whether the graph is a chain (followed parent by parent) or branches (depth-first)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule._core.engine import topological_order
from chainrule._core.node import Node

RNG = np.random.default_rng(11)


def _reachable(root):
    seen, stack = {}, [root._node]
    while stack:
        node = stack.pop()
        if type(node) is Node and id(node) not in seen:
            seen[id(node)] = node
            stack.extend(parent for _, parent in node._parents)
    return seen


def _assert_valid(order, root):
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert position.keys() == _reachable(root).keys()
    for node in order:
        for _, parent in node._parents:
            if type(parent) is Node:
                assert position[id(parent)] < position[id(node)]


def _chain(x, w):
    return cr.nn.functional.cross_entropy(np.tanh(x @ w) * 2.0, np.array([0, 1, 2]))


def _diamond(x, w):
    h = np.tanh(x @ w)
    return (h * h + np.exp(h)).sum()


def _shared_twice(x, w):
    h = np.sin(x @ w)
    return (h @ h.T).sum()


@pytest.mark.parametrize("function", [_chain, _diamond, _shared_twice])
def test_order_holds_each_reachable_node_once_after_its_parents(function):
    x = cr.Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    w = cr.Tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    root = function(x, w)
    order = topological_order([root])
    _assert_valid(order, root)
    _assert_valid(topological_order([root], stop_at={-1}), root)  # the depth-first walk
    assert [id(node) for node in order] == [
        id(node) for node in topological_order([root], stop_at={-1})]


def test_gradients_through_a_chain_and_a_diamond_match_finite_differences():
    x, w = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 3))
    for function in (_chain, _diamond, _shared_twice):
        cr.check_grads(function, (x, w), order=2)


def test_a_leaf_root_has_an_empty_order():
    assert topological_order([cr.Tensor(np.ones(2), requires_grad=True)]) == []
