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
