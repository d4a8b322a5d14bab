"""custom_gradient: a function that supplies its own VJP, with TensorFlow's semantics."""

import functools

from chainrule import _backend
from chainrule._core.modes import modes, no_grad
from chainrule._core.tensor import Tensor
from chainrule.ops._primitive import Primitive, unbroadcast
from chainrule.ops.shape import stack

xp = _backend.xp


class _CustomPrimitive(Primitive):
    """The node type of custom-gradient calls: its VJP is the `grad_fn` of the call."""

    def vjp(self, node, cotangent, batch_ndim, create_graph):
        grad_fn = node._kwargs["grad_fn"]
        if batch_ndim:
            rows = cotangent.reshape((-1,) + node.shape)
            per_row = [self._call_grad_fn(grad_fn, row, node) for row in rows]
            batch_shape = cotangent.shape[:batch_ndim]
            grads = [
                None
                if all(g is None for g in column)
                else stack([_fill(g, parent) for g in column]).reshape(batch_shape + parent.shape)
                for column, (_, parent) in zip(zip(*per_row), node._parents)
            ]
        else:
            grads = self._call_grad_fn(grad_fn, cotangent, node)
        out = []
        for grad, (_, parent) in zip(grads, node._parents):
            if grad is None:
                continue
            if not create_graph and isinstance(grad, Tensor):
                grad = grad.data
            if not batch_ndim:
                grad = _fill(grad, parent)
            if grad.dtype != parent.dtype:
                grad = grad.astype(parent.dtype)
            out.append((parent, grad))
        return out

    def _call_grad_fn(self, grad_fn, cotangent, node):
        """grad_fn(dy) as one entry per parent (None where it gave none)."""
        try:
            grads = grad_fn(cotangent)
        except TypeError as error:
            if "drop it from the graph" not in str(error):
                raise
            raise TypeError(
                f"custom_gradient {self.name}: its grad_fn converts Tensors to NumPy arrays, "
                "so it cannot be differentiated again (hessian, jvp). Write grad_fn with "
                "chainrule/NumPy functions on the Tensors it closes over instead of in-place "
                "array writes."
            ) from None
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        positions = [i for i, _ in node._parents]
        return [grads[i] if i < len(grads) else None for i in positions]


def _fill(grad, parent):
    """A user's gradient (scalar, array, Tensor or None) made exactly the parent's shape."""
    if grad is None:
        return xp.zeros(parent.shape, dtype=parent.dtype)
    if not isinstance(grad, Tensor):
        grad = xp.asarray(grad, dtype=parent.dtype)
    if grad.shape != parent.shape:
        grad = xp.broadcast_to(unbroadcast(grad, parent.shape, 0), parent.shape)
    return grad


def custom_gradient(f):
    """Decorate `f(*inputs) -> (value, grad_fn)` so its gradient is `grad_fn(dy)`.

    - `f` runs without recording a graph; it receives its arguments as given (Tensors stay
      Tensors, so `grad_fn` can close over them).
    - `grad_fn(dy)` gets the cotangent of the value (same shape as the value: an array in
      a plain backward pass, a Tensor when the pass is itself differentiated) and returns
      dC/d(input) = dy * d(value)/d(input) for each positional input, as one value (one
      input) or a tuple/list. Missing trailing entries and None mean a zero gradient.
    - Under batched cotangents (jacobian) `grad_fn` is called once per row.
    - Written with chainrule/NumPy functions on Tensors, `grad_fn` is differentiable, so
      the function works under hessian and jvp (which chainrule computes from VJPs).
    """
    prim = _CustomPrimitive(f, name=getattr(f, "__name__", "custom_gradient"))

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        with no_grad():
            value, grad_fn = f(*args, **kwargs)
        data = value.data if isinstance(value, Tensor) else xp.asarray(value)
        parents = tuple(
            (i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
        )
        if not any(isinstance(a, Tensor) for a in args):
            return data
        if not parents or not modes.grad_enabled:
            return Tensor._constant(data)
        raw = [a.data if isinstance(a, Tensor) else a for a in args]
        return Tensor._from_op(data, prim, raw, {"grad_fn": grad_fn}, parents)

    return wrapper
