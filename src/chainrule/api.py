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

import functools
import operator

import numpy

from chainrule import _backend
from chainrule._core import engine
from chainrule._core.modes import enable_grad, modes
from chainrule._core.modes import transforming as _transforming
from chainrule._core.tensor import Tensor, is_differentiable_dtype, raw
from chainrule._tree import tree_flatten, tree_map, tree_unflatten
from chainrule.errors import GradientError
from chainrule.ops._namespace import module_of
from chainrule.ops.elementwise import identity
from chainrule.ops.shape import broadcast_to, moveaxis, reshape


def _as_input(value, where):
    """A fresh graph node standing for one input leaf (distinct from any outer node)."""
    if isinstance(value, Tensor):
        if not is_differentiable_dtype(value.dtype):
            raise GradientError(f"{where} has dtype {value.dtype}; only floats have gradients")
        if value.requires_grad:
            with enable_grad():
                return identity(value)
        return Tensor(value.data, requires_grad=True)
    array = _backend.asarray(value)
    if not is_differentiable_dtype(array.dtype):
        raise GradientError(
            f"{where} has dtype {array.dtype}; only floats have gradients "
            "(pass 3.0 rather than 3, or cast with .astype(np.float32))"
        )
    return Tensor(array, requires_grad=True)


class _Trace:
    """One evaluation of f with chosen arguments replaced by fresh input nodes.

    A repeated argnum (`argnums=(0, 0)`) gets the same nodes each time, so both entries
    of the result are the full gradient, as in JAX.
    """

    def __init__(self, f, args, argnums, name, kwargs=None):
        self.single = not isinstance(argnums, (tuple, list))
        args = list(args)
        self.slots = []
        self.inputs = []
        placed = {}
        outer = False
        for argnum in (argnums,) if self.single else tuple(argnums):
            argnum = operator.index(argnum)
            if not -len(args) <= argnum < len(args):
                raise GradientError(f"{name}: argnums {argnum} but f got {len(args)} arguments")
            argnum %= len(args)
            if argnum not in placed:
                leaves, treedef = tree_flatten(args[argnum])
                outer |= any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves)
                nodes = [_as_input(leaf, f"{name}: argument {argnum}") for leaf in leaves]
                args[argnum] = tree_unflatten(treedef, nodes)
                placed[argnum] = (treedef, len(self.inputs), len(nodes))
                self.inputs.extend(nodes)
            self.slots.append(placed[argnum])
        self.create_graph = outer or modes.transform_depth > 0
        with enable_grad(), _transforming():
            self.out = f(*args, **kwargs) if kwargs else f(*args)

    def backward(self, roots, seeds):
        """Cotangents for every input leaf (zeros where an input does not matter).

        The pass records a graph when the results must stay differentiable: f was traced
        inside another transformation, or a seed is itself a Tensor in a graph.
        """
        create_graph = self.create_graph or _any_in_graph(seeds)
        batch_shape = _batch_shape(roots, seeds)
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
            return module_of(node).zeros(batch_shape + node.shape, dtype=node.dtype)
        if isinstance(grad, Tensor) and not create_graph:
            grad = grad.data
        shape = batch_shape + node.shape
        if isinstance(grad, Tensor):
            return grad if grad.shape == shape else broadcast_to(grad, shape)
        return engine.writable(module_of(grad).broadcast_to(grad, shape))

    def pack(self, flat):
        """Per-input results back into the argument structure (a tuple for many argnums)."""
        out = [tree_unflatten(treedef, flat[start : start + count])
               for treedef, start, count in self.slots]
        return out[0] if self.single else tuple(out)

    def result(self, value):
        """Outputs for the caller: arrays at top level, Tensors when nested."""
        if self.create_graph:
            return value
        return tree_map(raw, value)


def _any_in_graph(values):
    """True when one of `values` is a Tensor in a graph being recorded."""
    return modes.grad_enabled and any(
        isinstance(v, Tensor) and v.requires_grad for v in values
    )


def _batch_shape(roots, seeds):
    """The leading batch axes of `seeds` beyond their roots' shapes (() for one cotangent)."""
    if not roots:
        return ()
    seed = raw(seeds[0])
    return tuple(seed.shape[: seed.ndim - numpy.ndim(raw(roots[0]))])


