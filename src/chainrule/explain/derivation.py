"""The tutorial's derivation for the network's last layer, as numbers to print or save.

    dC/dW2 = dC/dy . dy/dz2 . dz2/dW2     (1x10) (10x10) (10x10x512) -> (1x10x512)

with dC/dy zero except -1/y_r, dy/dz2 = diag(y) - y y^T, dz2_i/dW2_jk = [i = j] a1_k, and
the shortcut dC/dz2 = y - onehot(r).
"""

import numpy as np


def derivation(explanation, label):
    """A JSON-ready dict of the derivation at `explanation` (of `network_stages`)."""
    cross, soft, dense = explanation.stages[-1], explanation.stages[-2], explanation.stages[-3]
    y_symbol, z_symbol, a_symbol = soft.output_symbol, dense.output_symbol, dense.input_symbol
    weight_symbol = next(iter(dense.stage.params))
    y, hidden = soft.output, dense.input
    onehot = np.eye(y.size)[label]
    cost = float(explanation.value)
    dc_dy = cross.jacobians[y_symbol]
    dy_dz = soft.jacobians[z_symbol]
    dz_dw = dense.jacobians[weight_symbol]
    dc_dz = soft.chain
    dc_dw = dense.gradients[weight_symbol]
    rule = np.eye(y.size)[:, :, None] * hidden[None, None, :]
    return {
        "label": int(label),
        "predicted": int(np.argmax(y)),
        "C": cost,
        "y": y.tolist(),
        "forward": [{"equation": s.equation, "shape": list(s.output.shape)}
                    for s in explanation.stages],
        "dC/dy": {
            "shape": list(dc_dy.shape), "values": dc_dy.tolist(),
            "nonzero": np.flatnonzero(dc_dy).tolist(), "at_label": float(dc_dy[0, label]),
            "minus_one_over_y_r": -1.0 / float(y[label]),
        },
        f"dy/d{z_symbol}": {
            "shape": list(dy_dz.shape), "values": dy_dz.tolist(),
            "symmetric": _largest(dy_dz - dy_dz.T),
            "row_sums": _largest(dy_dz.sum(axis=1)),
            "diagonal_minus_y(1-y)": _largest(np.diag(dy_dz) - y * (1 - y)),
            "off_diagonal_minus_(-y_i y_j)": _largest(
                (dy_dz + np.outer(y, y)) * (1 - np.eye(y.size))),
        },
        f"d{z_symbol}/d{weight_symbol}": {
            "shape": list(dz_dw.shape), "entries": int(dz_dw.size),
            "nonzero": int(np.count_nonzero(dz_dw)),
            "nonzero_fraction": float(np.count_nonzero(dz_dw) / dz_dw.size),
            "rule": f"d{z_symbol}_i/d{weight_symbol}_jk = [i = j] {a_symbol}_k",
            "rule_max_difference": _largest(dz_dw - rule),
            f"active_{a_symbol}": int(np.count_nonzero(hidden)),
            f"size_{a_symbol}": int(hidden.size),
        },
        f"dC/d{weight_symbol}": {
            "shape": list(dc_dw.shape), "values": dc_dw.tolist(),
            "outer_product_max_difference": _largest(dc_dw[0] - np.outer(y - onehot, hidden)),
            "largest_abs": _largest(dc_dw),
        },
        f"dC/d{z_symbol}": {
            "shape": list(dc_dz.shape), "values": dc_dz.tolist(),
            "shortcut": (y - onehot).tolist(),
            "shortcut_max_difference": _largest(dc_dz[0] - (y - onehot)),
        },
        "symbols": {"y": y_symbol, "z": z_symbol, "a": a_symbol, "W": weight_symbol},
        **explanation.summary(),
    }


def _largest(array):
    return float(np.max(np.abs(array))) if np.size(array) else 0.0
