"""The derivation as text, step by step, in the tutorial's order and symbols."""

import math

import numpy as np

COLUMNS_SHOWN = 6
SIGNIFICANT = 4
"""Fixed-point blocks show the largest value to this many significant digits."""
MAX_DECIMALS = 6
"""Blocks that would need more decimals to show their smallest nonzero value are printed in
scientific notation (a probability of 1e-9 beside one of 0.99)."""
INK_SHADES = " .:-=+*#%@"


def format_derivation(report):
    """Text for a `derivation` dict (plus optional "network" and "input" descriptions)."""
    y_sym, z, a, w = (report["symbols"][key] for key in ("y", "z", "a", "W"))
    r = report["label"]
    y = np.array(report["y"])
    softmax_jacobian = report[f"dy/d{z}"]
    sparse = report[f"d{z}/d{w}"]
    product = report[f"dC/d{w}"]
    shortcut = report[f"dC/d{z}"]
    lines = ["chainrule explain: the chain rule of the network at one input (float64)"]
    for key in ("network", "input"):
        if key in report:
            lines.append(f"  {key + ':':9} {report[key]}")
    lines.append(f"  {'class:':9} true r = {r}, predicted {report['predicted']}")
    if "pixels" in report:
        lines += ["  the input the network saw (the picture prepared as MNIST's digits were):",
                  *_picture(report["pixels"])]
    lines += ["", "Forward pass"]
    lines += [f"  {step['equation']:<24} shape {tuple(step['shape'])}"
              for step in report["forward"]]
    lines += [f"  {y_sym} = {_block([y])[0]}",
              f"  C = -ln {y_sym}_{r} = -ln {_number(y[r])} = {_number(report['C'])}", "",
              f"Step 1. dC/d{y_sym} ({_dims(report['dC/dy']['shape'])}): zero except "
              f"-1/{y_sym}_r at r = {r}",
              f"  {_block(report['dC/dy']['values'])[0]}",
              f"  dC/d{y_sym}_{r} = -1/{y_sym}_{r} = {_number(report['dC/dy']['at_label'])}",
              "",
              f"Step 2. d{y_sym}/d{z} ({_dims(softmax_jacobian['shape'])}): "
              f"{y_sym}_i(1 - {y_sym}_i) on the diagonal, -{y_sym}_i {y_sym}_j off it"]
    lines += [f"  {row}" for row in _block(softmax_jacobian["values"])]
    structure = [
        ("symmetric", "max |J - Jᵀ|", "symmetric"),
        ("rows sum to 0", "max |sum_j J_ij|", "row_sums"),
        (f"diagonal = {y_sym}(1-{y_sym})", f"max |J_ii - {y_sym}_i(1-{y_sym}_i)|",
         "diagonal_minus_y(1-y)"),
        (f"off-diagonal = -{y_sym}_i {y_sym}_j", f"max |J_ij + {y_sym}_i {y_sym}_j|",
         "off_diagonal_minus_(-y_i y_j)"),
    ]
    lines += [f"  {claim + ':':<24} {measure:<24} = {softmax_jacobian[key]:.2g}"
              for claim, measure, key in structure]
    lines += [
        "",
        f"Step 3. d{z}/d{w} ({_dims(sparse['shape'])}): {sparse['rule']}",
        f"  {sparse['entries']:,} entries, {sparse['nonzero']:,} nonzero "
        f"({100 * sparse['nonzero_fraction']:.2f}%): only where i = j and {a}_k != 0 "
        f"({sparse[f'active_{a}']} of {sparse[f'size_{a}']} units of {a} active)",
        f"  against the rule: max difference {sparse['rule_max_difference']:.2g}", "",
        f"Step 4. dC/d{w} = dC/d{y_sym} · d{y_sym}/d{z} · d{z}/d{w}:  "
        f"({_dims(report['dC/dy']['shape'])}) ({_dims(softmax_jacobian['shape'])}) "
        f"({_dims(sparse['shape'])}) -> ({_dims(product['shape'])})",
        f"  = ({y_sym} - onehot(r))ᵀ {a}ᵀ, row i = ({y_sym}_i - [i = r]) {a}: "
        f"max difference {product['outer_product_max_difference']:.2g}",
        f"  first {COLUMNS_SHOWN} of {product['shape'][-1]} columns:",
    ]
    factors = _cells(shortcut["shortcut"])
    rows = _block([row[:COLUMNS_SHOWN] for row in product["values"][0]])
    lines += [f"  i={i} ({factor})  {row} ..."
              for i, (factor, row) in enumerate(zip(factors, rows, strict=True))]
    chain, direct = _block([shortcut["values"][0], shortcut["shortcut"]])
    lines += ["", f"Shortcut. dC/d{z} = dC/d{y_sym} · d{y_sym}/d{z} = {y_sym} - onehot(r)",
              f"  {'chain:':<14} {chain}",
              f"  {y_sym + ' - onehot(r):':<14} {direct}",
              f"  max difference {shortcut['shortcut_max_difference']:.2g}", ""]
    lines += _check_lines(report)
    return "\n".join(lines)


