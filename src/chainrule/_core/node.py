"""Node: what the graph keeps of one op call, apart from the Tensor it made.

A Tensor made by an op points to its Node; the Node points to its parents' nodes (a leaf
Tensor is its own node) and keeps only what the op's VJP reads: the output, some of the
inputs, or nothing (`Primitive.saves`). So an intermediate result that no VJP needs is
freed as soon as the user's code drops it, as in PyTorch, instead of living until the
backward pass: `np.tanh(x @ w + b)` keeps `x`, `w` and the tanh, not `x @ w` or `+ b`.
"""

from chainrule.errors import GradientError


class Node:
    """One recorded op call: its primitive, saved values, parents and output's shape.

    Has the Tensor attributes the engine reads (`_prim`, `_args`, `_kwargs`, `_parents`,
    `_version`, `_trace`, `shape`, `dtype`, `ndim`), so a leaf Tensor and a Node are
    walked alike. `ans` is the output when the VJP reads it, else `DROPPED`; `containers`
    is False when no argument is a tuple, list or dict holding a parent (a faster VJP).
    """

    __slots__ = (
        "_prim", "_args", "_kwargs", "_parents", "_version", "_trace", "ans", "shape",
        "dtype", "containers", "__weakref__",
    )
    requires_grad = True
    grad = None
    name = None

    def __init__(self, prim, args, kwargs, parents, ans, shape, dtype, version,
                 containers=True):
        self.containers = containers
        self._prim = prim
        self._args = args
        self._kwargs = kwargs
        self._parents = parents
        self.ans = ans
        self.shape = shape
        self.dtype = dtype
        self._version = version
        self._trace = None

    ndim = property(lambda self: len(self.shape))
    op_name = property(lambda self: self._prim.name)
    is_leaf = False

    def __repr__(self):
        return f"<chainrule node {self._prim.name} {self.shape} {self.dtype}>"


class _Dropped:
    """Stands for a value an op's VJP was declared not to read; any use of it raises."""

    __slots__ = ()
    __array_ufunc__ = None

    def _refuse(self, *args, **kwargs):
        raise GradientError(
            "a VJP read an input or output that its primitive does not save: declare it "
            "with defvjp(..., saves=...) (see chainrule.extend), or read it directly in the "
            "VJP function rather than through *args or a helper chainrule cannot see"
        )

    def __getattr__(self, name):
        self._refuse()

    __array__ = __getitem__ = __iter__ = __len__ = __bool__ = __float__ = __int__ = _refuse
    __index__ = __neg__ = __pos__ = __abs__ = __invert__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _refuse
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = _refuse

    def __repr__(self):
        return "<not saved>"


DROPPED = _Dropped()
