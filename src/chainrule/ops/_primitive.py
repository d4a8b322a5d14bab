"""Primitive: one forward and its VJPs side by side; broadcasting undone in one helper.

A VJP is a function `vjp(g, ans, *args, **kwargs)` of the output cotangent `g`, the
output `ans` and the op's inputs. It is written with the namespace of its inputs
(`ns = namespace(g, x)`, then `ns.*` calls and operators), so on raw arrays it runs at the
array module's speed (NumPy, CuPy), and on Tensors (when a pass must be differentiated
again) the same code records a graph through chainrule's ops. `g` may carry leading
batch axes (a batch of cotangents), so VJPs use axes counted from the end.

Complex numbers follow autograd's and JAX's convention: a holomorphic op's VJP is
`g * f'(z)` (no conjugate); see docs/core.md, "Complex numbers".
"""

from operator import itemgetter

from chainrule._backend import dtype_kind
from chainrule._core import anomaly
from chainrule._core.modes import modes
from chainrule._core.node import DROPPED
from chainrule._core.tensor import CONTAINERS as _CONTAINERS
from chainrule._core.tensor import Tensor, graph_node, holds_tensor, raw
from chainrule._tree import tree_flatten, tree_map
from chainrule.errors import ChainruleError, GradientError, MissingDerivativeError, ShapeError
from chainrule.ops._namespace import namespace
from chainrule.ops._saves import reads_of
from chainrule.ops.numpy_dispatch import register


def unbroadcast(cotangent, shape, batch_ndim):
    """Sum `cotangent` (batch axes + a broadcast shape) down to batch axes + `shape`."""
    cshape = cotangent.shape
    if cshape[batch_ndim:] == shape:
        return cotangent
    xp = namespace(cotangent)
    extra = len(cshape) - batch_ndim - len(shape)
    if extra > 0:
        cotangent = xp.sum(cotangent, axis=tuple(range(batch_ndim, batch_ndim + extra)))
    kept = cotangent.shape[batch_ndim:]
    if len(kept) != len(shape):
        return cotangent
    axes = tuple(
        batch_ndim + i for i, (n, m) in enumerate(zip(shape, kept, strict=True)) if n == 1 != m
    )
    if axes:
        cotangent = xp.sum(cotangent, axis=axes, keepdims=True)
    return cotangent


def _shape_error(name, raw_args, error):
    shapes = " and ".join(str(tuple(a.shape)) for a in raw_args if hasattr(a, "shape"))
    return ShapeError(f"{name}: operands with shapes {shapes} do not fit: {error}")


def match_input(cotangent, data):
    """The cotangent in its input's dtype (complex for a real input: the real part is kept).

    `data` is the input, or anything with its `dtype` (a graph node)."""
    if dtype_kind(cotangent.dtype) == "c" and dtype_kind(data.dtype) != "c":
        cotangent = namespace(cotangent).real(cotangent)
    return cotangent if cotangent.dtype == data.dtype else cotangent.astype(data.dtype)


