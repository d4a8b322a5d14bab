"""One training step of the 784-512-10 MLP: peak traced memory and CPU time, at 1 thread.

    python benchmarks/bench_step.py --optimizer adam      # CHAINRULE_KERNELS=numpy: no numba

Memory is what tracemalloc sees from building the model on: parameters, gradients and
optimiser state held between steps, and the peak during a step (numba's own import and
compiled code are left out: they load before tracing starts). CPU time is process time
over `--steps` steps on random pixels in MNIST's shape (1 BLAS thread, so other processes
on the machine disturb it less than wall time).
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import chainrule as cr  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    make = {"adam": lambda p: cr.optim.Adam(p, lr=1e-3), "sgd": lambda p: cr.optim.SGD(p, lr=0.1)}
    rng = np.random.default_rng(0)
    pixels = rng.random((128 * 8, 784), dtype=np.float32)
    pixels[:, :100] = 0  # blank borders, as MNIST's: their moments go subnormal
    labels = rng.integers(0, 10, len(pixels))
    warm = cr.nn.MLP((4, 3, 2), dtype=np.float64)  # loads the kernels outside the trace
    optimizer = make[args.optimizer](warm.parameters())
    cr.nn.functional.cross_entropy(warm(np.ones((1, 4))), np.array([0])).backward()
    optimizer.step()
    cr.optim.kernels.wait_for_compiled()  # numba loads in the background: not the step's memory

    tracemalloc.start()
    model = cr.nn.MLP((784, 512, 10), rng=np.random.default_rng(0))
    optimizer = make[args.optimizer](model.parameters())

    def step(index):
        batch = slice(128 * (index % 8), 128 * (index % 8 + 1))
        loss = cr.nn.functional.cross_entropy(model(pixels[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for index in range(10):
        step(index)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    for index in range(10):
        step(index)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    started = time.process_time()
    for index in range(args.steps):
        step(index)
    cpu = (time.process_time() - started) / args.steps
    kernels = cr.optim.kernels
    kernel = "NumPy" if kernels.backend(np.dtype(np.float32)) is kernels else "numba"
    print(f"{args.optimizer} ({kernel} kernel): held between steps {held / 1e6:.2f} MB, peak "
          f"during a step {peak / 1e6:.2f} MB, {1e3 * cpu:.2f} ms CPU per step at 1 thread "
          f"(load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
