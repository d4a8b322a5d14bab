"""What the MNIST benchmarks share: the same starting weights and epoch orders for everyone."""

import numpy as np


def initial_weights():
    """He-initialised (W1, b1, W2, b2), W as (out, in), from a fixed seed."""
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((512, 784)) * np.sqrt(2 / 784)).astype(np.float32),
            np.zeros(512, np.float32),
            (rng.standard_normal((10, 512)) * np.sqrt(2 / 512)).astype(np.float32),
            np.zeros(10, np.float32)]


def epoch_orders(count, rounds):
    """One shuffled order per round (plus one for the warm-up), the same for everyone."""
    rng = np.random.default_rng(1)
    return [rng.permutation(count) for _ in range(rounds + 1)]


BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
FLUSH_EVERY = 8
"""The hand-written Adam flushes subnormal moments every 8 steps, as chainrule's does."""


def hand_numpy_step(optimizer_name, lr):
    """The hand-written NumPy training step `step(x, y) -> loss` of 784-512-10 (ReLU,
    softmax cross-entropy) from `initial_weights()`: forward and backward written out, SGD
    as `p -= lr * g`, Adam in place with chainrule's subnormal flush. The baseline the
    speed goals are set against (issue 12: chainrule's SGD epoch <= 1.0x this)."""
    parameters = initial_weights()
    moments = [[np.zeros_like(p) for p in parameters] for _ in range(2)]
    scratch = [np.empty_like(p) for p in parameters]
    one_hot = np.eye(10, dtype=np.float32)
    step = 0

    def update(gradients):
        nonlocal step
        step += 1
        if optimizer_name == "sgd":
            for parameter, gradient in zip(parameters, gradients, strict=True):
                parameter -= lr * gradient
            return
        correction2 = np.sqrt(1 - BETA2 ** step)
        size = -lr * correction2 / (1 - BETA1 ** step)
        for p, g, m, v, s in zip(parameters, gradients, *moments, scratch, strict=True):
            m *= BETA1
            np.multiply(g, 1 - BETA1, out=s)
            m += s
            v *= BETA2
            np.multiply(g, g, out=s)
            s *= 1 - BETA2
            v += s
            np.sqrt(v, out=s)
            s += EPS * correction2
            np.divide(m, s, out=s)
            s *= size
            p += s
        if step % FLUSH_EVERY == 0:
            for buffers in moments:
                for buffer, s in zip(buffers, scratch, strict=True):
                    np.abs(buffer, out=s)
                    np.copyto(buffer, 0, where=s < np.finfo(np.float32).tiny)

    def train_step(x, y):
        w1, b1, w2, b2 = parameters
        z1 = x @ w1.T
        z1 += b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2.T
        z2 += b2
        z2 -= z2.max(axis=1, keepdims=True)
        probabilities = np.exp(z2)
        total = probabilities.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z2[np.arange(len(y)), y]))
        probabilities /= total
        delta2 = (probabilities - one_hot[y]) / len(y)
        delta1 = delta2 @ w2
        delta1 *= z1 > 0
        update([delta1.T @ x, delta1.sum(axis=0), delta2.T @ a1, delta2.sum(axis=0)])
        return loss

    return train_step
