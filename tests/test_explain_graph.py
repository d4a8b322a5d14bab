"""graph(): the DOT source of one call names every op with its shape and dtype, marks
inputs and parameters, and is well formed; write_graph renders only when Graphviz is here."""

import re
import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule.explain import chain_function, graph, model_layers, network_stages, write_graph
from chainrule.nn import MLP

NODE = re.compile(r'^  (n\d+) \[label="([^"]*)"(.*)\];$')
EDGE = re.compile(r"^  (n\d+) -> (n\d+)( \[label=\d+\])?;$")


def parse(dot):
    """{node id: (label lines, attributes)} and [(tail, head)], checking every line's form."""
    lines = dot.strip().splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{")
    assert lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[3:-1]:
        if node := NODE.match(line):
            nodes[node[1]] = (node[2].split("\\n"), node[3])
        else:
            edge = EDGE.match(line)
            assert edge, line
            assert edge[1] in nodes and edge[2] in nodes, "edge before its nodes"
            edges.append((edge[1], edge[2]))
    return nodes, edges


@pytest.fixture(scope="module")
def mnist_graph():
    model = MLP(sizes=(784, 512, 10), rng=np.random.default_rng(0))
    dense, activations = model_layers(model)
    chain = chain_function(network_stages(dense, activations, label=7))
    return parse(graph(chain, np.zeros(784, dtype=np.float32)))


def test_mnist_graph_shows_each_op_with_shape_and_dtype(mnist_graph):
    nodes, _ = mnist_graph
    ops = [lines for lines, attributes in nodes.values() if "fillcolor" not in attributes]
    assert [lines[0] for lines in ops] == [
        "matmul", "add", "relu", "matmul", "add", "softmax", "getitem", "log", "negative"]
    assert ops[0][1] == "(512,) float32"
    assert ops[3][1] == "(10,) float32"
    assert ops[-1][1] == "() float32"


def test_mnist_graph_marks_the_input_and_the_parameters(mnist_graph):
    nodes, _ = mnist_graph
    leaves = {lines[0]: (lines[1], lines[2]) for lines, attributes in nodes.values()
              if "fillcolor" in attributes}
    assert leaves == {
        "x": ("input", "(784,) float32"),
        "W1": ("parameter", "(512, 784) float32"), "b1": ("parameter", "(512,) float32"),
        "W2": ("parameter", "(10, 512) float32"), "b2": ("parameter", "(10,) float32"),
    }


def test_mnist_graph_is_one_chain_from_the_input_to_the_doubled_output(mnist_graph):
    nodes, edges = mnist_graph
    outputs = [ident for ident, (_, attributes) in nodes.items() if "peripheries=2" in attributes]
    assert len(outputs) == 1
    assert len(edges) == len(nodes) - 1  # a tree: every node but the output feeds one op
    assert not [ident for ident in nodes if ident not in {tail for tail, _ in edges}
                and ident not in outputs]


def test_graph_names_inputs_after_the_functions_parameters_and_dashes_custom_gradients():
    @cr.custom_gradient
    def cube(x):
        return x**3, lambda g: 3 * g * x**2

    def f(weights, bias, label):
        return cube(weights).sum() * bias + label

    nodes, edges = parse(graph(f, np.ones(3), 2.0, 5))
    labels = {lines[0]: attributes for lines, attributes in nodes.values()}
    assert {"weights", "bias"} <= set(labels)
    assert "label" not in labels  # integers carry no gradient: a constant, not an input
    assert "style=dashed" in labels["cube (custom gradient)"]
    multiply = next(i for i, (lines, _) in nodes.items() if lines[0] == "multiply")
    assert len([e for e in edges if e[1] == multiply]) == 2


def test_graph_quotes_names_with_quotes():
    named = cr.Tensor(np.ones(2), requires_grad=True, name='say "hi"')
    dot = graph(lambda x: (x * named).sum(), np.ones(2))
    assert r'say \"hi\"' in dot
    parse(dot)


def test_write_graph_falls_back_to_dot_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    source = graph(lambda x: np.tanh(x).sum(), np.ones(2))
    written = write_graph(source, tmp_path / "net.svg")
    assert written == tmp_path / "net.dot"
    assert written.read_text() == source
    assert write_graph(source, tmp_path / "net.gv").read_text() == source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_write_graph_renders_svg_with_graphviz(tmp_path):
    @cr.custom_gradient
    def cube(x):
        return x**3, lambda g: 3 * g * x**2

    named = cr.Tensor(np.ones(2), requires_grad=True, name='a "quoted" \\ name')
    source = graph(lambda x: (cube(x) * named).sum(), np.ones(2))
    written = write_graph(source, tmp_path / "net.svg")
    assert written == tmp_path / "net.svg"
    svg = written.read_text()
    assert "<svg" in svg
    assert "cube (custom gradient)" in svg