def _direction(value, like, where):
    """A cotangent or tangent for `like` (a Tensor or array), checked and cast to its dtype.

    A Tensor in a graph stays a Tensor, so the result is differentiable in it (JAX and
    autograd treat cotangents and tangents as inputs). Leading batch axes are allowed.
    """
    target = raw(like)
    target = _backend.asarray(target)
    shape, dtype = target.shape, target.dtype
    in_graph = isinstance(value, Tensor) and value.requires_grad and modes.grad_enabled
    if not in_graph:
        value = _backend.asarray(raw(value), dtype=dtype, like=target)
    elif value.dtype != dtype:
        value = value.astype(dtype)
    if value.ndim < len(shape) or tuple(value.shape[value.ndim - len(shape) :]) != shape:
        raise GradientError(
            f"{where} has shape {tuple(value.shape)} but the value it goes with has shape "
            f"{shape}"
        )
    return value


def _seed_like(out):
    """The cotangent 1 for every element of `out` (grad of a scalar, or of sum(f))."""
    return module_of(out).ones_like(raw(out))


_PYTHON_VALUE_HINT = (
    "a Python value carries no derivative. Return the Tensor itself: write np.sin(x) rather "
    "than math.sin(x), and keep float()/.item() for after the transformation"
)


def _check_output(out, name, scalar=False):
    """f's output (or one leaf of it) must be a float array or Tensor; for grad, one value."""
    if isinstance(out, Tensor) or _backend.is_array(out):
        dtype = out.dtype
    else:
        raise GradientError(
            f"{name}: f returned {type(out).__name__} {_short(out)}, not an array or Tensor; "
            + _PYTHON_VALUE_HINT
        )
    if _backend.dtype_kind(dtype) not in "fc":
        raise GradientError(
            f"{name}: f returned dtype {dtype}; only floating-point (or complex) outputs "
            "have derivatives (an integer or boolean result is piecewise constant)"
        )
    if scalar and out.size != 1:
        raise GradientError(
            f"{name}: f must return a scalar, got shape {tuple(out.shape)}; "
            "use jacobian or vjp for non-scalar outputs"
        )


def _check_complex(outputs, inputs, name, holomorphic, mode="rev"):
    """JAX's rule: a complex output (reverse mode) or input (forward mode) has no single
    derivative unless f is holomorphic; holomorphic=True needs complex outputs and inputs."""
    kinds = {
        "output": [_backend.dtype_kind(_backend.asarray(raw(o)).dtype) for o in outputs],
        "input": [_backend.dtype_kind(n.dtype) for n in inputs],
    }
    if holomorphic:
        for what, found in kinds.items():
            if any(kind != "c" for kind in found):
                raise GradientError(
                    f"{name}: holomorphic=True needs complex {what}s; got a real {what}"
                )
        return
    what = "output" if mode == "rev" else "input"
    if "c" in kinds[what]:
        raise GradientError(
            f"{name}: f has a complex {what}, so it has no single {mode}-mode derivative; "
            "pass holomorphic=True if f is holomorphic (the result is then f'(z)), or use "
            "cr.vjp/cr.jvp with a cotangent or tangent of your choice (see docs/core.md)"
        )


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def value_and_grad(f, argnums=0, has_aux=False, holomorphic=False):
    """A function returning (f(*args), df/d(args[argnums])); with has_aux, ((f, aux), grad).

    A complex output needs `holomorphic=True` (the gradient is then f'(z)), as in JAX.
    Keyword arguments are passed to f and not differentiated, as in JAX and autograd.
    """

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        trace = _Trace(f, args, argnums, "grad", kwargs)
        if has_aux and not (isinstance(trace.out, (tuple, list)) and len(trace.out) == 2):
            raise GradientError("grad: with has_aux=True, f must return a pair (value, aux)")
        out, aux = trace.out if has_aux else (trace.out, None)
        _check_output(out, "grad", scalar=True)
        _check_complex([out], trace.inputs, "grad", holomorphic)
        grads = trace.pack(trace.backward([out], [_seed_like(out)]))
        value = trace.result(out)
        return ((value, trace.result(aux)) if has_aux else value), grads

    return value_and_grad_f


