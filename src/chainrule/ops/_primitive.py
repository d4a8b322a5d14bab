"""Primitive: one forward and its VJPs side by side; broadcasting undone in one helper.

A VJP is a function `vjp(g, ans, *args, **kwargs)` of the output cotangent `g`, the
output `ans` and the op's inputs. It is written with NumPy-style calls (`xp.*`, operators),
so on raw arrays it runs at NumPy speed, and on Tensors (when a pass must be differentiated
again) the same code records a graph through Tensor's NumPy dispatch. `g` may carry leading
batch axes (a batch of cotangents), so VJPs use axes counted from the end.
"""

from chainrule import _backend
from chainrule._core import anomaly
from chainrule._core.modes import modes
from chainrule._core.tensor import Tensor
from chainrule.errors import ShapeError

xp = _backend.xp


def unbroadcast(cotangent, shape, batch_ndim):
    """Sum `cotangent` (batch axes + a broadcast shape) down to batch axes + `shape`."""
    cshape = cotangent.shape
    if cshape[batch_ndim:] == shape:
        return cotangent
    extra = len(cshape) - batch_ndim - len(shape)
    if extra > 0:
        cotangent = xp.sum(cotangent, axis=tuple(range(batch_ndim, batch_ndim + extra)))
    kept = cotangent.shape[batch_ndim:]
    if len(kept) != len(shape):
        return cotangent
    axes = tuple(
        batch_ndim + i for i, (n, m) in enumerate(zip(shape, kept, strict=True)) if n == 1 != m
    )
    if axes:
        cotangent = xp.sum(cotangent, axis=axes, keepdims=True)
    return cotangent


def _shape_error(name, raw_args, error):
    shapes = " and ".join(str(tuple(a.shape)) for a in raw_args if hasattr(a, "shape"))
    return ShapeError(f"{name}: operands with shapes {shapes} do not fit: {error}")


class Primitive:
    """A differentiable op: `forward` on raw arrays plus a VJP per input position."""

    __slots__ = ("name", "forward", "vjps", "vjp_argnum", "__dict__")

    def __init__(self, forward, name=None):
        self.name = name or forward.__name__.lstrip("_")
        self.forward = forward
        self.vjps = {}
        self.vjp_argnum = None
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward

    def defvjp(self, *vjps):
        """Give the VJP of each positional input in order (None: not differentiable)."""
        self.vjps = {i: vjp for i, vjp in enumerate(vjps) if vjp is not None}
        return vjps[0] if len(vjps) == 1 else None

    def defvjp_argnum(self, vjp):
        """Give one VJP `vjp(argnum, g, ans, *args, **kwargs)` for ops with many inputs."""
        self.vjp_argnum = vjp
        return vjp

    def __call__(self, *args, **kwargs):
        raw = list(args)
        parents = []
        has_tensor = False
        vjps = self.vjps
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                has_tensor = True
                raw[i] = arg.data
                if arg.requires_grad and (i in vjps or self.vjp_argnum is not None):
                    parents.append((i, arg))
        try:
            ans = self.forward(*raw, **kwargs)
        except ValueError as error:
            raise _shape_error(self.name, raw, error) from None
        if not has_tensor:
            return ans
        if modes.anomaly:
            anomaly.check_output(self, raw, ans)
        if parents and modes.grad_enabled:
            node = Tensor._from_op(ans, self, raw, kwargs, parents)
            if modes.anomaly:
                node._trace = anomaly.user_frame()
            return node
        return Tensor._constant(ans)

    def vjp(self, node, cotangent, batch_ndim, create_graph):
        """Pairs (parent, cotangent for parent) for the op that made `node`."""
        if create_graph:
            args = list(node._args)
            for i, parent in node._parents:
                args[i] = parent
            ans = node
        else:
            args = node._args
            ans = node.data
        kwargs = node._kwargs
        out = []
        for i, parent in node._parents:
            if self.vjp_argnum is not None:
                parent_cotangent = self.vjp_argnum(i, cotangent, ans, *args, **kwargs)
            else:
                parent_cotangent = self.vjps[i](cotangent, ans, *args, **kwargs)
            if not create_graph and isinstance(parent_cotangent, Tensor):
                parent_cotangent = parent_cotangent.data
            data = parent.data
            if parent_cotangent.shape[batch_ndim:] != data.shape:
                parent_cotangent = unbroadcast(parent_cotangent, data.shape, batch_ndim)
            if parent_cotangent.dtype != data.dtype:
                parent_cotangent = parent_cotangent.astype(data.dtype)
            out.append((parent, parent_cotangent))
        return out

    def __repr__(self):
        return f"<chainrule primitive {self.name}>"


def primitive(forward):
    """Decorator: make `forward` (raw arrays in, raw array out) a Primitive."""
    return Primitive(forward)
