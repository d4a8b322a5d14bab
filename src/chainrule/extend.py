"""Public extension API: add a differentiable function in one place, without private imports.

    import numpy as np
    from chainrule.extend import primitive

    @primitive(numpy=np.cbrt)          # optional: np.cbrt on Tensors now runs this op
    def cbrt(x):
        return np.cbrt(x)

    @cbrt.defvjp                       # the VJP of input 0: g, the output, then the inputs
    def _(g, ans, x):
        return g / (3 * ans * ans)

- `primitive(forward)` or `primitive(numpy=f)(forward)`: `forward` gets raw arrays and
  returns one; the op records itself in the graph when a Tensor that requires grad goes in.
- `op.defvjp(vjp_0, vjp_1, ...)` gives one VJP per positional input (None declares it not
  differentiable: zero gradient), `op.defvjp(vjp, argnums=(1,))` one input's,
  `op.defvjp_argnum(vjp)` one VJP `vjp(argnum, g, ans, *args)` for ops with many inputs,
  `op.defvjp_argnums(vjp)` one VJP `vjp(argnums, g, ans, *args)` returning the cotangents
  of all the inputs in `argnums` at once (work they share is done once).
  `defvjp(op, ...)`, `defvjp_argnum(op, vjp)` and `defvjp_argnums(op, vjp)` are the same
  as functions, as in autograd.
  A gradient that reaches an input with no rule raises `MissingDerivativeError` (a
  NotImplementedError, as in autograd), never a silent zero.
- A VJP is written with NumPy calls on its arguments: it then runs on arrays in a plain
  backward pass and on Tensors when the pass is differentiated again, so the op works to
  any order and in forward mode (chainrule derives forward mode from VJPs: there is no
  separate JVP rule to write). `g` may carry leading batch axes: use axes counted from the
  end (`negative_axes`), and leave broadcasting to the engine (it calls `unbroadcast`).
- The graph node of a call keeps only what the VJPs read: read off their code (`g * ans`
  keeps the output, `g * x` the input x, `lambda g, ans, x: g` nothing), or declared with
  `defvjp(op, vjp, saves=("ans", 0))` where the code cannot tell (a VJP taking `*args`).
  A VJP that reads a value its op does not save raises a GradientError.
- To run on any device (CuPy arrays, not only NumPy), take the array module from the
  arguments: `ns = namespace(g, x)`, then `ns.cos(x)`; on Tensors it records a graph.
- `register_numpy(numpy_function, op)` routes a NumPy function to an existing chainrule
  function; `register_numpy(numpy_function)` marks one whose result has no derivative.
"""

from chainrule._core.tensor import Tensor, raw
from chainrule.errors import MissingDerivativeError
from chainrule.ops._axes import batch_ndim, expand_reduced, negative_axes
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import Primitive, primitive, unbroadcast
from chainrule.ops.custom import custom_gradient
from chainrule.ops.numpy_dispatch import register as register_numpy


def defvjp(op, *vjps, argnums=None, saves=None):
    """`op.defvjp(*vjps, argnums=argnums, saves=saves)`: one VJP per positional input."""
    return op.defvjp(*vjps, argnums=argnums, saves=saves)


def defvjp_argnum(op, vjp, saves=None):
    """`op.defvjp_argnum(vjp)`: one VJP `vjp(argnum, g, ans, *args)` for every input."""
    return op.defvjp_argnum(vjp, saves=saves)


def defvjp_argnums(op, vjp, saves=None):
    """`op.defvjp_argnums(vjp)`: one VJP `vjp(argnums, g, ans, *args)` returning a cotangent
    for each input position in `argnums`."""
    return op.defvjp_argnums(vjp, saves=saves)


__all__ = [
    "MissingDerivativeError",
    "Primitive",
    "Tensor",
    "batch_ndim",
    "custom_gradient",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "expand_reduced",
    "namespace",
    "negative_axes",
    "primitive",
    "raw",
    "register_numpy",
    "unbroadcast",
]