def _check_lines(report):
    lines = ["Check: chained product, reverse mode (backpropagation), central differences",
             f"  {'dC/d':<6} {'shape':<12} {'product-reverse':>16} {'reverse-FD':>12}  "
             "FD entries"]
    for check in report["checks"]:
        numeric = check["reverse_vs_finite_differences"]
        total = int(np.prod(check["shape"]))
        lines.append(f"  {check['wrt']:<6} {_dims(check['shape']):<12} "
                     f"{check['product_vs_reverse']['largest']:>16.2g} "
                     f"{numeric['largest']:>12.2g}  {numeric['entries']:,} of {total:,}")
    lines += ["", "Each stage's Jacobian against central differences"]
    for stage in report["stages"]:
        for label, jacobian in stage["jacobians"].items():
            total = int(np.prod(jacobian["shape"]))
            if jacobian["built"]:
                numeric = jacobian["finite_differences"]
                lines.append(f"  {label:<10} {_dims(jacobian['shape']):<12} max difference "
                             f"{numeric['largest']:.2g} ({numeric['entries']:,} of "
                             f"{total:,} entries)")
            else:
                lines.append(f"  {label:<10} {_dims(jacobian['shape']):<12} not built "
                             f"({total:,} entries); its product with the chain is one VJP")
    return lines


def _dims(shape):
    return "x".join(str(n) for n in shape)


def _number(value):
    """A single value to six significant digits (the tutorial's 1.17118, -3.22581)."""
    return f"{value:.6g}"


def _block(rows):
    """Rows of numbers (all of one length) as aligned `[a b c]` lines, in one format chosen
    for the whole block."""
    cells, columns = _cells(rows), len(rows[0])
    return ["[" + " ".join(cells[start : start + columns]) + "]"
            for start in range(0, len(cells), columns)]


def _cells(values):
    """Each number of a block (any nesting, flattened) as text of one common width.

    The format suits the block: fixed point with SIGNIFICANT digits of the largest value
    and at least one of the smallest nonzero one, or scientific notation when that needs
    more than MAX_DECIMALS decimals or the values reach 1e5. Exact zeros print as 0, never
    as 0.0000 or -0.0000.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    magnitudes = np.abs(values[values != 0])
    if magnitudes.size == 0:
        texts = ["0"] * values.size
    else:
        largest, smallest = magnitudes.max(), magnitudes.min()
        # A hair of slack, so 9.99999999e-05 (a rounding away from 1e-4) takes 4 decimals
        # like 1e-4, whatever the last bits of the platform's exp and log.
        decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(largest) + 1e-9),
                       -math.floor(math.log10(smallest) + 1e-9))
        if largest >= 1e5 or decimals > MAX_DECIMALS:
            form = f".{SIGNIFICANT - 2}e"
        else:
            form = f".{decimals}f"
        texts = ["0" if value == 0 else format(value, form) for value in values]
    width = max(map(len, texts), default=0)
    return [text.rjust(width) for text in texts]


def _picture(pixels):
    """A 2-D picture in [0, 1] as text, one character per pixel, darker shades for more ink."""
    top = len(INK_SHADES) - 1
    return ["    |" + "".join(INK_SHADES[min(top, round(value * top))] for value in row) + "|"
            for row in pixels]
