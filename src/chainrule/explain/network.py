"""The tutorial's network as stages: x -> z1 = W1 x + b1 -> a1 = relu(z1) -> z2 = W2 a1 + b2
-> y = softmax(z2) -> C = -ln y_r, built from (weight, bias) pairs or a model's `.layers`."""

import numpy as np

from chainrule._core.tensor import raw
from chainrule.explain import stages as st

TUTORIAL_Y = np.array([0.01, 0.11, 0.31, 0.11, 0.21, 0.01, 0.01, 0.01, 0.21, 0.01])
"""The tutorial's softmax output for an image of a 2: C = -ln 0.31 = 1.17118."""
TUTORIAL_LABEL = 2


def model_layers(model):
    """(dense parameters [(W, b), ...], activation kinds) of an MLP's `.layers`.

    A layer with `weight` (out, in) and `bias` is dense; dropout (the identity at test
    time) and a final softmax (the chain adds its own) are left out; any other layer is an
    activation named after its class (ReLU -> "relu"), or the layer itself when it is not
    one of ours.
    """
    dense, activations = [], []
    layers = list(model.layers)
    for position, layer in enumerate(layers):
        kind = type(layer).__name__.lower()
        if hasattr(layer, "weight") and hasattr(layer, "bias"):
            dense.append((np.asarray(raw(layer.weight)), np.asarray(raw(layer.bias))))
        elif kind == "dropout" or kind == "softmax" and position == len(layers) - 1:
            continue
        else:
            activations.append(kind if kind in st.ACTIVATIONS else layer)
    if len(activations) != len(dense) - 1:
        raise ValueError(f"expected an activation between each pair of dense layers; got "
                         f"{len(dense)} dense layers and {len(activations)} activations")
    return dense, activations


def network_stages(dense, activations, label):
    """Stages of the classifier on one example with true class `label`, symbols as in the
    tutorial (z1, a1, ..., y, C; parameters W1, b1, ...)."""
    stages = []
    for k, (weight, bias) in enumerate(dense, start=1):
        stages.append(st.dense(weight, bias, names=(f"W{k}", f"b{k}"), output=f"z{k}"))
        if k <= len(activations):
            stages.append(st.activation(activations[k - 1], output=f"a{k}"))
    return stages + [st.softmax(), st.cross_entropy(label)]


def forward(dense, activations, x):
    """The logits at one example or a batch of rows (arrays or Tensors, differentiable);
    with the last dense layer left out, the last hidden activation."""
    value = x
    for k, (weight, bias) in enumerate(dense):
        value = value @ np.asarray(weight).T + np.asarray(bias)
        if k < len(activations):
            value = st.resolve_activation(activations[k])[1](value)
    return value


def with_output(dense, activations, x, probabilities):
    """The same network with the last bias chosen so that softmax(z) is `probabilities`.

    b_L = ln y - W_L a_{L-1}, hence z_L = ln y and softmax(z_L) = y (y sums to 1).
    """
    hidden = forward(dense[:-1], activations, np.asarray(x, np.float64))
    weight, _ = dense[-1]
    bias = np.log(probabilities) - np.asarray(weight, np.float64) @ hidden
    return dense[:-1] + [(weight, bias)]
