"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from chainrule.optim.optimizer import Optimizer


class SGD(Optimizer):
    """p <- p - lr * d, with d the gradient g (+ weight_decay * p) or, with momentum mu,
    the velocity v <- mu v + g (d = v, or g + mu v for Nesterov), as PyTorch's SGD.
    """

    BUFFERS = ("velocity",)

    def __init__(self, parameters, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        if nesterov and not momentum:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        super().__init__(parameters, lr=lr, momentum=momentum, nesterov=nesterov,
                         weight_decay=weight_decay)
        if not momentum:
            self.buffers = {}

    def update(self, index, parameter, gradient):
        settings = self.hyperparameters
        if settings["weight_decay"]:
            gradient = gradient + settings["weight_decay"] * parameter
        momentum = settings["momentum"]
        if momentum:
            velocity = self.buffers["velocity"][index]
            velocity *= momentum
            velocity += gradient
            gradient = gradient + momentum * velocity if settings["nesterov"] else velocity
        parameter -= settings["lr"] * gradient
