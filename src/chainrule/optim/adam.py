"""Adam and AdamW: one fused pass over the flat parameters per step."""

import math

import numpy

from chainrule.optim import kernels
from chainrule.optim.optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba): m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
    p <- p - lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t), as PyTorch computes it.

    `weight_decay` adds weight_decay * p to the gradient (L2); AdamW decays the weights
    directly instead. Moments below the dtype's smallest normal number are stored as 0
    (see `kernels`).
    """

    BUFFERS = ("exp_avg", "exp_avg_sq")
    decoupled = False

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, lr=lr, betas=tuple(betas), eps=eps,
                         weight_decay=weight_decay)

    def update(self, parameter, gradient, exp_avg, exp_avg_sq):
        settings = self.hyperparameters
        beta1, beta2 = settings["betas"]
        lr, weight_decay = settings["lr"], settings["weight_decay"]
        # lr * m_hat / (sqrt(v_hat) + eps) = c * m / (sqrt(v) + eps * sqrt(1 - b2^t)),
        # with c = lr * sqrt(1 - b2^t) / (1 - b1^t): one pass fewer over the parameters.
        correction2 = math.sqrt(1 - beta2 ** self.steps)
        decoupled = bool(weight_decay) and self.decoupled
        scalar = parameter.dtype.type
        kernels.kernels_for(parameter).adam(
            parameter, gradient, exp_avg, exp_avg_sq, scalar(beta1), scalar(1 - beta1),
            scalar(beta2), scalar(1 - beta2), scalar(settings["eps"] * correction2),
            scalar(-lr * correction2 / (1 - beta1 ** self.steps)),
            scalar(0 if decoupled else weight_decay),
            scalar(1 - lr * weight_decay if decoupled else 1),
            self.steps % kernels.FLUSH_EVERY == 0, scalar(numpy.finfo(scalar).tiny))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p <- p (1 - lr * wd) first."""

    decoupled = True

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(parameters, lr, betas, eps, weight_decay)
