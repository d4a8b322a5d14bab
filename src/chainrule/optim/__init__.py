"""Optimisers (SGD, Adam, AdamW) and learning-rate schedules."""

from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.schedules import Constant, Cosine, LinearWarmup, StepDecay
from chainrule.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Constant", "Cosine", "LinearWarmup", "Optimizer",
           "StepDecay"]
