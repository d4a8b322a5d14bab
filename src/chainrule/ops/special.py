"""softmax and log_softmax: stable (max subtracted) and with Jacobian-free VJPs."""

from chainrule._backend import array_module
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import primitive


@primitive
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, with the maximum subtracted first."""
    xp = array_module(x)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=axis, keepdims=True)


@softmax.defvjp
def _(g, ans, x, axis=-1):
    # J^T g with J = diag(y) - y y^T, without building J: y * (g - <y, g>).
    axis = axis - x.ndim if axis >= 0 else axis
    return ans * (g - (ans * g).sum(axis=axis, keepdims=True))


@primitive
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`; finite even when softmax would underflow to 0."""
    xp = array_module(x)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@log_softmax.defvjp
def _(g, ans, x, axis=-1):
    axis = axis - x.ndim if axis >= 0 else axis
    return g - namespace(ans).exp(ans) * g.sum(axis=axis, keepdims=True)
