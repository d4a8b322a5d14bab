"""scipy.integrate.odeint with an adjoint gradient in y0, t and the extra arguments.

The solution comes from SciPy's LSODA; the gradient from integrating the adjoint system
backwards between the requested times (Froehlich, Loos and Hasenauer 2017, Sec. 2.4.2, as
autograd does), with `func`'s own VJPs taken by chainrule. The adjoint is written with
chainrule's ops and odeint itself, so it is differentiable in turn: forward mode and
higher orders work too (each order integrates a larger adjoint system).
"""

import numpy as np
import scipy.integrate

from chainrule._tree import tree_flatten, tree_unflatten
from chainrule.api import vjp
from chainrule.ops._primitive import primitive


def odeint(func, y0, t, args=(), **options):
    """y(t) for dy/dt = func(y, t, *args), y(t[0]) = y0, as scipy.integrate.odeint: an
    array of shape (len(t), len(y0)). Differentiable in y0, t and every array in `args`,
    which may be nested tuples, lists and dicts (a network's weights)."""
    if options.get("full_output") or options.get("Dfun") is not None:
        raise TypeError("chainrule.scipy.integrate.odeint supports neither full_output nor "
                        "Dfun (the gradient needs only func)")
    if not isinstance(args, tuple):
        args = (args,)
    leaves, treedef = tree_flatten(args)

    def func_of_leaves(y, time, *leaves):
        return func(y, time, *tree_unflatten(treedef, leaves))

    return _odeint(func_of_leaves, y0, t, *leaves, **options)


@primitive
def _odeint(func, y0, t, *args, **options):
    solution = scipy.integrate.odeint(func, y0, t, args=args, **options)
    dtype = getattr(y0, "dtype", solution.dtype)
    return solution.astype(dtype) if dtype.kind == "f" else solution


_last_adjoint = [None]


@_odeint.defvjp_argnum
def _(argnum, g, ans, func, y0, t, *args, **options):
    # One backward integration gives the cotangents of every input; the engine asks for
    # them one input at a time, with the same cotangent and answer objects.
    cached = _last_adjoint[0]
    if cached is None or cached[0] is not g or cached[1] is not ans:
        rows = np.reshape(g, (-1,) + tuple(ans.shape))
        per_row = [_adjoint(rows[i], ans, func, t, args, options) for i in range(rows.shape[0])]
        grads = [np.reshape(np.stack(column), tuple(g.shape[:-2]) + tuple(column[0].shape))
                 for column in zip(*per_row)]
        cached = (g, ans, grads)
        _last_adjoint[0] = cached
    return cached[2][argnum - 1]


def _adjoint(g, yt, func, t, args, options):
    """(dL/dy0, dL/dt, *dL/dargs) for one cotangent g of the solution yt, shape (T, D).

    Written with chainrule's ops and this module's odeint, so that on Tensors (a pass
    being differentiated) it is itself differentiable: forward mode and higher orders.
    """
    times, dim = yt.shape
    shapes = [np.shape(a) for a in args]
    sizes = [int(np.prod(s)) for s in shapes]
    flat_args = np.concatenate([np.ravel(a) for a in args]) if args else np.zeros(0)

    def unflatten(flat):
        parts = np.split(flat, np.cumsum(sizes)[:-1]) if args else []
        return [np.reshape(p, s) for p, s in zip(parts, shapes)]

    def flat_func(y, time, flat):
        return func(y, time, *unflatten(flat))

    def augmented(state, time, flat):
        # The state (y, a_y, a_t, a_args) runs backwards with da/dt = -a . df/d(y, t, args).
        y, adjoint_y = state[:dim], state[dim:2 * dim]
        dy_dt, pullback = vjp(flat_func, y, time, flat)
        d_y, d_t, d_args = pullback(-adjoint_y)
        return np.concatenate([dy_dt, d_y, np.reshape(d_t, (1,)), d_args])

    adjoint_y = g[-1]
    adjoint_t0 = np.zeros((1,), dtype=yt.dtype)
    adjoint_args = np.zeros(np.shape(flat_args), dtype=yt.dtype)
    time_grads = []
    for i in range(times - 1, 0, -1):
        time_grad = np.reshape(np.sum(func(yt[i], t[i], *args) * g[i]), (1,))
        time_grads.append(time_grad)
        adjoint_t0 = adjoint_t0 - time_grad
        state = np.concatenate([yt[i], adjoint_y, adjoint_t0, adjoint_args])
        state = _odeint(augmented, state, np.stack([t[i], t[i - 1]]), flat_args, **options)[1]
        adjoint_y = state[dim:2 * dim] + g[i - 1]
        adjoint_t0, adjoint_args = state[2 * dim:2 * dim + 1], state[2 * dim + 1:]
    time_grads.append(adjoint_t0)
    return (adjoint_y, np.concatenate(time_grads[::-1]), *unflatten(adjoint_args))
