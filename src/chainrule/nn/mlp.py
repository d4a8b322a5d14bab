"""MLP: the tutorial's multilayer perceptron, 784-512-10 by default."""

from itertools import pairwise

import numpy

from chainrule._core.tensor import raw
from chainrule.errors import ShapeError
from chainrule.nn.functional import as_dtype, linear_relu
from chainrule.nn.layers import ACTIVATIONS, Dropout, Linear, ReLU, Softmax
from chainrule.nn.module import Module, Sequential

OUTPUTS = ("logits", "softmax")


def _fusable(layer, after):
    """A Linear followed by ReLU(inplace=True): one `linear_relu` op, the same values."""
    return type(layer) is Linear and type(after) is ReLU and after.inplace


class MLP(Module):
    """Linear layers with an activation (and optional dropout) between them.

    (N, sizes[0]) -> (N, sizes[-1]). With `output="logits"` (the default, for the fused
    `cross_entropy`) the last layer is linear; with `output="softmax"` a `Softmax` layer
    follows it, as the tutorial writes the network (train it with
    `tutorial_cross_entropy`). Weights use He initialisation for ReLU and Glorot for
    sigmoid/tanh; `rng` draws them (on the host, so a seed gives the same weights on every
    `device`) and, later, the dropout masks.

    Inputs are standardised first, x -> (x - input_mean) / input_std (by default 0 and 1:
    unchanged), so a model trained on standardised pixels still takes pixels in [0, 1].
    Inputs of another dtype are cast to the model's, so a float32 model computes and returns
    float32. The parameters lie in one flat buffer (`flatten_parameters`) on `device` ("cpu",
    "cuda"; see `Module.to`), and each ReLU overwrites its Linear layer's output in place.
    """

    def __init__(self, sizes=(784, 512, 10), activation="relu", dropout=0.0, rng=None,
                 dtype=numpy.float32, output="logits", input_mean=0.0, input_std=1.0,
                 device="cpu"):
        super().__init__()
        sizes = tuple(int(size) for size in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP: sizes must be at least two positive widths, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if output not in OUTPUTS:
            raise ValueError(f"MLP: output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        rng = numpy.random.default_rng() if rng is None else rng
        self.sizes = sizes
        self.activation = activation
        self.dropout = dropout
        self.output = output
        self.input_mean = float(input_mean)
        self.input_std = float(input_std)
        init = "he" if activation == "relu" else "glorot"
        layers = []
        for index, (fan_in, fan_out) in enumerate(pairwise(sizes)):
            layers.append(Linear(fan_in, fan_out, init=init, dtype=dtype, rng=rng))
            if index < len(sizes) - 2:
                layers.append(ReLU(inplace=True) if activation == "relu"
                              else ACTIVATIONS[activation]())
                if dropout:
                    layers.append(Dropout(dropout, rng=rng))
        if output == "softmax":
            layers.append(Softmax())
        self.layers = Sequential(*layers)
        self.name_parameters()
        self.flatten_parameters().to(device)

    @property
    def dtype(self):
        """The parameters' dtype."""
        return self.layers[0].weight.dtype

    def forward(self, x):
        """(N, sizes[0]) inputs -> (N, sizes[-1]) logits (or probabilities)."""
        shape = raw(x).shape
        if not shape or shape[-1] != self.sizes[0]:
            raise ShapeError(f"MLP {'-'.join(map(str, self.sizes))} expects inputs with "
                             f"{self.sizes[0]} features, got shape {shape}")
        x = self.standardize(as_dtype(x, self.dtype))
        layers = self.layers.layers
        index = 0
        while index < len(layers):
            layer = layers[index]
            if _fusable(layer, layers[index + 1] if index + 1 < len(layers) else None):
                x = linear_relu(as_dtype(x, layer.weight.dtype), layer.weight, layer.bias)
                index += 2
            else:
                x = layer.forward(x)
                index += 1
        return x

    def standardize(self, x):
        """(x - input_mean) / input_std: what the first Linear layer sees."""
        if self.input_mean == 0.0 and self.input_std == 1.0:
            return x
        return (x - self.input_mean) / self.input_std

    def extra_repr(self):
        text = (f"sizes={self.sizes}, activation={self.activation!r}, dropout={self.dropout}, "
                f"output={self.output!r}")
        if self.input_mean != 0.0 or self.input_std != 1.0:
            text += f", input_mean={self.input_mean:.4g}, input_std={self.input_std:.4g}"
        return text
