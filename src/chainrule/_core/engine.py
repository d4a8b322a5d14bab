"""The reverse pass: an iterative walk over the graph in reverse topological order."""

from chainrule import _backend
from chainrule._core import anomaly
from chainrule._core.modes import modes
from chainrule._core.node import Node
from chainrule._core.tensor import Tensor, graph_node
from chainrule.errors import GradientError


def topological_order(roots, stop_at=()):
    """Op nodes reachable from `roots`, each after all of its parents (no recursion).

    Leaves are left out (they only receive gradients) and so is anything behind a node
    whose id is in `stop_at` (the inputs a pass differentiates with respect to). Roots may
    be Tensors or nodes; the order holds nodes (`chainrule._core.node.Node`).
    """
    if len(roots) == 1 and not stop_at:
        order = _chain(roots[0])
        if order is not None:
            return order
    order = []
    visited = set(stop_at)
    visit = visited.add
    for root in roots:
        root = graph_node(root) if isinstance(root, Tensor) else root
        if type(root) is not Node or id(root) in visited:
            continue
        visit(id(root))
        stack = [(root, iter(root._parents))]
        while stack:
            node, parents = stack[-1]
            for _, parent in parents:
                if type(parent) is Node and id(parent) not in visited:
                    visit(id(parent))
                    stack.append((parent, iter(parent._parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _chain(root):
    """`topological_order` of a graph that is a chain, each node with at most one op node
    among its parents (a network of layers and its loss): followed parent by parent,
    without the visited set; None for any other graph."""
    node = graph_node(root) if isinstance(root, Tensor) else root
    order = []
    while type(node) is Node:
        order.append(node)
        following = None
        for _, parent in node._parents:
            if type(parent) is Node and parent is not following:
                if following is not None:
                    return None
                following = parent
        node = following
    order.reverse()
    return order


def _propagate(roots, seeds, create_graph, wanted=()):
    """Push cotangents from `roots` back to the leaves and the `wanted` nodes.

    Returns ({id(node): cotangent}, {id(leaf): leaf}) for what the walk ends at. Seeds may
    carry leading batch axes (a batch of cotangents: one pass for all rows).
    """
    cotangents = {}
    leaves = {}
    for root, seed in zip(roots, seeds, strict=True):
        root = graph_node(root)
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor(seed)
        key = id(root)
        cotangents[key] = seed if key not in cotangents else cotangents[key] + seed
        if type(root) is not Node:
            leaves[key] = root
    # A VJP may form an inf or NaN derivative that a zero cotangent then drops (the branch
    # `where` did not take), so NumPy's warnings here are noise; a non-finite gradient that
    # survives is what detect_anomaly reports (PyTorch and JAX do not warn either).
    quiet = _backend.errstate(*[root.data for root in roots[:1]], divide="ignore",
                              invalid="ignore")
    order = topological_order(roots, stop_at=wanted)
    if wanted:
        order = _leading_to(order, wanted)
    reached = {}
    recording, modes.grad_enabled = modes.grad_enabled, create_graph
    try:
        with quiet:
            _walk(order, cotangents, wanted, reached, leaves, create_graph)
    finally:
        modes.grad_enabled = recording
    cotangents.update(reached)
    return cotangents, leaves


def _walk(order, cotangents, wanted, reached, leaves, create_graph):
    """The loop of `_propagate`: each node's VJP, parents' cotangents summed."""
    check = modes.anomaly
    pop = cotangents.pop
    for node in reversed(order):
        key = id(node)
        cotangent = pop(key, None)
        if cotangent is None:
            continue
        if key in wanted:
            reached[key] = cotangent
            continue
        version = node._version
        for _, parent in node._parents:
            if parent._version > version and type(parent) is not Node:
                raise _changed_input(node, parent)
        batch_ndim = cotangent.ndim - len(node.shape)
        for parent, parent_cotangent in node._prim.vjp(
            node, cotangent, batch_ndim, create_graph
        ):
            if check:
                anomaly.check_gradient(node, parent, parent_cotangent)
            pkey = id(parent)
            previous = cotangents.get(pkey)
            if previous is None:
                cotangents[pkey] = parent_cotangent
                if type(parent) is not Node:
                    leaves[pkey] = parent
            else:
                cotangents[pkey] = previous + parent_cotangent


def _changed_input(node, leaf):
    """The error for an input leaf of `node` updated in place after `node` was recorded: its
    VJP would mix the old graph with the new values (PyTorch raises here too)."""
    return GradientError(
        f"{node._prim.name}: an input of shape {leaf.shape} was updated in place "
        "(an optimiser step, load_state_dict) after this op was recorded, so its gradient "
        "would use the new values: run the forward pass again after the step"
    )


def _leading_to(order, wanted):
    """The nodes of `order` (parents first) from which a `wanted` node can be reached.

    A pass for some inputs runs no VJP off their paths: the graph may hold an outer
    transformation's nodes, whose VJPs would be wasted work, or raise (a primitive without
    a rule), or run that outer pass again (a fixed-point solver's VJP).
    """
    leading = set(wanted)
    kept = []
    for node in order:
        if any(id(parent) in leading for _, parent in node._parents):
            leading.add(id(node))
            kept.append(node)
    return kept


def backward(roots, seeds, inputs, create_graph=False):
    """Cotangents of `inputs` given `seeds` for `roots`; None where an input is unreached.

    Used by the functional API: nothing is written to `.grad`.
    """
    nodes = [graph_node(tensor) for tensor in inputs]
    wanted = {id(node) for node in nodes}
    cotangents, _ = _propagate(roots, seeds, create_graph, wanted)
    return [cotangents.get(id(node)) for node in nodes]


def accumulate_into_leaves(root, seed, create_graph):
    """`Tensor.backward`: add d(root)/d(leaf) into `.grad` of each leaf requiring grad."""
    cotangents, leaves = _propagate([root], [seed], create_graph)
    owned, pending = [], []
    for key, leaf in leaves.items():
        cotangent = cotangents[key]
        if not leaf.requires_grad:
            continue
        if not create_graph and isinstance(cotangent, Tensor):
            cotangent = cotangent.data
        if leaf.grad is None and leaf._owns_gradient(cotangent):
            leaf.grad = cotangent  # the array the leaf keeps for its gradient: shared by no one
            owned.append(cotangent)
        else:
            pending.append((leaf, cotangent))
    if pending:
        handed_out = {}
        for array in (seed, *owned):
            _hand_out(array, handed_out)
        for leaf, cotangent in pending:
            leaf.grad = writable(
                cotangent if leaf.grad is None else leaf.grad + cotangent, handed_out
            )


def writable(cotangent, handed_out=None):
    """A gradient the user may update in place: read-only views (broadcasts) are copied,
    and a NumPy scalar becomes a 0-d array.

    With `handed_out` (the arrays given out so far, by the array owning their memory),
    memory another gradient or the seed already uses is copied too, so that an in-place
    update of one leaf's `.grad` (clip_grad_norm_, zero_grad) never changes another's:
    `add` gives both of its inputs the very same cotangent. A module without
    `may_share_memory` (the Array API's) has only the very same array copied (by
    `asarray(copy=True)`, as its arrays have no `.copy()`).
    """
    if isinstance(cotangent, Tensor):
        return cotangent
    if type(cotangent) is not _backend.ndarray:
        if not _backend.is_array(cotangent) or cotangent.ndim == 0 and _is_numpy(cotangent):
            cotangent = _backend.asarray(cotangent, like=cotangent).copy()
    elif not cotangent.flags.writeable:
        cotangent = cotangent.copy()
    if handed_out is not None:
        module = _backend.array_module(cotangent)
        shares_memory = getattr(module, "may_share_memory", None)
        if any(
            shares_memory(cotangent, other) if shares_memory else other is cotangent
            for other in handed_out.get(_owner_key(cotangent), ())
        ):
            cotangent = cotangent.copy() if shares_memory else module.asarray(cotangent, copy=True)
        _hand_out(cotangent, handed_out)
    return cotangent


def _is_numpy(array):
    return _backend.backend_of(array) is _backend.NUMPY


def _hand_out(array, handed_out):
    if _backend.is_array(array):
        handed_out.setdefault(_owner_key(array), []).append(array)


def _owner_key(array):
    """NumPy arrays by the array owning their memory; other backends' arrays all together
    (their `.base` objects need not be the same object each time)."""
    if type(array) is _backend.ndarray:
        return id(_memory_owner(array))
    return _backend.device_of(array)


def _memory_owner(array):
    """The array that owns the memory `array` views (itself when it owns it)."""
    while isinstance(array.base, _backend.ndarray):
        array = array.base
    return array
