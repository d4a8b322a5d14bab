"""Function transformations: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Each takes a function of arrays (or Tensors) and returns plain arrays. Inside a
transformation that is itself being differentiated (`grad(grad(f))`, `hessian`), results
stay Tensors so the outer one can differentiate through them.

Forward mode is derived from reverse mode ("double VJP"): u -> J^T u is linear in u, so
differentiating it with respect to u in direction v gives J v. Every op therefore needs
only a VJP, and `custom_gradient` functions work under `jvp` as long as their `grad_fn`
is written with differentiable ops.

`jacobian(mode="rev")` seeds one backward pass with a batch of cotangents: the identity
matrix reshaped to (out.size,) + out.shape. Every VJP accepts leading batch axes, so all
rows come out of that single pass; there is no Python loop over outputs.
"""

import contextlib
import functools

from chainrule import _backend
from chainrule._core import engine
from chainrule._core.modes import enable_grad, modes
from chainrule._core.tensor import Tensor, is_differentiable_dtype, raw
from chainrule._tree import tree_flatten, tree_map, tree_unflatten
from chainrule.errors import GradientError
from chainrule.ops.elementwise import identity

xp = _backend.xp

@contextlib.contextmanager
def _transforming():
    """Mark a transformation as running: nested ones must then build differentiable results."""
    modes.transform_depth += 1
    try:
        yield
    finally:
        modes.transform_depth -= 1


def _as_input(value, where):
    """A fresh graph node standing for one input leaf (distinct from any outer node)."""
    if isinstance(value, Tensor):
        if not is_differentiable_dtype(value.dtype):
            raise GradientError(f"{where} has dtype {value.dtype}; only floats have gradients")
        if value.requires_grad:
            with enable_grad():
                return identity(value)
        return Tensor(value.data, requires_grad=True)
    array = xp.asarray(value)
    if not is_differentiable_dtype(array.dtype):
        raise GradientError(
            f"{where} has dtype {array.dtype}; only floats have gradients "
            "(pass 3.0 rather than 3, or cast with .astype(np.float32))"
        )
    return Tensor(array, requires_grad=True)


class _Trace:
    """One evaluation of f with chosen arguments replaced by fresh input nodes."""

    def __init__(self, f, args, argnums, name):
        self.single = isinstance(argnums, int)
        args = list(args)
        self.trees = []
        self.inputs = []
        outer = False
        for argnum in (argnums,) if self.single else tuple(argnums):
            if not -len(args) <= argnum < len(args):
                raise GradientError(f"{name}: argnums {argnum} but f got {len(args)} arguments")
            leaves, treedef = tree_flatten(args[argnum])
            outer |= any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves)
            nodes = [_as_input(leaf, f"{name}: argument {argnum}") for leaf in leaves]
            args[argnum] = tree_unflatten(treedef, nodes)
            self.trees.append((treedef, len(nodes)))
            self.inputs.extend(nodes)
        self.create_graph = outer or modes.transform_depth > 0
        with enable_grad(), _transforming():
            self.out = f(*args)

    def backward(self, roots, seeds, create_graph=None):
        """Cotangents for every input leaf (zeros where an input does not matter)."""
        create_graph = self.create_graph if create_graph is None else create_graph
        batch_shape = seeds[0].shape[: seeds[0].ndim - xp.ndim(roots[0])] if roots else ()
        tensors = [(r, s) for r, s in zip(roots, seeds) if isinstance(r, Tensor)]
        with _transforming():
            grads = (
                engine.backward(
                    [r for r, _ in tensors], [s for _, s in tensors], self.inputs, create_graph
                )
                if tensors
                else [None] * len(self.inputs)
            )
        return [
            self.finish(g, node, batch_shape, create_graph) for g, node in zip(grads, self.inputs)
        ]

    @staticmethod
    def finish(grad, node, batch_shape, create_graph):
        """One input's cotangent as the caller gets it: zeros if unreached, full shape."""
        if grad is None:
            return xp.zeros(batch_shape + node.shape, dtype=node.dtype)
        if isinstance(grad, Tensor) and not create_graph:
            grad = grad.data
        shape = batch_shape + node.shape
        if isinstance(grad, Tensor):
            return grad if grad.shape == shape else xp.broadcast_to(grad, shape)
        return engine.writable(xp.broadcast_to(grad, shape))

    def pack(self, flat):
        """Per-input results back into the argument structure (a tuple for many argnums)."""
        out, start = [], 0
        for treedef, count in self.trees:
            out.append(tree_unflatten(treedef, flat[start : start + count]))
            start += count
        return out[0] if self.single else tuple(out)

    def result(self, value):
        """Outputs for the caller: arrays at top level, Tensors when nested."""
        if self.create_graph:
            return value
        return tree_map(raw, value)


def _seed_like(out):
    data = out.data if isinstance(out, Tensor) else xp.asarray(out)
    return xp.ones_like(data)


def _check_scalar(out, name):
    size = out.size if hasattr(out, "size") else 1
    if size != 1:
        raise GradientError(
            f"{name}: f must return a scalar, got shape {tuple(out.shape)}; "
            "use jacobian or vjp for non-scalar outputs"
        )


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning (f(*args), df/d(args[argnums])); with has_aux, ((f, aux), grad)."""

    @functools.wraps(f)
    def value_and_grad_f(*args):
        trace = _Trace(f, args, argnums, "grad")
        out, aux = trace.out if has_aux else (trace.out, None)
        _check_scalar(out, "grad")
        grads = trace.pack(trace.backward([out], [_seed_like(out)]))
        value = trace.result(out)
        return ((value, trace.result(aux)) if has_aux else value), grads

    return value_and_grad_f


def grad(f, argnums=0, has_aux=False):
    """A function returning the gradient of scalar f with respect to args[argnums]."""
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args):
        (value, grads) = value_and_grad_f(*args)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def gradients_function(f, params=None):
    """TensorFlow eager's gradients_function: a list of d(sum f)/d(arg) per positional arg."""

    @functools.wraps(f)
    def gradients(*args):
        argnums = tuple(range(len(args))) if params is None else tuple(params)
        trace = _Trace(f, args, argnums, "gradients_function")
        return list(trace.pack(trace.backward([trace.out], [_seed_like(trace.out)])))

    return gradients


