"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

import numpy

from chainrule.optim import kernels
from chainrule.optim.optimizer import Optimizer


class SGD(Optimizer):
    """p <- p - lr * d, with d the gradient g (+ weight_decay * p) or, with momentum mu,
    the velocity v <- mu v + g (d = v, or g + mu v for Nesterov), as PyTorch's SGD.
    One fused pass over the flat parameters per step; velocities below the dtype's smallest
    normal number are stored as 0 (see `kernels`).
    """

    def __init__(self, parameters, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        if nesterov and not momentum:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.BUFFERS = ("velocity",) if momentum else ()
        super().__init__(parameters, lr=lr, momentum=momentum, nesterov=nesterov,
                         weight_decay=weight_decay)

    def update(self, parameter, gradient, velocity=None):
        settings = self.hyperparameters
        scalar = parameter.dtype.type
        kernels.kernels_for(parameter).sgd(
            parameter, gradient, gradient if velocity is None else velocity,
            scalar(settings["lr"]), scalar(settings["momentum"]), bool(settings["nesterov"]),
            scalar(settings["weight_decay"]), self.steps % kernels.FLUSH_EVERY == 0,
            scalar(numpy.finfo(scalar).tiny))