def grad(f, argnums=0, has_aux=False, holomorphic=False):
    """A function returning the gradient of scalar f with respect to args[argnums]."""
    value_and_grad_f = value_and_grad(f, argnums, has_aux, holomorphic)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        (value, grads) = value_and_grad_f(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def gradients_function(f, params=None):
    """TensorFlow eager's gradients_function: a list of d(sum f)/d(arg) per positional arg."""

    @functools.wraps(f)
    def gradients(*args, **kwargs):
        argnums = tuple(range(len(args))) if params is None else tuple(params)
        trace = _Trace(f, args, argnums, "gradients_function", kwargs)
        _check_output(trace.out, "gradients_function")
        return list(trace.pack(trace.backward([trace.out], [_seed_like(trace.out)])))

    return gradients


def vjp(f, *primals):
    """(f(*primals), vjp_fn) where vjp_fn(cotangent) gives a tuple, one entry per primal.

    f may return a pytree (tuple, list, dict); the cotangent then has the same structure.
    vjp_fn is differentiable in its cotangent as well as in the primals.
    """
    trace = _Trace(f, primals, tuple(range(len(primals))), "vjp")
    out_leaves, out_def = tree_flatten(trace.out)
    for leaf in out_leaves:
        _check_output(leaf, "vjp")

    def vjp_fn(cotangent):
        leaves = tree_flatten(cotangent)[0]
        if len(leaves) != len(out_leaves):
            raise GradientError(
                f"vjp: f's output holds {len(out_leaves)} arrays but the cotangent holds "
                f"{len(leaves)}; give one per output, in the output's structure"
            )
        seeds = [_direction(c, o, "vjp: cotangent") for c, o in zip(leaves, out_leaves)]
        return trace.pack(trace.backward(out_leaves, seeds))

    return trace.result(trace.out), vjp_fn


def _tangent_out(trace, out_leaves, tangents_flat, create_graph):
    """J v for each output leaf of the traced f (double VJP): differentiate u -> J^T u.

    `tangents_flat` holds one tangent (or None, a zero tangent) per input leaf; tangents
    may carry leading batch axes, giving a batch of directions in one pass.
    """
    tangent, node = next((t, n) for t, n in zip(tangents_flat, trace.inputs) if t is not None)
    batch = tuple(tangent.shape[: tangent.ndim - node.ndim])
    outs = [o for o in out_leaves if isinstance(o, Tensor) and o.requires_grad]
    dummies = [Tensor(module_of(o).zeros_like(o.data), requires_grad=True) for o in outs]
    with enable_grad():
        cotangents = engine.backward(outs, dummies, trace.inputs, create_graph=True)
    roots, seeds = [], []
    for cotangent, tangent in zip(cotangents, tangents_flat):
        if tangent is not None and isinstance(cotangent, Tensor) and cotangent.requires_grad:
            roots.append(cotangent)
            seeds.append(tangent)
    results = (
        engine.backward(roots, seeds, dummies, create_graph=create_graph)
        if roots
        else [None] * len(dummies)
    )
    by_output = {id(o): (r, d) for o, r, d in zip(outs, results, dummies)}
    tangents_out = []
    for leaf in out_leaves:
        if id(leaf) in by_output:
            result, dummy = by_output[id(leaf)]
            tangents_out.append(_Trace.finish(result, dummy, batch, create_graph))
        else:
            data = _backend.asarray(raw(leaf), like=node.data)
            dtype = data.dtype if _backend.dtype_kind(data.dtype) in "fc" else numpy.float64
            tangents_out.append(module_of(data).zeros(batch + data.shape, dtype=dtype))
    return tangents_out


def jvp(f, primals, tangents):
    """(f(*primals), J v): the directional derivative of f along `tangents`.

    f may return a pytree; J v comes back in the same structure. The result is
    differentiable in the tangents as well as in the primals.
    """
    trace = _Trace(f, primals, tuple(range(len(primals))), "jvp")
    tangent_leaves = tree_flatten(tuple(tangents))[0]
    if len(tangent_leaves) != len(trace.inputs):
        raise GradientError(
            f"jvp: got {len(tangent_leaves)} tangent arrays for {len(trace.inputs)} primal "
            "arrays; give one tangent per primal, in the primals' structure"
        )
    tangent_leaves = [
        _direction(t, node, "jvp: tangent") for t, node in zip(tangent_leaves, trace.inputs)
    ]
    out_leaves, out_def = tree_flatten(trace.out)
    for leaf in out_leaves:
        _check_output(leaf, "jvp")
    create_graph = trace.create_graph or _any_in_graph(tangent_leaves)
    if not trace.inputs:
        zeros = tree_map(lambda o: module_of(o).zeros_like(raw(o)), trace.out)
        return trace.result(trace.out), zeros
    with _transforming():
        tangent_out = _tangent_out(trace, out_leaves, tangent_leaves, create_graph)
    return trace.result(trace.out), tree_unflatten(out_def, tangent_out)


def jacobian(f, argnums=0, mode="rev", holomorphic=False):
    """d f / d args[argnums] as an array of shape out.shape + in.shape.

    mode="rev": one backward pass per output leaf, seeded with a batch of cotangents (the
    identity). mode="fwd": one double-VJP pass per input leaf, with a batch of tangents.
    Pytree outputs give results in JAX's structure: the output's structure outside, the
    arguments' inside. Keyword arguments are passed to f and not differentiated.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        trace = _Trace(f, args, argnums, "jacobian", kwargs)
        out_leaves, out_def = tree_flatten(trace.out)
        for leaf in out_leaves:
            _check_output(leaf, "jacobian")
        _check_complex(out_leaves, trace.inputs, "jacobian", holomorphic, mode)
        if mode == "rev":
            blocks = [_reverse_rows(trace, leaf) for leaf in out_leaves]
        else:
            columns = [_forward_columns(trace, out_leaves, node) for node in trace.inputs]
            blocks = [list(block) for block in zip(*columns)] or [[] for _ in out_leaves]
        return tree_unflatten(out_def, [trace.pack(block) for block in blocks])

    return jacobian_f


def _reverse_rows(trace, out):
    """The Jacobian blocks d out / d input for every input, from one batched backward pass."""
    data = raw(out)
    module = module_of(data)
    seed = module.reshape(module.eye(data.size, dtype=data.dtype), (data.size,) + data.shape)
    rows = trace.backward([out], [seed])
    return [reshape(r, data.shape + node.shape) for r, node in zip(rows, trace.inputs)]


def _forward_columns(trace, out_leaves, node):
    """The Jacobian blocks d out / d node for every output, from one-hot tangents for node."""
    tangents = [
        module_of(n).eye(n.size, dtype=n.dtype).reshape((n.size,) + n.shape) if n is node else None
        for n in trace.inputs
    ]
    with _transforming():
        columns = _tangent_out(trace, out_leaves, tangents, trace.create_graph)
    blocks = []
    for out, column in zip(out_leaves, columns):
        shape = numpy.shape(raw(out))
        block = moveaxis(reshape(column, (node.size,) + shape), 0, -1)
        blocks.append(reshape(block, shape + node.shape))
    return blocks


def hessian(f, argnums=0):
    """Second derivatives: the Jacobian of the Jacobian, of shape out.shape + in + in."""
    return jacobian(jacobian(f, argnums), argnums)


def hvp(f, primals, vectors):
    """The Hessian of scalar f at `primals` times `vectors`, without forming the Hessian.

    Differentiable in the vectors as well as in the primals.
    """
    primals, vectors = tuple(primals), tuple(vectors)
    argnums = tuple(range(len(primals)))

    def directional(*args):
        grads = tree_flatten(grad(f, argnums)(*args))[0]
        directions = tree_flatten(vectors)[0]
        if len(directions) != len(grads):
            raise GradientError(
                f"hvp: got {len(directions)} vector arrays for {len(grads)} primal arrays"
            )
        dtype = numpy.result_type(*[raw(g).dtype for g in grads])
        total = module_of(grads[0]).zeros((), dtype=dtype) if grads else numpy.zeros((), dtype)
        for g, v in zip(grads, directions):
            total = total + (g * _direction(v, g, "hvp: vector")).sum()
        return total

    result = grad(directional, argnums)(*primals)
    return result[0] if len(primals) == 1 else result


def stop_gradient(x):
    """x's value with no gradient flowing back through it."""
    return x.detach() if isinstance(x, Tensor) else x
