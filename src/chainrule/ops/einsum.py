"""einsum with NumPy's whole grammar, reduced to one primitive on explicit letters.

Every call (subscripts or sublists, implicit or explicit output, '...' anywhere, size-1
broadcasting) is first rewritten as an explicit spec over single letters, such as
"ab,bc->ac", with broadcast size-1 axes squeezed out of the operands that have them.
The primitive then only sees plain specs, and its VJP is one more einsum.
"""

import string

from chainrule._backend import array_module
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import ShapeError
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.elementwise import astype
from chainrule.ops.shape import reshape

# NumPy's sublist labels: 0-25 are 'A'-'Z', 26-51 are 'a'-'z' (so implicit order matches).
LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _subscripts_from_sublists(args):
    """The sublist form (a, [0, 1], b, [1, 2], [0, 2]) as ("AB,BC->AC", [a, b])."""

    def letters(sublist):
        return "".join("..." if label is Ellipsis else LETTERS[label] for label in sublist)

    has_output = len(args) % 2 == 1
    pairs = args[:-1] if has_output else args
    operands, sublists = list(pairs[0::2]), pairs[1::2]
    subscripts = ",".join(letters(s) for s in sublists)
    if has_output:
        subscripts += "->" + letters(args[-1])
    return subscripts, operands


def _split(subscripts, count):
    """(input specs, output spec or None for implicit mode), after checking the characters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    specs = inputs.split(",")
    for part in [*specs, output]:
        rest = part.replace("...", "", 1)
        if not all(c in LETTERS for c in rest):
            raise ShapeError(f"einsum: invalid subscripts {subscripts!r}")
    if len(specs) != count:
        raise ShapeError(
            f"einsum: subscripts {subscripts!r} name {len(specs)} operands, got {count}"
        )
    return specs, (output if arrow else None)


def _expand_ellipses(specs, output, shapes):
    """Specs with '...' replaced by letters (right-aligned across operands, as NumPy does)."""
    used = set("".join(specs) + (output or ""))
    free = [c for c in LETTERS if c not in used]
    counts = []
    for spec, shape in zip(specs, shapes):
        named = len(spec.replace("...", ""))
        count = len(shape) - named if "..." in spec else 0
        if count < 0 or ("..." not in spec and named != len(shape)):
            raise ShapeError(
                f"einsum: subscripts {spec!r} do not fit an operand of shape {tuple(shape)}"
            )
        counts.append(count)
    ellipsis = "".join(free[: max(counts, default=0)])
    specs = [s.replace("...", ellipsis[len(ellipsis) - n :]) for s, n in zip(specs, counts)]
    if output is None:
        letters = "".join(specs)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        return specs, ellipsis + "".join(once)
    if "..." not in output and ellipsis:
        raise ShapeError(
            "einsum: operands have '...' axes but the output has no '...' to put them in"
        )
    return specs, output.replace("...", ellipsis)


def _squeeze_broadcast_axes(specs, operands, shapes):
    """Drop size-1 axes that broadcast against a longer axis of the same letter elsewhere."""
    sizes = {}
    for spec, shape in zip(specs, shapes):
        for letter, n in zip(spec, shape):
            sizes[letter] = n if sizes.get(letter, 1) == 1 else sizes[letter]
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        keep = [n != 1 or sizes[letter] == 1 for letter, n in zip(spec, shape)]
        if not all(keep):
            specs[i] = "".join(c for c, k in zip(spec, keep) if k)
            operands[i] = reshape(operands[i], tuple(n for n, k in zip(shape, keep) if k))
    return specs, operands


def normalize(args):
    """("ab,bc->ac", operands): any einsum call as an explicit spec over plain letters."""
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _subscripts_from_sublists(args)
    module = module_of(*operands)
    operands = [op if isinstance(op, Tensor) else module.asarray(op) for op in operands]
    shapes = [op.shape for op in operands]
    specs, output = _split(subscripts, len(operands))
    specs, output = _expand_ellipses(specs, output, shapes)
    specs, operands = _squeeze_broadcast_axes(specs, operands, shapes)
    return ",".join(specs) + "->" + output, operands


def einsum(*args, optimize=False, dtype=None, **kwargs):
    """NumPy's einsum: subscripts or sublists, '...' anywhere, repeated and implicit indices."""
    if kwargs:
        raise TypeError(f"einsum: chainrule does not support the arguments {sorted(kwargs)}")
    spec, operands = normalize(args)
    if dtype is not None:
        operands = [astype(op, dtype) for op in operands]
    return contract(spec, *operands, optimize=optimize)


@primitive(name="einsum")
def contract(spec, *operands, optimize=False):
    """einsum on an explicit spec of plain letters (no '...', no broadcast axes)."""
    return array_module(*operands).einsum(spec, *operands, optimize=optimize)


@contract.defvjp_argnum
def _(argnum, g, ans, spec, *operands, optimize=False):
    # d out / d operand k: contract g with the other operands onto operand k's letters.
    # A letter repeated in operand k (a diagonal) is tied back with an identity matrix;
    # a letter summed out of operand k alone is spread back with a vector of ones.
    ns = namespace(g, *operands)
    inputs, output = spec.split("->")
    specs = inputs.split(",")
    index = argnum - 1
    target, operand = specs[index], operands[index]
    others = [(s, op) for i, (s, op) in enumerate(zip(specs, operands)) if i != index]
    free = iter(c for c in LETTERS if c not in spec)
    batch = "".join(next(free) for _ in range(g.ndim - ans.ndim))
    dtype = raw(operand).dtype
    terms = [(batch + output, g), *others]
    present = set(output + "".join(s for s, _ in others))
    result = ""
    for position, letter in enumerate(target):
        size = operand.shape[position]
        if letter in result:
            fresh = next(free)
            terms.append((letter + fresh, ns.eye(size, dtype=dtype)))
            result += fresh
            continue
        if letter not in present:
            terms.append((letter, ns.ones(size, dtype=dtype)))
        result += letter
    gradient_spec = ",".join(s for s, _ in terms) + "->" + batch + result
    return ns.einsum(gradient_spec, *(op for _, op in terms), optimize=len(terms) > 2)
