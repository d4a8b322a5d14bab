"""The served classifier: its chain rule at a drawing, by `chainrule explain`'s own code, and
one SGD step on a per-page copy of its weights."""

import base64
import math
import threading
from collections import OrderedDict

import numpy as np

from chainrule.errors import CheckpointError
from chainrule.explain import derivation, explain, forward, model_layers, network_stages

from .errors import PayloadError

MAX_COPIES = 32
"""Pages whose stepped copies of the weights are kept (least recently used dropped first)."""
MAX_LEARNING_RATE = 10.0


class ServedModel:
    """A trained MLP and what the page shows about it.

    `source` says in words where the model came from (the page header shows it), `run_dir`
    is its run directory (None for a bare checkpoint); each page (`session`) draws with its
    own copy of the weights once it has taken an SGD step.
    """

    def __init__(self, model, config, source, run_dir=None):
        self.model = model
        self.source = source
        self.run_dir = run_dir
        dense, self.activations = model_layers(model)
        self.dtype = dense[0][0].dtype
        # explain works in float64; converting once (exactly) spares it on every drawing.
        self.dense = [(weight.astype(np.float64), bias.astype(np.float64))
                      for weight, bias in dense]
        inputs = self.dense[0][0].shape[1]
        self.side = math.isqrt(inputs)
        if self.side * self.side != inputs:
            raise CheckpointError(f"{source}: the model takes {inputs} inputs, not a square "
                                  "picture; serve draws square pictures")
        self.classes = list(config.get("classes") or range(self.dense[-1][0].shape[0]))
        self.dataset = config.get("dataset")
        self._copies = OrderedDict()
        self._lock = threading.Lock()

    def describe(self):
        """What the page header says about the model."""
        sizes = [self.dense[0][0].shape[1]] + [weight.shape[0] for weight, _ in self.dense]
        return {"source": self.source, "sizes": sizes, "side": self.side,
                "classes": [str(name) for name in self.classes], "dataset": self.dataset,
                "activations": [a if isinstance(a, str) else type(a).__name__
                                for a in self.activations]}

    def analysis(self, picture, label=None, session=None):
        """The chain rule at `picture` (side x side in [0, 1]) for class `label` (default:
        the predicted one), with this page's weights."""
        dense, steps = self._weights(session)
        return self._analysis(picture, label, dense) | {"steps": steps}

    def step(self, picture, label, learning_rate, session):
        """One SGD step on this single example, W <- W - lr dC/dW for every layer, applied to
        the page's copy of the weights; returns the analyses before and after it."""
        label = self._checked_label(label)
        if not (isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool)
                and 0 < learning_rate <= MAX_LEARNING_RATE):
            raise PayloadError(f"step: learning rate must be a number in (0, "
                               f"{MAX_LEARNING_RATE}], got {learning_rate!r}"[:200])
        dense, steps = self._weights(session)
        explanation, before = self._explained(picture, label, dense)
        label = before["label"]  # the predicted class when none was given, before and after
        stepped = [
            (self._in_model_dtype(weight - learning_rate * explanation.reverse[f"W{k}"][0]),
             self._in_model_dtype(bias - learning_rate * explanation.reverse[f"b{k}"][0]))
            for k, (weight, bias) in enumerate(dense, start=1)
        ]
        with self._lock:
            self._copies[session] = (stepped, steps + 1)
            self._copies.move_to_end(session)
            while len(self._copies) > MAX_COPIES:
                self._copies.popitem(last=False)
        after = self._analysis(picture, label, stepped)
        return {"before": before | {"steps": steps}, "after": after | {"steps": steps + 1},
                "learning_rate": learning_rate}

    def reset(self, session):
        """Forget the page's stepped copy: it draws with the trained weights again."""
        with self._lock:
            self._copies.pop(session, None)

    def _weights(self, session):
        with self._lock:
            if session in self._copies:
                self._copies.move_to_end(session)
                return self._copies[session]
        return self.dense, 0

    def _in_model_dtype(self, array):
        """`array` rounded to the model's dtype (the copy is a model like the original),
        held in float64 for explain."""
        return array.astype(self.dtype).astype(np.float64)

    def _checked_label(self, label):
        if label is None:
            return None
        if type(label) is not int or not 0 <= label < len(self.classes):
            raise PayloadError(f"label must be a class from 0 to {len(self.classes) - 1}, "
                               f"got {label!r}"[:200])
        return label

    def _explained(self, picture, label, dense):
        """(explanation, page data) as `chainrule explain --image` computes them, without its
        finite differences (the chained product is checked against reverse mode).

        Only the Jacobians the tutorial's derivation shows are built (the largest is
        dz2/dW2, classes x classes x hidden); the chain through earlier layers comes from
        VJPs, as explain does for dz1/dW1. That keeps an update within a few tens of ms.
        """
        x = self.model.standardize(np.asarray(picture, np.float64).reshape(-1))
        label = self._checked_label(label)
        if label is None:
            label = int(np.argmax(forward(dense, self.activations, x)))
        classes, hidden = dense[-1][0].shape
        explanation = explain(network_stages(dense, self.activations, label), x, fd_entries=0,
                              max_jacobian_entries=classes * classes * hidden)
        return explanation, _page_data(explanation, label, picture, self.model.input_std)

    def _analysis(self, picture, label, dense):
        return self._explained(picture, label, dense)[1]


def _page_data(explanation, label, picture, input_std):
    """What the page draws, JSON-ready; the numbers are `derivation`'s, as explain prints."""
    report = derivation(explanation, label)
    z, w = report["symbols"]["z"], report["symbols"]["W"]
    softmax_jacobian = report[f"dy/d{z}"]
    weight_gradient = explanation.gradient(w)[0]
    input_gradient = explanation.gradient(explanation.stages[0].input_symbol)[0]
    return {
        "label": report["label"], "predicted": report["predicted"], "C": report["C"],
        "y": report["y"], "symbols": report["symbols"],
        "picture": np.asarray(picture, np.float64).reshape(-1).tolist(),
        "dC/dy": {key: report["dC/dy"][key] for key in ("at_label", "minus_one_over_y_r")}
        | {"values": report["dC/dy"]["values"][0]},
        "dy/dz": {key: value for key, value in softmax_jacobian.items() if key != "shape"},
        "dC/dz": {"values": report[f"dC/d{z}"]["values"][0],
                  "shortcut": report[f"dC/d{z}"]["shortcut"],
                  "shortcut_max_difference": report[f"dC/d{z}"]["shortcut_max_difference"]},
        "dC/dW": {"shape": list(weight_gradient.shape),
                  "float64": base64.b64encode(np.ascontiguousarray(
                      weight_gradient, "<f8").tobytes()).decode("ascii"),
                  "largest_abs": report[f"dC/d{w}"]["largest_abs"],
                  "outer_product_max_difference":
                      report[f"dC/d{w}"]["outer_product_max_difference"]},
        "checks": [{"wrt": check["wrt"], "shape": check["shape"],
                    "product_vs_reverse": check["product_vs_reverse"]["largest"]}
                   for check in report["checks"]],
        # x = (pixel - mean) / std, so dC/dpixel = dC/dx / std.
        "saliency": (input_gradient / input_std).tolist(),
    }
