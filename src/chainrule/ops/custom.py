"""custom_gradient: a function that supplies its own VJP, with TensorFlow's semantics.

Every Tensor inside the arguments (however nested in tuples, lists and dicts) is an input.
The forward runs without recording a graph, and a plain backward pass calls its `grad_fn`.
A pass that must itself be differentiated (grad of grad, hessian, jvp) runs the forward
again with the graph recorded, so what `grad_fn` closes over stays connected to the
inputs, and differentiates that `grad_fn`.
"""

import functools

from chainrule import _backend
from chainrule._core.modes import enable_grad, modes, no_grad, transforming
from chainrule._core.tensor import Tensor, raw
from chainrule._tree import tree_flatten
from chainrule.errors import GradientError
from chainrule.ops._primitive import Primitive, unbroadcast
from chainrule.ops.shape import broadcast_to, reshape, stack


class _Call:
    """One call of a custom-gradient function: its inputs, its grad_fn, how to redo it."""

    __slots__ = ("name", "f", "args", "kwargs", "value", "grad_fn", "_recorded_grad_fn")

    def __init__(self, name, f, args, kwargs, value, grad_fn):
        self.name = name
        self.f = f
        self.args = args
        self.kwargs = kwargs
        self.value = value
        self.grad_fn = grad_fn
        self._recorded_grad_fn = None

    def recorded_grad_fn(self):
        """grad_fn of the forward run again with the graph recorded (made once)."""
        if self._recorded_grad_fn is None:
            try:
                with enable_grad(), transforming():
                    result = self.f(*self.args, **self.kwargs)
            except GradientError as error:
                raise GradientError(
                    f"custom_gradient {self.name}: differentiating its gradient again (grad "
                    f"of grad, hessian, jvp) runs {self.name} with the graph recorded, and "
                    f"there: {error}"
                ) from None
            value, self._recorded_grad_fn = _split(result, self.name)
            module = _backend.array_module(self.value)
            again = _backend.asarray(raw(value), like=self.value)
            if not module.array_equal(again, self.value, equal_nan=True):
                raise GradientError(
                    f"custom_gradient {self.name}: run again for a second derivative, it gave "
                    "a different value (does it draw random numbers?); draw them outside "
                    "and pass them in as arguments"
                )
        return self._recorded_grad_fn

    def gradients(self, grad_fn, cotangent, parents, create_graph):
        """grad_fn(cotangent) as one gradient per parent (None for no contribution)."""
        try:
            result = grad_fn(cotangent)
        except GradientError as error:
            if not create_graph:
                raise
            raise GradientError(
                f"custom_gradient {self.name}: its grad_fn cannot be differentiated again "
                f"(grad of grad, hessian, jvp): {error}"
            ) from None
        per_leaf = _per_leaf(result, self.args, self.name)
        return [_fit(per_leaf[position], parent, self.name) for position, parent in parents]


