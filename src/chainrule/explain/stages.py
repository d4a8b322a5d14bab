"""Stages: the steps of a function written as a chain, h_{i+1} = stage_i(h_i; params_i).

A stage is one function of the value flowing along the chain plus named parameters. The
helpers build the tutorial's stages, each on one example (no batch axis):

    dense(W, b)          z = W a + b        (in,) -> (out,), W of shape (out, in)
    activation("relu")   a = relu(z)        elementwise
    softmax()            y = softmax(z)     (k,) -> (k,)
    cross_entropy(r)     C = -ln y_r        (k,) -> ()
"""

from dataclasses import dataclass, field

from chainrule import ops
from chainrule._core.tensor import Tensor, raw


@dataclass(frozen=True)
class Stage:
    """`output = fn(input, *params.values())`, named for the derivation it appears in.

    `output` is the symbol of the stage's result (`"z2"`, `"y"`, `"C"`), so Jacobians read
    `dz2/da1`; `params` maps each parameter's symbol (`"W2"`) to its array; `formula`
    writes the stage with `{input}` and `{output}` left to fill (`"{output} = relu({input})"`).
    """

    name: str
    fn: object
    params: dict = field(default_factory=dict)
    output: str | None = None
    formula: str = "{output} = f({input})"

    def __call__(self, value, *params):
        return self.fn(value, *(params or self.params.values()))

    def equation(self, input_symbol, output_symbol):
        """The stage as an equation in the chain's symbols: `z2 = W2 a1 + b2`."""
        return self.formula.format(input=input_symbol, output=output_symbol)


def as_stage(step, position):
    """A Stage for a Stage or a plain one-argument callable (named after its function)."""
    if isinstance(step, Stage):
        return step
    if not callable(step):
        raise TypeError(f"stage {position} is {type(step).__name__}, not a Stage or callable")
    name = getattr(step, "__name__", type(step).__name__)
    return Stage(name, step, {}, f"h{position + 1}", f"{{output}} = {name}({{input}})")


def dense(weight, bias, names=("W", "b"), output="z"):
    """z = W a + b: the affine layer, W of shape (out, in), b of shape (out,)."""
    weight_name, bias_name = names
    return Stage(
        "dense",
        lambda a, w, b: w @ a + b,
        {weight_name: raw(weight), bias_name: raw(bias)},
        output,
        f"{{output}} = {weight_name} {{input}} + {bias_name}",
    )


ACTIVATIONS = {"relu": ops.relu, "tanh": ops.tanh, "sigmoid": ops.sigmoid}


def activation(kind="relu", output="a"):
    """a = kind(z) elementwise: `kind` names one of ACTIVATIONS or is a function of z."""
    name, function = resolve_activation(kind)
    return Stage(name, function, {}, output, f"{{output}} = {name}({{input}})")


def resolve_activation(kind):
    """(name, function) of an activation given by name or as a callable (a layer)."""
    if callable(kind):
        return getattr(kind, "__name__", type(kind).__name__.lower()), kind
    if kind not in ACTIVATIONS:
        raise ValueError(f"unknown activation {kind!r}; known: {', '.join(ACTIVATIONS)}")
    return kind, ACTIVATIONS[kind]


def softmax(output="y"):
    """y = softmax(z) = exp(z) / sum(exp(z))."""
    return Stage("softmax", ops.softmax, {}, output, "{output} = softmax({input})")


def cross_entropy(label, output="C"):
    """C = -ln y_r for the true class r (y a vector of probabilities)."""
    label = int(label)
    return Stage("cross_entropy", lambda y: -ops.log(y[label]), {}, output,
                 f"{{output}} = -ln {{input}}_{label}")


def chain_function(stages):
    """f(x) = stage_n(... stage_1(x)), each parameter a Tensor named by its symbol that
    requires grad (so `graph(f, x)` marks it as a parameter)."""
    steps = [as_stage(step, position) for position, step in enumerate(stages)]
    params = [[Tensor(array, requires_grad=True, name=name) for name, array in s.params.items()]
              for s in steps]

    def chain(x):
        for step, step_params in zip(steps, params, strict=True):
            x = step(x, *step_params)
        return x

    return chain
