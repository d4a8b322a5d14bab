"""Adam and AdamW, with subnormal moment values flushed to zero so steps stay fast."""

import math

from chainrule._backend import xp
from chainrule.optim.optimizer import Optimizer

FLUSH_EVERY = 8
"""Steps between flushes of subnormal moment values (see Adam)."""


class Adam(Optimizer):
    """Adam (Kingma & Ba): m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
    p <- p - lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t), as PyTorch computes it.

    `weight_decay` adds weight_decay * p to the gradient (L2); AdamW decays the weights
    directly instead. Where a gradient stays 0 (MNIST's blank border pixels), m and v decay
    geometrically into the subnormal range, where arithmetic is many times slower; every
    FLUSH_EVERY steps, values below the dtype's smallest normal number are set to 0 (such
    a value moves a weight by less than 1e-30).
    """

    BUFFERS = ("exp_avg", "exp_avg_sq")
    decoupled = False

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, lr=lr, betas=tuple(betas), eps=eps,
                         weight_decay=weight_decay)
        self.scratch = [xp.empty_like(p.data) for p in self.parameters]

    def step(self):
        super().step()
        if self.steps % FLUSH_EVERY == 0:
            for arrays in self.buffers.values():
                for array, scratch in zip(arrays, self.scratch, strict=True):
                    flush_subnormals(array, scratch)

    def update(self, index, parameter, gradient):
        settings = self.hyperparameters
        beta1, beta2 = settings["betas"]
        lr, weight_decay = settings["lr"], settings["weight_decay"]
        if weight_decay and self.decoupled:
            parameter *= 1 - lr * weight_decay
        elif weight_decay:
            gradient = gradient + weight_decay * parameter
        exp_avg = self.buffers["exp_avg"][index]
        exp_avg_sq = self.buffers["exp_avg_sq"][index]
        scratch = self.scratch[index]
        exp_avg *= beta1
        xp.multiply(gradient, 1 - beta1, out=scratch)
        exp_avg += scratch
        exp_avg_sq *= beta2
        xp.multiply(gradient, gradient, out=scratch)
        scratch *= 1 - beta2
        exp_avg_sq += scratch
        # lr * m_hat / (sqrt(v_hat) + eps) = c * m / (sqrt(v) + eps * sqrt(1 - b2^t)),
        # with c = lr * sqrt(1 - b2^t) / (1 - b1^t): one pass fewer over the parameters.
        correction2 = math.sqrt(1 - beta2 ** self.steps)
        xp.sqrt(exp_avg_sq, out=scratch)
        scratch += settings["eps"] * correction2
        xp.divide(exp_avg, scratch, out=scratch)
        scratch *= -lr * correction2 / (1 - beta1 ** self.steps)
        parameter += scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p <- p (1 - lr * wd) first."""

    decoupled = True

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(parameters, lr, betas, eps, weight_decay)


def flush_subnormals(array, scratch):
    """Set the entries of `array` smaller in magnitude than the smallest normal to 0."""
    xp.abs(array, out=scratch)
    xp.copyto(array, 0, where=scratch < xp.finfo(array.dtype).tiny)
