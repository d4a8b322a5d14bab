"""Neural-network building blocks: Module, layers, the MLP, losses and functional forms."""

from chainrule.nn import functional, utils
from chainrule.nn.init import glorot_uniform, he_normal
from chainrule.nn.layers import Dropout, Linear, ReLU, Sigmoid, Softmax, Tanh
from chainrule.nn.losses import cross_entropy, mse_loss, nll_loss, tutorial_cross_entropy
from chainrule.nn.mlp import MLP
from chainrule.nn.module import Module, Sequential
from chainrule.nn.parameter import Parameter

__all__ = [
    "MLP", "Dropout", "Linear", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "Tanh", "cross_entropy", "functional", "glorot_uniform", "he_normal",
    "mse_loss", "nll_loss", "tutorial_cross_entropy", "utils",
]
