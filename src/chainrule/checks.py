"""check_grads: compare chainrule's derivatives with central finite differences (float64)."""

from chainrule import _backend
from chainrule._core.tensor import raw
from chainrule.api import jacobian

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


def check_grads(f, args, order=1, modes=("rev",), eps=None, rtol=None, atol=None):
    """Raise AssertionError unless f's Jacobians (up to `order`) match finite differences.

    `args` is a tuple of arrays (converted to float64); every argument is checked, in every
    mode of `modes` ("rev", "fwd"). For order 2 the Jacobian function itself is checked,
    and so on. The message names the argument, the worst index, and both values.
    """
    eps = 1e-6 if eps is None else eps
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-6 if atol is None else atol
    args = tuple(xp.asarray(a, dtype=xp.float64) for a in args)
    for argnum in range(len(args)):
        numeric = numerical_jacobian(f, args, argnum, eps)
        for mode in modes:
            analytic = xp.asarray(jacobian(f, argnum, mode=mode)(*args), dtype=xp.float64)
            _compare(analytic, numeric, argnum, mode, order, rtol, atol)
    if order > 1:
        for argnum in range(len(args)):
            for mode in modes:
                check_grads(jacobian(f, argnum, mode=mode), args, order - 1, modes, eps, rtol, atol)


def _compare(analytic, numeric, argnum, mode, order, rtol, atol):
    if analytic.shape != numeric.shape:
        raise AssertionError(
            f"check_grads: argument {argnum} ({mode} mode): Jacobian shape {analytic.shape} "
            f"but finite differences give {numeric.shape}"
        )
    scale = max(1.0, float(xp.max(xp.abs(numeric)))) if numeric.size else 1.0
    error = xp.abs(analytic - numeric) - (atol * scale + rtol * xp.abs(numeric))
    if numeric.size == 0 or not (error > 0).any() and xp.isfinite(analytic).all():
        return
    worst = xp.unravel_index(int(xp.argmax(xp.where(xp.isnan(error), xp.inf, error))), error.shape)
    raise AssertionError(
        f"check_grads: derivative of order {order} with respect to argument {argnum} "
        f"({mode} mode) is wrong at index {tuple(int(i) for i in worst)}: analytic "
        f"{float(analytic[worst]):.10g}, numeric {float(numeric[worst]):.10g} "
        f"(rtol={rtol}, atol={atol})"
    )