def _split(result, name):
    """f's result as (value, grad_fn), or a GradientError saying what f must return."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
        raise GradientError(
            f"custom_gradient {name}: the function must return (value, grad_fn), got "
            f"{type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        )
    if isinstance(result[0], (tuple, list, dict)):
        raise GradientError(
            f"custom_gradient {name}: the value must be one array or Tensor, got a "
            f"{type(result[0]).__name__}"
        )
    return result


def _check_keywords(kwargs, name):
    """Keyword arguments get no gradient, so one that is being differentiated is refused."""
    for key, value in kwargs.items():
        for leaf in tree_flatten(value)[0]:
            if isinstance(leaf, Tensor) and leaf.requires_grad and modes.grad_enabled:
                raise GradientError(
                    f"custom_gradient {name}: keyword argument {key!r} holds a Tensor that "
                    "is being differentiated, but keyword arguments get no gradient; pass "
                    "it positionally"
                )


def _per_leaf(result, args, name):
    """Gradients from grad_fn, one per argument leaf in flatten order (None: zero).

    grad_fn gives one entry per positional argument (a single value: the first argument),
    each a gradient of that argument's structure; a lone argument's structure may also
    be given without the outer tuple.
    """
    if not isinstance(result, (tuple, list)):
        result = (result,)
    elif len(args) == 1 and _same_structure(result, args[0]) and not (
        len(result) == 1 and _same_structure(result[0], args[0])
    ):
        result = (result,)
    if len(result) > len(args) and any(g is not None for g in result[len(args) :]):
        raise GradientError(
            f"custom_gradient {name}: grad_fn returned {len(result)} gradients for "
            f"{len(args)} positional inputs"
        )
    leaves = []
    for i, arg in enumerate(args):
        leaves.extend(_match(result[i] if i < len(result) else None, arg, name, f"input {i}"))
    return leaves


def _same_structure(grad, arg):
    if isinstance(arg, (tuple, list)):
        return isinstance(grad, (tuple, list)) and len(grad) == len(arg)
    if isinstance(arg, dict):
        return isinstance(grad, dict)
    return not isinstance(grad, (tuple, list, dict))


def _match(grad, arg, name, where):
    """The leaves of `grad` laid over the leaves of `arg` (None where grad gives none)."""
    if arg is None:
        return []
    if isinstance(arg, (tuple, list)):
        if grad is None:
            grad = [None] * len(arg)
        elif not isinstance(grad, (tuple, list)) or len(grad) != len(arg):
            raise GradientError(
                f"custom_gradient {name}: {where} is a {type(arg).__name__} of {len(arg)} "
                f"items but grad_fn returned {_describe(grad)} for it"
            )
        return [leaf for i, (g, a) in enumerate(zip(grad, arg))
                for leaf in _match(g, a, name, f"{where}[{i}]")]
    if isinstance(arg, dict):
        if grad is not None and not isinstance(grad, dict):
            raise GradientError(
                f"custom_gradient {name}: {where} is a dict but grad_fn returned "
                f"{_describe(grad)} for it"
            )
        return [leaf for key, a in arg.items()
                for leaf in _match(None if grad is None else grad.get(key), a, name,
                                   f"{where}[{key!r}]")]
    return [(grad, where)]


def _describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


def _fit(entry, parent, name):
    """One leaf's gradient made exactly the parent's shape and dtype (None stays None).

    Accepted as PyTorch does: the exact shape, a shape the input broadcasts to (summed
    back), or a single value (broadcast to the input).
    """
    grad, where = entry
    if grad is None:
        return None
    if not isinstance(grad, Tensor):
        grad = _backend.asarray(grad, dtype=parent.dtype)
    shape = parent.shape
    if grad.shape != shape:
        if _broadcasts(shape, grad.shape):
            grad = reshape(unbroadcast(grad, shape, 0), shape)
        elif grad.size == 1:
            grad = broadcast_to(reshape(grad, ()), shape)
        else:
            raise GradientError(
                f"custom_gradient {name}: grad_fn returned a gradient of shape "
                f"{tuple(grad.shape)} for {where}, which has shape {tuple(shape)}"
            )
    if grad.dtype != parent.dtype:
        grad = grad.astype(parent.dtype)
    return grad


def _broadcasts(small, big):
    """True when an array of shape `small` broadcasts to shape `big`."""
    if len(small) > len(big):
        return False
    return all(s in (1, b) for s, b in zip(small[::-1], big[::-1]))


class _CustomPrimitive(Primitive):
    """The node type of custom-gradient calls: its VJP is the `grad_fn` of the call."""

    def vjp(self, node, cotangent, batch_ndim, create_graph):
        call = node._kwargs["call"]
        grad_fn = call.recorded_grad_fn() if create_graph else call.grad_fn
        parents = node._parents
        if batch_ndim:
            rows = reshape(cotangent, (-1,) + node.shape)
            per_row = [call.gradients(grad_fn, row, parents, create_graph) for row in rows]
            batch_shape = cotangent.shape[:batch_ndim]
            grads = [
                None
                if all(g is None for g in column)
                else reshape(stack([_zeros_if_none(g, parent, cotangent) for g in column]),
                             batch_shape + parent.shape)
                for column, (_, parent) in zip(zip(*per_row), parents)
            ]
        else:
            grads = call.gradients(grad_fn, cotangent, parents, create_graph)
        return [
            (parent, grad if create_graph else raw(grad))
            for grad, (_, parent) in zip(grads, parents)
            if grad is not None
        ]


def _zeros_if_none(grad, parent, cotangent):
    if grad is not None:
        return grad
    return _backend.array_module(raw(cotangent)).zeros(parent.shape, dtype=parent.dtype)


def _first_tensor(leaves):
    return next((leaf for leaf in leaves if isinstance(leaf, Tensor)), None)


def custom_gradient(f):
    """Decorate `f(*inputs) -> (value, grad_fn)` so its gradient is `grad_fn(dy)`.

    - Every Tensor in the positional inputs is differentiated, however nested in tuples,
      lists and dicts. Keyword arguments are not: a Tensor being differentiated there is
      refused. Tensors that `f` closes over are constants; pass them as inputs.
    - `f` runs without recording a graph; it receives its arguments as given (Tensors stay
      Tensors, so `grad_fn` can close over them, and `float(t)` works).
    - `grad_fn(dy)` gets the cotangent of the value (same shape as the value: an array in
      a plain backward pass, a Tensor when the pass is itself differentiated) and returns
      dC/d(input) = dy * d(value)/d(input) for each positional input, as one value (one
      input) or a tuple/list, each in its input's structure. Missing trailing entries and
      None mean a zero gradient.
    - Under batched cotangents (jacobian) `grad_fn` is called once per row.
    - For a second derivative (grad of grad, hessian, jvp), `f` runs again with the graph
      recorded and that `grad_fn` is differentiated: exact when `f` and `grad_fn` are
      written with chainrule/NumPy functions, a GradientError (never a zero) when they
      turn the Tensors into plain numbers or arrays, or when `f` gives another value.
    """
    name = getattr(f, "__name__", "custom_gradient")
    prim = _CustomPrimitive(f, name=name)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        _check_keywords(kwargs, name)
        with no_grad():
            value, grad_fn = _split(f(*args, **kwargs), name)
        leaves = tree_flatten(list(args))[0]
        data = _backend.asarray(raw(value), like=_first_tensor(leaves))
        parents = tuple(
            (i, leaf) for i, leaf in enumerate(leaves)
            if isinstance(leaf, Tensor) and leaf.requires_grad
        )
        if not any(isinstance(leaf, Tensor) for leaf in leaves):
            return data
        if not parents or not modes.grad_enabled:
            return Tensor._constant(data)
        call = _Call(name, f, args, kwargs, data, grad_fn)
        return Tensor._from_op(data, prim, [raw(leaf) for leaf in leaves], {"call": call}, parents)

    return wrapper
