"""The compiled passes against the NumPy calls they replace, at the MNIST MLP's sizes.

    python benchmarks/bench_kernels.py        # needs numba (pip install -e ".[fast]")

Batch 128, 512 hidden units, float32, 1 thread: linear_relu's forward pass (bias add and
ReLU over the GEMM's output) and backward pass (mask and bias sums), and the SGD update of
the 784-512-10 network's 407,050 parameters. Each pair runs in turn, 30 rounds; it prints
the median microseconds per call of each and the median of the per-round ratios.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from chainrule.nn import _compiled as layers  # noqa: E402
from chainrule.optim import _compiled as optimisers  # noqa: E402

ROUNDS, CALLS = 30, 50


def cases():
    """(name, NumPy's calls, the compiled pass) at the MLP's sizes."""
    rng = np.random.default_rng(0)
    out = rng.standard_normal((128, 512), dtype=np.float32)
    bias = rng.standard_normal(512, dtype=np.float32)
    g = rng.standard_normal((128, 512), dtype=np.float32)
    ans = np.maximum(out, 0)
    masked, sums = np.empty_like(g), np.empty(512, np.float32)
    size = 784 * 512 + 512 + 512 * 10 + 10
    p, grad = (rng.standard_normal(size, dtype=np.float32) for _ in range(2))
    lr, zero, tiny = np.float32(1e-9), np.float32(0), np.float32(np.finfo(np.float32).tiny)

    def numpy_forward():
        values = out.copy()
        values += bias
        np.maximum(values, 0, out=values)

    def compiled_forward():
        layers.bias_relu(out.copy(), bias)

    def numpy_backward():
        (g * (ans > 0)).sum(axis=0)

    def compiled_backward():
        layers.relu_backward(g, ans, masked, sums)

    def numpy_sgd():
        nonlocal p
        p -= lr * grad

    def compiled_sgd():
        optimisers.sgd(p, grad, grad, lr, zero, False, zero, False, tiny)

    return [("bias + ReLU (forward, incl. a copy)", numpy_forward, compiled_forward),
            ("mask + bias sums (backward)", numpy_backward, compiled_backward),
            ("SGD update, 407,050 parameters", numpy_sgd, compiled_sgd)]


def per_call(function):
    start = time.perf_counter()
    for _ in range(CALLS):
        function()
    return (time.perf_counter() - start) / CALLS * 1e6


def main():
    layers.warm_up()
    optimisers.warm_up()
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {ROUNDS} alternating rounds, "
          f"µs per call")
    for name, numpy_version, compiled_version in cases():
        numpy_times, compiled_times = [], []
        for _ in range(ROUNDS):
            numpy_times.append(per_call(numpy_version))
            compiled_times.append(per_call(compiled_version))
        ratio = statistics.median(c / n for c, n in zip(compiled_times, numpy_times, strict=True))
        print(f"  {name:38} NumPy {statistics.median(numpy_times):7.1f}   "
              f"compiled {statistics.median(compiled_times):7.1f}   ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
