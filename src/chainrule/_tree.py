"""Nested tuples, lists and dicts of arrays ("pytrees"): flatten to leaves and back.

As in JAX, None is an empty subtree (no leaves), so `(x, None)` has one leaf.
"""


def tree_flatten(tree):
    """(leaves, treedef): the leaves in order, and what is needed to rebuild the tree."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if tree is None:
        return (type(None), [])
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(item, leaves) for item in tree])
    if isinstance(tree, dict):
        return (dict, list(tree), [_flatten(tree[key], leaves) for key in tree])
    leaves.append(tree)
    return None


def tree_unflatten(treedef, leaves):
    """Rebuild the tree described by `treedef` from `leaves` (in flatten's order)."""
    return _unflatten(treedef, iter(leaves))


def _unflatten(treedef, leaves):
    if treedef is None:
        return next(leaves)
    if treedef[0] is dict:
        _, keys, children = treedef
        return {key: _unflatten(child, leaves) for key, child in zip(keys, children)}
    kind, children = treedef
    items = [_unflatten(child, leaves) for child in children]
    return tuple(items) if kind is tuple else items if kind is list else kind(*items)


def tree_map(function, tree):
    """Apply `function` to every leaf, keeping the structure."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [function(leaf) for leaf in leaves])