class Primitive:
    """A differentiable op: `forward` on raw arrays plus a VJP per input position."""

    __slots__ = (
        "name", "forward", "vjps", "vjp_argnum", "vjp_argnums", "constant_args", "_saves",
        "_declared", "_recording", "__dict__",
    )

    def __init__(self, forward, name=None, numpy=None):
        self.name = name or forward.__name__.lstrip("_")
        self.forward = forward
        self.vjps = {}
        self.vjp_argnum = None
        self.vjp_argnums = None
        self.constant_args = set()
        self._saves = None
        self._declared = {}
        self._recording = {}
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward
        for numpy_function in numpy if isinstance(numpy, (tuple, list)) else [numpy]:
            if numpy_function is not None:
                register(numpy_function, self)

    def defvjp(self, *vjps, argnums=None, saves=None):
        """Give the VJP of each positional input in order, or of the inputs `argnums`.

        A VJP is `vjp(g, ans, *args, **kwargs)`; None declares an input not differentiable
        (its gradient is zero, as in autograd). A gradient that reaches an input given
        neither raises `MissingDerivativeError`: an undefined rule is never a silent zero.
        Returns the VJP when given one, so `@op.defvjp` works as a decorator.

        What the graph keeps for the backward pass is what the VJPs read: by default the
        parameters each VJP's code reads (`ans`, `x`, ...; everything for a VJP whose code
        cannot be read, or that takes `*args`); `saves=("ans", 0)` declares it instead
        (the output, and inputs by position).
        """
        positions = range(len(vjps)) if argnums is None else argnums
        for position, vjp in zip(positions, vjps, strict=True):
            if vjp is None:
                self.vjps.pop(position, None)
                self.constant_args.add(position)
            else:
                self.vjps[position] = vjp
                self.constant_args.discard(position)
                self._declared[position] = saves
        self._saves = None
        self._recording = {}
        return vjps[0] if len(vjps) == 1 else None

    def defvjp_argnum(self, vjp, saves=None):
        """Give one VJP `vjp(argnum, g, ans, *args, **kwargs)` for ops with many inputs."""
        self.vjp_argnum = vjp
        self._declared["argnum"] = saves
        self._saves = None
        self._recording = {}
        return vjp

    def defvjp_argnums(self, vjp, saves=None):
        """Give one VJP `vjp(argnums, g, ans, *args, **kwargs)` for all inputs at once, as
        autograd's `defvjp_argnums`: it returns one cotangent per position in `argnums`
        (the inputs a gradient reaches, in order), so work they share (a mask, a check) is
        done once per backward pass, in one call."""
        self.vjp_argnums = vjp
        self._declared["argnums"] = saves
        self._saves = None
        self._recording = {}
        return vjp

    @property
    def saves(self):
        """(keeps the output, positions of inputs kept or None for all): the union of what
        the VJPs read or declare, so a node keeps nothing its backward pass will not use."""
        if self._saves is None:
            keeps_ans, kept = False, set()
            rules = [(vjp, 2, self._declared.get(i)) for i, vjp in self.vjps.items()]
            if self.vjp_argnum is not None:
                rules.append((self.vjp_argnum, 3, self._declared.get("argnum")))
            if self.vjp_argnums is not None:
                rules.append((self.vjp_argnums, 3, self._declared.get("argnums")))
            for vjp, skip, declared in rules:
                reads_ans, reads_args = (
                    reads_of(vjp, skip) if declared is None else _declared_reads(declared)
                )
                keeps_ans = keeps_ans or reads_ans
                kept = None if kept is None or reads_args is None else kept | reads_args
            self._saves = (keeps_ans, None if kept is None else frozenset(kept))
        return self._saves

    def recording(self, count):
        """(keeps the output, positions among `count` arguments not kept): what a node of
        this op saves, in one lookup per op call."""
        found = self._recording.get(count)
        if found is None:
            keeps_ans, kept = self.saves
            found = self._recording[count] = (keeps_ans, (
                () if kept is None else tuple(i for i in range(count) if i not in kept)
            ))
        return found

    def __call__(self, *args, **kwargs):
        for value in kwargs.values():
            if isinstance(value, Tensor):
                raise self._keyword_tensor(kwargs)
        raw_args = None
        parents = []
        constant_args = self.constant_args
        recorded = None
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                if raw_args is None:
                    raw_args = list(args)
                raw_args[i] = arg.data
                if arg.requires_grad and i not in constant_args:
                    parents.append((i, arg._node or arg))
            elif type(arg) in _CONTAINERS and holds_tensor(arg):
                if raw_args is None:
                    raw_args = list(args)
                raw_args[i] = tree_map(raw, arg)
                if i not in constant_args and _add_leaf_parents(i, arg, parents):
                    recorded = recorded or {}
                    recorded[i] = arg
        try:
            if modes.transform_depth:
                ans = self._opaque_forward(raw_args or list(args), kwargs)
            elif raw_args is None:
                return self.forward(*args, **kwargs)
            else:
                ans = self.forward(*raw_args, **kwargs)
        except ValueError as error:
            if isinstance(error, ChainruleError):
                raise
            raise _shape_error(self.name, raw_args or args, error) from None
        if raw_args is None:
            return ans
        anomalies = modes.anomaly
        if anomalies:
            anomaly.check_output(self, raw_args, ans)
        if parents and modes.grad_enabled:
            if recorded:
                for i, container in recorded.items():
                    raw_args[i] = container
            node = Tensor._from_op(ans, self, raw_args, kwargs, parents, recorded is not None,
                                   parent_nodes=True)
            if anomalies:
                node._node._trace = anomaly.user_frame()
            return node
        return Tensor._constant(ans)

    def _keyword_tensor(self, kwargs):
        names = [name for name, value in kwargs.items() if isinstance(value, Tensor)]
        return GradientError(
            f"{self.name}: Tensor passed by keyword ({', '.join(names)}); pass it "
            "positionally, so that its gradient is not silently dropped"
        )

    def _opaque_forward(self, raw_args, kwargs):
        """The forward run as outside any transformation: a forward that calls `cr.vjp` or
        `cr.grad` itself (a fixed-point solver) gets arrays back, as it would at top level."""
        depth = modes.transform_depth
        modes.transform_depth = 0
        try:
            ans = self.forward(*raw_args, **kwargs)
        finally:
            modes.transform_depth = depth
        if isinstance(ans, Tensor):
            if ans.requires_grad and modes.grad_enabled:
                raise GradientError(
                    f"{self.name}: its forward returned a Tensor in a graph, so it uses a "
                    "Tensor it closes over; a primitive is differentiated only in its "
                    "arguments: pass that Tensor as an argument"
                )
            ans = ans.data
        return ans

    def vjp(self, node, cotangent, batch_ndim, create_graph):
        """Pairs (parent node, cotangent for it) for the op call recorded in `node`."""
        if create_graph or node.containers:
            return self._vjp_general(node, cotangent, batch_ndim, create_graph)
        parents = node._parents
        if self.vjp_argnums is not None:
            cotangents = self._joint_vjp(tuple(map(_position, parents)), cotangent, node.ans,
                                         node._args, node._kwargs)
        elif len(parents) == 1 and self.vjp_argnum is None:  # most ops: one input
            (i, parent), = parents
            rule = self.vjps.get(i)
            if rule is None:
                raise self.missing_vjp(i)
            parent_cotangent = rule(cotangent, node.ans, *node._args, **node._kwargs)
            return [(parent, self._fit(parent_cotangent, parent, batch_ndim, i))]
        else:
            args, ans, kwargs = node._args, node.ans, node._kwargs
            cotangents = [self._one_vjp(i, cotangent, ans, args, kwargs) for i, _ in parents]
        return [(parent, self._fit(parent_cotangent, parent, batch_ndim, i))
                for (i, parent), parent_cotangent in zip(parents, cotangents, strict=True)]

    def _fit(self, parent_cotangent, parent, batch_ndim, i):
        """Input `i`'s cotangent as an array in its parent's shape and dtype."""
        if isinstance(parent_cotangent, Tensor):
            parent_cotangent = parent_cotangent.data
        elif parent_cotangent is None:
            raise self.none_cotangent(i)
        if (batch_ndim or parent_cotangent.shape != parent.shape
                or parent_cotangent.dtype != parent.dtype):
            parent_cotangent = _fitted(parent_cotangent, parent, batch_ndim)
        return parent_cotangent

    def _joint_vjp(self, argnums, cotangent, ans, args, kwargs):
        """The cotangents of the inputs at `argnums` from the op's `defvjp_argnums` VJP."""
        cotangents = self.vjp_argnums(argnums, cotangent, ans, *args, **kwargs)
        if type(cotangents) not in (list, tuple) or len(cotangents) != len(argnums):
            raise GradientError(
                f"{self.name}: its defvjp_argnums VJP must return a list or tuple of "
                f"{len(argnums)} cotangents, one per position in argnums={argnums}; got "
                f"{type(cotangents).__name__}"
                + (f" of {len(cotangents)}" if isinstance(cotangents, (list, tuple)) else "")
            )
        return cotangents

    def _one_vjp(self, i, cotangent, ans, args, kwargs):
        """The cotangent of input `i` from its own VJP (or the op's `defvjp_argnum` VJP)."""
        if self.vjp_argnum is not None:
            return self.vjp_argnum(i, cotangent, ans, *args, **kwargs)
        rule = self.vjps.get(i)
        if rule is None:
            raise self.missing_vjp(i)
        return rule(cotangent, ans, *args, **kwargs)

    def _vjp_general(self, node, cotangent, batch_ndim, create_graph):
        """`vjp` with container arguments, or recording a graph of the VJPs (create_graph)."""
        args = list(node._args)
        containers = {}
        for i, parent in node._parents:
            if i in containers:
                continue
            if type(args[i]) in _CONTAINERS:
                containers[i] = args[i]
                if not create_graph:
                    args[i] = tree_map(raw, args[i])
            elif create_graph and args[i] is not DROPPED:
                args[i] = _as_tensor(args[i], parent)
        ans = node.ans
        if create_graph and ans is not DROPPED:
            ans = Tensor._of_node(ans, node)
        kwargs = node._kwargs
        out = []
        per_container = {}
        joint = None
        if self.vjp_argnums is not None:
            argnums = tuple(dict.fromkeys(i for i, _ in node._parents))
            joint = dict(zip(argnums, self._joint_vjp(argnums, cotangent, ans, args, kwargs),
                             strict=True))
        for i, parent in node._parents:
            if i in per_container:
                parent_cotangent = per_container[i]
            elif joint is not None:
                parent_cotangent = joint[i]
            else:
                parent_cotangent = self._one_vjp(i, cotangent, ans, args, kwargs)
            if parent_cotangent is None and i not in containers:
                raise self.none_cotangent(i)
            if i in containers:
                per_container[i] = parent_cotangent
                parent_cotangent = _leaf_cotangent(
                    parent_cotangent, containers[i], parent, self.name, i
                )
                if parent_cotangent is None:
                    continue
            if not create_graph and isinstance(parent_cotangent, Tensor):
                parent_cotangent = parent_cotangent.data
            out.append((parent, _fitted(parent_cotangent, parent, batch_ndim)))
        return out

    def none_cotangent(self, argnum):
        """The error for a VJP that returned None for input `argnum`: a forgotten `return`
        must not become a zero gradient without a word."""
        return GradientError(
            f"{self.name}: the VJP of argument {argnum} returned None. Return an array of "
            "zeros for a zero cotangent (ns.zeros_like(x)), or declare the argument not "
            f"differentiable with chainrule.extend.defvjp(op, None, argnums=({argnum},))"
        )

    def missing_vjp(self, argnum):
        """The error for a gradient that reaches input `argnum`, which has no VJP rule."""
        return MissingDerivativeError(
            f"{self.name}: no VJP is defined for argument {argnum}, and a gradient reaches it "
            "(grad, jvp and the other transformations all need one). Define it with "
            f"chainrule.extend.defvjp(op, vjp, argnums=({argnum},)), declare the argument "
            f"not differentiable with defvjp(op, None, argnums=({argnum},)), or pass a "
            "constant there (cr.stop_gradient)"
        )

    def __repr__(self):
        return f"<chainrule primitive {self.name}>"


