"""Layers: Linear, the activations as modules, Softmax and Dropout."""

import numpy

from chainrule.nn import functional as F
from chainrule.nn.init import INITIALIZERS
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class Linear(Module):
    """z = W a + b for each row a of the input: (N, in_features) -> (N, out_features).

    `weight` is (out_features, in_features), as the tutorial writes W (row j holds the
    weights into unit j), so a batch is computed as x @ W.T + b; `bias` is (out_features,),
    or None with `bias=False`. `init` is "he" (N(0, 2/in), for ReLU) or "glorot" (uniform,
    for tanh/sigmoid); biases start at zero. `rng` is a `numpy.random.Generator` (a fresh
    unseeded one if None); the weights are drawn on the host and then moved to `device`, so a
    seed gives the same weights on every device. The output has the layer's dtype whatever
    the input's.
    """

    def __init__(self, in_features, out_features, bias=True, init="he", dtype=numpy.float32,
                 rng=None, device="cpu"):
        super().__init__()
        if init not in INITIALIZERS:
            raise ValueError(f"Linear: init must be one of {', '.join(INITIALIZERS)}, "
                             f"got {init!r}")
        rng = numpy.random.default_rng() if rng is None else rng
        self.in_features = in_features
        self.out_features = out_features
        self.init = init
        self.weight = Parameter(INITIALIZERS[init]((out_features, in_features), rng, dtype),
                                name="weight")
        self.bias = (Parameter(numpy.zeros(out_features, dtype=dtype), name="bias") if bias
                     else None)
        self.flatten_parameters().to(device)

    def forward(self, x):
        return F.linear(F.as_dtype(x, self.weight.dtype), self.weight, self.bias)

    def extra_repr(self):
        bias = "" if self.bias is not None else ", bias=False"
        return (f"in_features={self.in_features}, out_features={self.out_features}{bias}, "
                f"init={self.init!r}, dtype={self.weight.dtype}")


class ReLU(Module):
    """max(z, 0) elementwise; with `inplace=True` written over its input where that is safe
    (after a Linear layer: see `functional.relu_`)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu_(x) if self.inplace else F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + exp(-z)) elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(z) elementwise."""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """exp(z) / sum(exp(z)) along `axis`: logits to probabilities, as its own layer."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}" if self.axis != -1 else ""


class Dropout(Module):
    """Inverted dropout with drop probability `p` while training; the identity in eval mode.

    The masks come from `rng` (a `numpy.random.Generator`), so seeded training is repeatable.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = numpy.random.default_rng() if rng is None else rng

    def forward(self, x):
        return F.dropout(x, self.p, self.rng, self.training)

    def extra_repr(self):
        return f"p={self.p}"


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}
