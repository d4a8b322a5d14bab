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
  `op.defvjp_argnum(vjp)` one VJP `vjp(argnum, g, ans, *args)` for ops with many inputs.
  `defvjp(op, ...)` and `defvjp_argnum(op, vjp)` are the same as functions, as in autograd.
  A gradient that reaches an input with no rule raises `MissingDerivativeError` (a
  NotImplementedError, as in autograd), never a silent zero.
- A VJP is written with NumPy calls on its arguments: it then runs on arrays in a plain
  backward pass and on Tensors when the pass is differentiated again, so the op works to
  any order and in forward mode (chainrule derives forward mode from VJPs: there is no
  separate JVP rule to write). `g` may carry leading batch axes: use axes counted from the
  end (`negative_axes`), and leave broadcasting to the engine (it calls `unbroadcast`).
- `register_numpy(numpy_function, op)` routes a NumPy function to an existing chainrule
  function; `register_numpy(numpy_function)` marks one whose result has no derivative.
"""

from chainrule._core.tensor import Tensor, raw
from chainrule.errors import MissingDerivativeError
from chainrule.ops._axes import batch_ndim, expand_reduced, negative_axes
from chainrule.ops._primitive import Primitive, primitive, unbroadcast
from chainrule.ops.custom import custom_gradient
from chainrule.ops.numpy_dispatch import register as register_numpy


def defvjp(op, *vjps, argnums=None):
    """`op.defvjp(*vjps, argnums=argnums)`: one VJP per positional input of `op`."""
    return op.defvjp(*vjps, argnums=argnums)


def defvjp_argnum(op, vjp):
    """`op.defvjp_argnum(vjp)`: one VJP `vjp(argnum, g, ans, *args)` for every input."""
    return op.defvjp_argnum(vjp)


__all__ = [
    "MissingDerivativeError",
    "Primitive",
    "Tensor",
    "batch_ndim",
    "custom_gradient",
    "defvjp",
    "defvjp_argnum",
    "expand_reduced",
    "negative_axes",
    "primitive",
    "raw",
    "register_numpy",
    "unbroadcast",
]