_position = itemgetter(0)
"""The argument position of a (position, parent) pair."""


def _fitted(cotangent, parent, batch_ndim):
    """A VJP's cotangent in its parent's shape (broadcasting undone) and dtype."""
    shape = cotangent.shape
    if (shape[batch_ndim:] if batch_ndim else shape) != parent.shape:
        cotangent = unbroadcast(cotangent, parent.shape, batch_ndim)
    if cotangent.dtype != parent.dtype:
        cotangent = match_input(cotangent, parent)
    return cotangent


def _as_tensor(value, parent):
    """A saved input as a Tensor of its graph node (a leaf Tensor is its own node)."""
    return parent if isinstance(parent, Tensor) else Tensor._of_node(value, parent)


def _declared_reads(declared):
    """`saves=("ans", 0, 2)` as (keeps the output, input positions kept)."""
    declared = set(declared)
    return "ans" in declared, {item for item in declared if isinstance(item, int)}


def _add_leaf_parents(position, container, parents):
    """Add each Tensor requiring grad inside `container` (once each) as a parent."""
    added = set()
    for leaf in tree_flatten(container)[0]:
        if isinstance(leaf, Tensor) and leaf.requires_grad and id(leaf) not in added:
            added.add(id(leaf))
            parents.append((position, leaf._node or leaf))
    return bool(added)