def vjp(f, *primals):
    """(f(*primals), vjp_fn) where vjp_fn(cotangent) gives a tuple, one entry per primal."""
    trace = _Trace(f, primals, tuple(range(len(primals))), "vjp")
    out_leaves, out_def = tree_flatten(trace.out)

    def vjp_fn(cotangent):
        seeds = [
            xp.asarray(c.data if isinstance(c, Tensor) else c, dtype=getattr(o, "dtype", None))
            for c, o in zip(tree_flatten(cotangent)[0], out_leaves)
        ]
        return trace.pack(trace.backward(out_leaves, seeds))

    return trace.result(tree_unflatten(out_def, out_leaves)), vjp_fn


def _tangent_out(trace, out, tangents_flat, create_graph):
    """J v for the traced f (double VJP): differentiate u -> J^T u in direction v.

    `tangents_flat` holds one tangent (or None, a zero tangent) per input leaf; tangents
    may carry leading batch axes, giving a batch of directions in one pass.
    """
    dummy = Tensor(xp.zeros_like(out.data), requires_grad=True)
    with enable_grad():
        cotangents = engine.backward([out], [dummy], trace.inputs, create_graph=True)
    roots, seeds = [], []
    for cotangent, tangent in zip(cotangents, tangents_flat):
        if tangent is not None and isinstance(cotangent, Tensor) and cotangent.requires_grad:
            roots.append(cotangent)
            seeds.append(tangent)
    if not roots:
        tangent, node = next((t, n) for t, n in zip(tangents_flat, trace.inputs) if t is not None)
        batch = tangent.shape[: tangent.ndim - node.ndim]
        return xp.zeros(batch + out.shape, dtype=out.dtype)
    (result,) = engine.backward(roots, seeds, [dummy], create_graph=create_graph)
    batch = seeds[0].shape[: seeds[0].ndim - roots[0].ndim]
    return _Trace.finish(result, dummy, batch, create_graph)


def jvp(f, primals, tangents):
    """(f(*primals), J v): the directional derivative of f along `tangents`."""
    trace = _Trace(f, primals, tuple(range(len(primals))), "jvp")
    tangent_leaves = [
        xp.asarray(t.data if isinstance(t, Tensor) else t, dtype=node.dtype)
        for t, node in zip(tree_flatten(tuple(tangents))[0], trace.inputs, strict=True)
    ]
    out = trace.out
    if not isinstance(out, Tensor):
        return trace.result(out), xp.zeros_like(xp.asarray(out))
    with _transforming():
        tangent_out = _tangent_out(trace, out, tangent_leaves, trace.create_graph)
    return trace.result(out), tangent_out


def jacobian(f, argnums=0, mode="rev"):
    """d f / d args[argnums] as an array of shape out.shape + in.shape.

    mode="rev": one backward pass seeded with a batch of cotangents (the identity).
    mode="fwd": one double-VJP pass per input leaf, with a batch of tangents.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    @functools.wraps(f)
    def jacobian_f(*args):
        trace = _Trace(f, args, argnums, "jacobian")
        out = trace.out
        data = out.data if isinstance(out, Tensor) else xp.asarray(out)
        if mode == "rev":
            seed = xp.eye(data.size, dtype=data.dtype).reshape((data.size,) + data.shape)
            rows = trace.backward([out], [seed])
            flat = [xp.reshape(r, data.shape + node.shape) for r, node in zip(rows, trace.inputs)]
        else:
            flat = [_forward_columns(trace, out, data, node) for node in trace.inputs]
        return trace.pack(flat)

    return jacobian_f


def _forward_columns(trace, out, data, node):
    """The Jacobian block d out / d node from a batch of one-hot tangents for `node`."""
    if not isinstance(out, Tensor):
        return xp.zeros(data.shape + node.shape, dtype=data.dtype)
    tangents = [
        xp.eye(n.size, dtype=n.dtype).reshape((n.size,) + n.shape) if n is node else None
        for n in trace.inputs
    ]
    with _transforming():
        columns = _tangent_out(trace, out, tangents, trace.create_graph)
    return xp.moveaxis(xp.reshape(columns, (node.size,) + data.shape), 0, -1).reshape(
        data.shape + node.shape
    )


def hessian(f, argnums=0):
    """Second derivatives: jacobian(grad(f)), of shape in.shape + in.shape."""
    return jacobian(grad(f, argnums), argnums)


def hvp(f, primals, vectors):
    """The Hessian of scalar f at `primals` times `vectors`, without forming the Hessian."""
    primals, vectors = tuple(primals), tuple(vectors)
    argnums = tuple(range(len(primals)))

    def directional(*args):
        grads = grad(f, argnums)(*args)
        total = 0
        for g, v in zip(grads, vectors):
            total = total + (g * xp.asarray(raw(v), dtype=g.dtype)).sum()
        return total

    result = grad(directional, argnums)(*primals)
    return result[0] if len(primals) == 1 else result


def stop_gradient(x):
    """x's value with no gradient flowing back through it."""
    return x.detach() if isinstance(x, Tensor) else x
