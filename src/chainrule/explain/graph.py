"""The computation graph of one call, as Graphviz DOT: ops with shapes and dtypes, inputs
and parameters marked; rendered to SVG/PNG when Graphviz's `dot` program is installed."""

import inspect
import shutil
import subprocess
from pathlib import Path

import numpy as np

from chainrule._core.engine import topological_order
from chainrule._core.modes import enable_grad
from chainrule._core.tensor import Tensor, graph_node, is_differentiable_dtype
from chainrule._tree import tree_flatten
from chainrule.errors import ChainruleError
from chainrule.ops.custom import _CustomPrimitive

RENDERED_FORMATS = ("svg", "png", "pdf")


def graph(f, *args, title=None):
    """Graphviz DOT source for the graph that `f(*args)` records.

    Floating-point arguments become inputs (named after f's parameters); leaf Tensors
    that f reaches otherwise and that require grad (a model's weights) are parameters.
    Op nodes show the op, the output shape and dtype; custom-gradient ops are dashed.
    """
    names = _argument_names(f, len(args))
    inputs = [_as_input(arg, name) for arg, name in zip(args, names, strict=True)]
    with enable_grad():
        out = f(*inputs)
    outputs = [leaf for leaf in tree_flatten(out)[0] if isinstance(leaf, Tensor)]
    input_ids = {id(arg) for arg in inputs if isinstance(arg, Tensor)}
    ids = {}
    lines = [f"digraph {_quote(title or getattr(f, '__name__', 'f'))} {{",
             "  node [fontname=Helvetica, fontsize=11];",
             "  edge [fontname=Helvetica, fontsize=9];"]
    order = topological_order(outputs)
    output_nodes = {id(graph_node(o)) for o in outputs}
    for node in order:
        for _, parent in node._parents:
            if not parent._parents and id(parent) not in ids:
                ids[id(parent)] = f"n{len(ids)}"
                lines.append(_leaf_line(ids[id(parent)], parent, id(parent) in input_ids))
        ids[id(node)] = f"n{len(ids)}"
        lines.append(_op_line(ids[id(node)], node, id(node) in output_nodes))
        labelled = len(node._parents) > 1
        for argnum, parent in node._parents:
            label = f" [label={argnum}]" if labelled else ""
            lines.append(f"  {ids[id(parent)]} -> {ids[id(node)]}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _argument_names(f, count):
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    named = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [named[i] if i < len(named) else f"arg{i}" for i in range(count)]


def _as_input(arg, name):
    data = arg.data if isinstance(arg, Tensor) else np.asarray(arg)
    if not is_differentiable_dtype(data.dtype):
        return arg
    return Tensor(data, requires_grad=True, name=name)


def _describe(tensor):
    return f"{tuple(tensor.shape)} {tensor.dtype}"


def _quote(*lines):
    """A DOT string literal; several lines are joined with DOT's line break."""
    escaped = (str(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def _leaf_line(ident, leaf, is_input):
    role, colour = ("input", "lightblue") if is_input else ("parameter", "lightyellow")
    label = _quote(leaf.name or role, role, _describe(leaf))
    return f"  {ident} [label={label}, shape=box, style=filled, fillcolor={colour}];"


def _op_line(ident, node, is_output):
    custom = isinstance(node._prim, _CustomPrimitive)
    label = _quote(node.op_name + (" (custom gradient)" if custom else ""), _describe(node))
    style = ", style=dashed" if custom else ""
    border = ", peripheries=2" if is_output else ""
    return f"  {ident} [label={label}{style}{border}];"


def write_graph(dot_source, path):
    """Write DOT to `path`, rendered when its suffix is svg/png/pdf and `dot` is installed.

    Without Graphviz a rendered format falls back to DOT next to it (`graph.svg` ->
    `graph.dot`). Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in RENDERED_FORMATS and shutil.which("dot"):
        try:
            subprocess.run(["dot", f"-T{fmt}", "-o", str(path)], input=dot_source, text=True,
                           check=True, capture_output=True)
        except subprocess.CalledProcessError as error:
            raise ChainruleError(f"Graphviz dot could not render {path}: "
                                 f"{error.stderr.strip()}") from None
        return path
    if fmt in RENDERED_FORMATS:
        path = path.with_suffix(".dot")
    path.write_text(dot_source)
    return path