def _leaf_cotangent(cotangent, container, parent, name, position):
    """The part of a container argument's cotangent (same structure) that goes to `parent`.

    A Tensor found at several places in the container gets the sum; None means zero.
    """
    leaves, treedef = tree_flatten(container)
    if type(cotangent) not in _CONTAINERS:
        raise GradientError(
            f"{name}: argument {position} is a {type(container).__name__} but its VJP "
            f"returned {type(cotangent).__name__}; return one cotangent per item, in the "
            "argument's structure"
        )
    try:
        cotangent_leaves = tree_flatten(_fill_none(cotangent, treedef))[0]
    except (TypeError, ValueError, KeyError, IndexError):
        cotangent_leaves = []
    if len(cotangent_leaves) != len(leaves):
        raise GradientError(
            f"{name}: the VJP of argument {position} returned a cotangent whose structure "
            f"differs from the argument's ({len(leaves)} arrays)"
        )
    total = None
    for leaf, leaf_cotangent in zip(leaves, cotangent_leaves, strict=True):
        if isinstance(leaf, Tensor) and graph_node(leaf) is parent and leaf_cotangent is not _ZERO:
            total = leaf_cotangent if total is None else total + leaf_cotangent
    return total


_ZERO = object()
"""Stands for a None (zero) cotangent of one leaf while structures are matched."""


def _fill_none(cotangent, treedef):
    """`cotangent` with each None that stands for a whole leaf replaced by `_ZERO`."""
    if treedef is None:
        return _ZERO if cotangent is None else cotangent
    children = treedef[2] if treedef[0] is dict else treedef[1]
    if cotangent is None:
        return [_fill_none(None, child) for child in children]
    if treedef[0] is dict:
        return [_fill_none(cotangent.get(key), child) for key, child in zip(treedef[1], children)]
    if len(cotangent) != len(children):
        raise ValueError("structure")
    return [_fill_none(item, child) for item, child in zip(cotangent, children)]


def primitive(forward=None, *, name=None, numpy=None):
    """Decorator: make `forward` (raw arrays in, raw array out) a Primitive.

    `@primitive(numpy=numpy.tanh)` also routes that NumPy function (or each of a tuple of
    them) on Tensors to the new op, so an op is defined and registered in one place.
    """
    if forward is None:
        return lambda forward: Primitive(forward, name, numpy)
    return Primitive(forward, name, numpy)
