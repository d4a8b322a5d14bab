"""Products: matmul (NumPy's shape rules), einsum, and dot/outer built on them."""

import string

from chainrule import _backend
from chainrule.ops._primitive import primitive
from chainrule.ops.elementwise import multiply

xp = _backend.xp


@primitive
def matmul(x, y):
    """x @ y: 1-D, 2-D and batched operands, with NumPy's shape rules."""
    return xp.matmul(x, y)


def _as_matrices(g, x, y):
    """Treat 1-D operands as a row (x) or a column (y) so one formula serves all cases."""
    if y.ndim == 1:
        y = xp.expand_dims(y, -1)
        g = xp.expand_dims(g, -1)
    if x.ndim == 1:
        x = xp.expand_dims(x, 0)
        g = xp.expand_dims(g, -2)
    return g, x, y


@matmul.defvjp
def _(g, ans, x, y):
    x_ndim = x.ndim
    g, x, y = _as_matrices(g, x, y)
    gx = xp.matmul(g, xp.swapaxes(y, -1, -2))
    return gx[..., 0, :] if x_ndim == 1 else gx


def _matmul_vjp_y(g, ans, x, y):
    y_ndim = y.ndim
    g, x, y = _as_matrices(g, x, y)
    gy = xp.matmul(xp.swapaxes(x, -1, -2), g)
    return gy[..., :, 0] if y_ndim == 1 else gy


matmul.vjps[1] = _matmul_vjp_y


def _parse_subscripts(subscripts, count):
    """Explicit einsum specs: (input specs, output spec), with '...' kept as one symbol."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs = subscripts
        letters = inputs.replace(",", "").replace("...", "")
        output = ("..." if "..." in inputs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    specs = inputs.split(",")
    if len(specs) != count:
        raise ValueError(f"einsum: {len(specs)} operand specs for {count} operands")
    return specs, output


@primitive
def einsum(subscripts, *operands):
    return xp.einsum(subscripts, *operands)


@einsum.defvjp_argnum
def _(argnum, g, ans, subscripts, *operands):
    specs, output = _parse_subscripts(subscripts, len(operands))
    index = argnum - 1
    target = specs[index]
    if len(set(target.replace("...", ""))) != len(target.replace("...", "")):
        raise NotImplementedError("einsum: gradient of an operand with a repeated index")
    used = set(subscripts)
    batch = "".join(c for c in string.ascii_letters if c not in used)[: g.ndim - ans.ndim]
    others = [s for i, s in enumerate(specs) if i != index]
    present = set(output + "".join(others))
    kept = "".join(c for c in target if c == "." or c in present)
    spec = ",".join([batch + output] + others) + "->" + batch + kept
    rest = [op for i, op in enumerate(operands) if i != index]
    grad = xp.einsum(spec, g, *rest)
    if kept == target:
        return grad
    if "..." in target:
        raise NotImplementedError("einsum: gradient of a '...' operand with a summed-out index")
    # Letters summed out of this operand alone: the gradient is constant along them.
    operand = operands[index]
    shape = list(grad.shape[: len(batch)])
    full_shape = grad.shape[: len(batch)] + operand.shape
    for position, letter in enumerate(target.replace("...", "")):
        shape.append(full_shape[len(batch) + position] if letter in present else 1)
    return xp.broadcast_to(xp.reshape(grad, tuple(shape)), full_shape)


def dot(x, y):
    """NumPy's dot: products of scalars, vectors and matrices, and its N-D rule."""
    if xp.ndim(x) == 0 or xp.ndim(y) == 0:
        return multiply(x, y)
    if xp.ndim(y) <= 2:
        return matmul(x, y)
    return _dot_nd(x, y)


def _dot_nd(x, y):
    letters = string.ascii_letters
    xs = letters[: x.ndim - 1]
    ys = letters[x.ndim - 1 : x.ndim - 1 + y.ndim - 2]
    last = letters[x.ndim - 1 + y.ndim - 2]
    k = "Z"
    return einsum(f"{xs}{k},{ys}{k}{last}->{xs}{ys}{last}", x, y)


def outer(x, y):
    """The outer product of the flattened x and y: (n,) x (m,) -> (n, m)."""
    return xp.reshape(x, (-1, 1)) * xp.reshape(y, (1, -1))
