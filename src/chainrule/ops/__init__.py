"""Primitives (forward and VJP side by side) and the functions built from them."""

from chainrule.ops import tensor_methods as _tensor_methods  # noqa: F401 - attaches operators
from chainrule.ops.custom import custom_gradient
from chainrule.ops.elementwise import (
    absolute,
    add,
    astype,
    clip,
    cos,
    divide,
    exp,
    expm1,
    identity,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    where,
)
from chainrule.ops.indexing import getitem
from chainrule.ops.linalg import dot, einsum, matmul, outer
from chainrule.ops.reductions import cumsum, logsumexp, max, mean, min, prod, std, sum, var
from chainrule.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    moveaxis,
    pad,
    ravel,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
)
from chainrule.ops.special import log_softmax, softmax

abs = absolute  # noqa: A001 - NumPy's alias

__all__ = [
    "abs", "absolute", "add", "astype", "broadcast_to", "clip", "concatenate", "cos",
    "cumsum", "custom_gradient", "divide", "dot", "einsum", "exp", "expand_dims", "expm1",
    "flip", "getitem", "identity", "log", "log1p", "log_softmax", "logsumexp", "matmul",
    "max", "maximum", "mean", "min", "minimum", "moveaxis", "multiply", "negative", "outer",
    "pad", "power", "prod", "ravel", "relu", "repeat", "reshape", "sigmoid", "sign", "sin",
    "softmax", "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "swapaxes", "tan", "tanh", "tile", "transpose", "var", "where",
]
