"""Learning-rate schedules: functions from the number of steps taken to a learning rate.

A schedule holds no state, so a resumed run gets the same rates from the step count alone.
"""

import math


class Constant:
    """The same rate at every step."""

    def __init__(self, lr):
        self.lr = lr

    def __call__(self, step):
        return self.lr

    def __repr__(self):
        return f"Constant(lr={self.lr})"


class StepDecay:
    """lr * gamma ** (step // step_size): multiply by `gamma` every `step_size` steps."""

    def __init__(self, lr, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepDecay: step_size must be at least 1, got {step_size}")
        self.lr, self.step_size, self.gamma = lr, step_size, gamma

    def __call__(self, step):
        return self.lr * self.gamma ** (step // self.step_size)

    def __repr__(self):
        return f"StepDecay(lr={self.lr}, step_size={self.step_size}, gamma={self.gamma})"


class Cosine:
    """min_lr + (lr - min_lr) (1 + cos(pi step / total_steps)) / 2, then min_lr."""

    def __init__(self, lr, total_steps, min_lr=0.0):
        if total_steps < 1:
            raise ValueError(f"Cosine: total_steps must be at least 1, got {total_steps}")
        self.lr, self.total_steps, self.min_lr = lr, total_steps, min_lr

    def __call__(self, step):
        progress = min(step, self.total_steps) / self.total_steps
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self):
        return f"Cosine(lr={self.lr}, total_steps={self.total_steps}, min_lr={self.min_lr})"


class LinearWarmup:
    """`schedule` scaled by (step + 1) / warmup_steps over the first `warmup_steps` steps."""

    def __init__(self, schedule, warmup_steps):
        if warmup_steps < 0:
            raise ValueError(f"LinearWarmup: warmup_steps must be >= 0, got {warmup_steps}")
        self.schedule, self.warmup_steps = schedule, warmup_steps

    def __call__(self, step):
        rate = self.schedule(step)
        if step < self.warmup_steps:
            return rate * (step + 1) / self.warmup_steps
        return rate

    def __repr__(self):
        return f"LinearWarmup({self.schedule!r}, warmup_steps={self.warmup_steps})"
