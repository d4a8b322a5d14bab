"""The chain rule made visible: every Jacobian of a chain of stages, checked, and drawn.

    from chainrule.explain import explain, dense, activation, softmax, cross_entropy
    e = explain([dense(W2, b2, ("W2", "b2"), "z2"), softmax(), cross_entropy(2)], a1,
                input_symbol="a1")
    e.jacobian("y", "z2")     # dy/dz2, 10x10
    e.gradient("W2")          # dC/dW2 = dC/dy . dy/dz2 . dz2/dW2, 1x10x512
    e.checks["W2"]            # against reverse mode and finite differences
"""

from chainrule.explain.chain import (
    MAX_JACOBIAN_ENTRIES,
    Explanation,
    GradientCheck,
    StageExplanation,
    explain,
)
from chainrule.explain.derivation import derivation
from chainrule.explain.derivation_figure import plot_derivation
from chainrule.explain.figures import PlottingUnavailable
from chainrule.explain.graph import graph, write_graph
from chainrule.explain.network import (
    TUTORIAL_LABEL,
    TUTORIAL_Y,
    forward,
    model_layers,
    network_stages,
    with_output,
)
from chainrule.explain.numeric import Difference
from chainrule.explain.stages import (
    Stage,
    activation,
    chain_function,
    cross_entropy,
    dense,
    softmax,
)
from chainrule.explain.text import format_derivation

__all__ = [
    "MAX_JACOBIAN_ENTRIES", "TUTORIAL_LABEL", "TUTORIAL_Y", "Difference", "Explanation",
    "GradientCheck", "PlottingUnavailable", "Stage", "StageExplanation", "activation",
    "chain_function", "cross_entropy", "dense", "derivation", "explain", "format_derivation",
    "forward", "graph", "model_layers", "network_stages", "plot_derivation", "softmax",
    "with_output", "write_graph",
]
