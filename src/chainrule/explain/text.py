"""The derivation as text, step by step, in the tutorial's order and symbols."""

import numpy as np

COLUMNS_SHOWN = 6


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
    lines += [f"  {'class:':9} true r = {r}, predicted {report['predicted']}", "",
              "Forward pass"]
    lines += [f"  {step['equation']:<24} shape {tuple(step['shape'])}"
              for step in report["forward"]]
    lines += [f"  {y_sym} = {_vector(y)}",
              f"  C = -ln {y_sym}_{r} = -ln {y[r]:.5f} = {report['C']:.5f}", "",
              f"Step 1. dC/d{y_sym} ({_dims(report['dC/dy']['shape'])}): zero except "
              f"-1/{y_sym}_r at r = {r}",
              f"  {_vector(report['dC/dy']['values'][0])}",
              f"  dC/d{y_sym}_{r} = -1/{y_sym}_{r} = {report['dC/dy']['at_label']:.5f}", "",
              f"Step 2. d{y_sym}/d{z} ({_dims(softmax_jacobian['shape'])}): "
              f"{y_sym}_i(1 - {y_sym}_i) on the diagonal, -{y_sym}_i {y_sym}_j off it"]
    lines += [f"  {_vector(row, 4)}" for row in softmax_jacobian["values"]]
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
    factors = np.array(shortcut["shortcut"])
    for i, row in enumerate(product["values"][0]):
        lines.append(f"  i={i} ({factors[i]:+.5f})  {_vector(row[:COLUMNS_SHOWN], 5)} ...")
    lines += ["", f"Shortcut. dC/d{z} = dC/d{y_sym} · d{y_sym}/d{z} = {y_sym} - onehot(r)",
              f"  {'chain:':<14} {_vector(shortcut['values'][0])}",
              f"  {y_sym + ' - onehot(r):':<14} {_vector(shortcut['shortcut'])}",
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


def _vector(values, decimals=5):
    return "[" + " ".join(f"{v:{decimals + 4}.{decimals}f}" for v in values) + "]"
