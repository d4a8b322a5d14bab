"""check_grads: compare chainrule's derivatives with central finite differences (float64)."""

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule._tree import tree_flatten, tree_unflatten
from chainrule.api import jacobian, jvp, vjp
from chainrule.ops.elementwise import imag, real
from chainrule.ops.shape import concatenate, ravel, stack

xp = _backend.xp


def numerical_jacobian(f, args, argnum, eps, positions=None):
    """d f / d args[argnum] by central differences, shape out.shape + in.shape.

    The step for each entry is `eps * max(1, |entry|)`. With `positions` (flat indices of
    the argument) only those columns are computed; the others are left at zero.
    """
    args = list(args)
    base = xp.array(args[argnum], dtype=xp.float64)
    out = xp.asarray(raw(f(*args)), dtype=xp.float64)
    columns = xp.zeros(out.shape + (base.size,), dtype=xp.float64)
    flat = base.reshape(-1)
    for i in range(base.size) if positions is None else positions:
        step = eps * max(1.0, abs(float(flat[i])))
        values = []
        for sign in (1.0, -1.0):
            shifted = flat.copy()
            shifted[i] += sign * step
            args[argnum] = shifted.reshape(base.shape)
            values.append(xp.asarray(raw(f(*args)), dtype=xp.float64))
        columns[..., i] = (values[0] - values[1]) / (2 * step)
    return columns.reshape(out.shape + base.shape)


def check_grads(f, args, order=1, modes=("rev",), eps=None, rtol=None, atol=None, seed=0):
    """Raise AssertionError unless f's derivatives (up to `order`) match finite differences.

    `args` is a tuple of arrays (a single array is one argument), converted to float64;
    an argument may be a tuple, list or dict of arrays, and f may return one (each array
    is then checked as an argument or output of its own); a complex argument is checked
    along its real and imaginary parts, a complex value as its real and imaginary parts
    (docs/core.md, "Complex numbers"). Every argument's Jacobian is checked in every mode
    of `modes` ("rev", "fwd"). For order 2 and up, as autograd's check_grads does, the
    functions that vjp and jvp return are themselves checked, differentiated in their
    primals and in their cotangent or tangent, drawn from a generator seeded with `seed`.
    The message names the function, the argument, the worst index and both values.
    """
    tolerances = (
        1e-6 if eps is None else eps,
        1e-5 if rtol is None else rtol,
        1e-6 if atol is None else atol,
    )
    if not isinstance(args, (tuple, list)):
        args = (args,)
    leaves, treedef = tree_flatten(list(args))
    if any(isinstance(a, (tuple, list, dict)) for a in args):
        f, args = _on_leaves(f, treedef), leaves
    if any(xp.iscomplexobj(raw(a)) for a in args):
        f, args = _real_view(f, [xp.asarray(raw(a), dtype=xp.complex128) for a in args])
    else:
        f = _real_output(f)
    args = tuple(xp.asarray(raw(a), dtype=xp.float64) for a in args)
    rng = xp.random.default_rng(seed)
    _check(f, args, order, tuple(modes), tolerances, rng, 1, getattr(f, "__name__", "f"))


def _on_leaves(f, treedef):
    """f as a function of the leaves of its (nested) arguments, one positional each."""

    def on_leaves(*leaves):
        return f(*tree_unflatten(treedef, leaves))

    on_leaves.__name__ = getattr(f, "__name__", "f")
    return on_leaves


def _real_output(f):
    """f with a complex value returned as [real, imag] stacked, so both parts are checked,
    and a tuple, list or dict of values as their raveled leaves joined."""

    def real_valued(*args):
        value = f(*args)
        if isinstance(value, (tuple, list, dict)):
            value = concatenate([ravel(leaf) for leaf in tree_flatten(value)[0]])
        if not xp.iscomplexobj(raw(value)):
            return value
        return stack([real(value), imag(value)])

    real_valued.__name__ = getattr(f, "__name__", "f")
    return real_valued


def _real_view(f, args):
    """f as a real function of real arrays: each complex argument passed as its real and
    imaginary parts (so every real direction is checked), a complex value as [real, imag]."""
    is_complex = [xp.iscomplexobj(a) for a in args]

    def on_parts(*parts):
        parts = iter(parts)
        rebuilt = [next(parts) + 1j * next(parts) if c else next(parts) for c in is_complex]
        return f(*rebuilt)

    on_parts.__name__ = getattr(f, "__name__", "f")
    split = [part for a, c in zip(args, is_complex) for part in ((a.real, a.imag) if c else (a,))]
    return _real_output(on_parts), tuple(split)


def _check(f, args, order, modes, tolerances, rng, level, label):
    eps, rtol, atol = tolerances
    for argnum in range(len(args)):
        numeric = numerical_jacobian(f, args, argnum, eps)
        for mode in modes:
            analytic = xp.asarray(raw(jacobian(f, argnum, mode=mode)(*args)), dtype=xp.float64)
            _compare(analytic, numeric, argnum, mode, level, label, rtol, atol)
    if order <= 1:
        return
    out_shape = xp.shape(raw(f(*args)))
    for mode in modes:
        if mode == "rev":
            through, directions = _through_vjp(f, len(args)), (rng.standard_normal(out_shape),)
        else:
            through = _through_jvp(f, len(args))
            directions = tuple(rng.standard_normal(a.shape) for a in args)
        name = f"{'vjp' if mode == 'rev' else 'jvp'} of {label}"
        _check(through, args + directions, order - 1, modes, tolerances, rng, level + 1, name)


def _through_vjp(f, count):
    """(*primals, cotangent) -> J^T cotangent, every primal's part raveled and joined."""

    def pulled_back(*args):
        grads = vjp(f, *args[:count])[1](args[count])
        return grads[0] if count == 1 else concatenate([ravel(g) for g in grads])

    return pulled_back


def _through_jvp(f, count):
    """(*primals, *tangents) -> J tangents."""

    def pushed_forward(*args):
        return jvp(f, args[:count], args[count:])[1]

    return pushed_forward


def _compare(analytic, numeric, argnum, mode, order, label, rtol, atol):
    if analytic.shape != numeric.shape:
        raise AssertionError(
            f"check_grads: {label}, argument {argnum} ({mode} mode): Jacobian shape "
            f"{analytic.shape} but finite differences give {numeric.shape}"
        )
    scale = max(1.0, float(xp.max(xp.abs(numeric)))) if numeric.size else 1.0
    error = xp.abs(analytic - numeric) - (atol * scale + rtol * xp.abs(numeric))
    if numeric.size == 0 or not (error > 0).any() and xp.isfinite(analytic).all():
        return
    worst = xp.unravel_index(int(xp.argmax(xp.where(xp.isnan(error), xp.inf, error))), error.shape)
    raise AssertionError(
        f"check_grads: {label}: derivative of order {order} with respect to argument {argnum} "
        f"({mode} mode) is wrong at index {tuple(int(i) for i in worst)}: analytic "
        f"{float(analytic[worst]):.10g}, numeric {float(numeric[worst]):.10g} "
        f"(rtol={rtol}, atol={atol})"
    )
