"""Seconds per MNIST epoch: chainrule against PyTorch eager and hand-written NumPy.

All three train the same 784-512-10 ReLU network from the same initial weights on the same
mini-batches (real MNIST, pixels in [0, 1], batch 128, float32) with the same optimiser, on
the same number of threads, and print the seconds of each epoch and the ratios:

    python benchmarks/bench_mnist_epoch.py --threads 2 --epochs 3

The aim: chainrule no slower than PyTorch eager on the CPU and within 15% of hand-written
NumPy. Run on a quiet machine: BLAS threads slow down badly when another process takes
the cores.
"""

import argparse
import os
import sys
import time
from pathlib import Path


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("CHAINRULE_DATA") or str(
        Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--threads", type=int, default=2, help="BLAS/torch threads (default 2)")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per run")
    parser.add_argument("--optimizer", choices=("sgd", "adam", "both"), default="both")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--only", nargs="*", choices=("chainrule", "pytorch", "numpy"),
                        default=("chainrule", "pytorch", "numpy"))
    return parser.parse_args()


ARGS = parse_arguments()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from chainrule import nn, optim  # noqa: E402
from chainrule.data import load_dataset, to_float  # noqa: E402
from chainrule.optim.adam import FLUSH_EVERY, flush_subnormals  # noqa: E402

LR = {"sgd": 0.1, "adam": 1e-3}
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def initial_weights():
    """He-initialised (W1, b1, W2, b2), W as (out, in), from a fixed seed."""
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((512, 784)) * np.sqrt(2 / 784)).astype(np.float32),
            np.zeros(512, np.float32),
            (rng.standard_normal((10, 512)) * np.sqrt(2 / 512)).astype(np.float32),
            np.zeros(10, np.float32)]


def epoch_orders(count, epochs):
    rng = np.random.default_rng(1)
    return [rng.permutation(count) for _ in range(epochs)]


def run_chainrule(images, labels, optimizer_name, batch_size):
    """A function training chainrule's MLP for one epoch in the given order."""
    model = nn.MLP((784, 512, 10), rng=np.random.default_rng(0))
    model.load_state_dict(dict(zip(["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                    "layers.2.bias"], initial_weights(), strict=True)))
    optimizer = (optim.Adam(model.parameters(), lr=LR["adam"]) if optimizer_name == "adam"
                 else optim.SGD(model.parameters(), lr=LR["sgd"]))

    def epoch(order):
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return epoch


def run_pytorch(images, labels, optimizer_name, batch_size):
    """The same with PyTorch eager (torch.nn.Linear holds W as (out, in) too)."""
    import torch

    torch.set_num_threads(ARGS.threads)
    w1, b1, w2, b2 = (torch.from_numpy(array.copy()) for array in initial_weights())
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10))
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (w1, b1, w2, b2), strict=True):
            parameter.copy_(value)
    optimizer = (torch.optim.Adam(model.parameters(), lr=LR["adam"]) if optimizer_name == "adam"
                 else torch.optim.SGD(model.parameters(), lr=LR["sgd"]))
    images, labels = torch.from_numpy(images), torch.from_numpy(labels)

    def epoch(order):
        order = torch.from_numpy(order)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return epoch


def run_numpy(images, labels, optimizer_name, batch_size):
    """Forward and backward by hand; Adam in place, with the same subnormal flush."""
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
                parameter -= LR["sgd"] * gradient
            return
        correction2 = np.sqrt(1 - BETA2 ** step)
        size = -LR["adam"] * correction2 / (1 - BETA1 ** step)
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
                    flush_subnormals(buffer, s)

    def epoch(order):
        w1, b1, w2, b2 = parameters
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            x, y = images[batch], labels[batch]
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

    return epoch


def timed(epoch, order):
    start = time.perf_counter()
    loss = epoch(order)
    return time.perf_counter() - start, loss


RUNNERS = {"chainrule": run_chainrule, "pytorch": run_pytorch, "numpy": run_numpy}


def main():
    data = load_dataset("mnist", ARGS.data_dir, download=False, progress=False)
    images = to_float(data.train_images)
    labels = data.train_labels.astype(np.int64)
    orders = epoch_orders(len(images), ARGS.epochs)
    names = [name for name in RUNNERS if name in ARGS.only]
    if "pytorch" in names:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed; skipping it")
            names.remove("pytorch")
    optimizers = ("sgd", "adam") if ARGS.optimizer == "both" else (ARGS.optimizer,)
    print(f"MNIST 784-512-10 ReLU, batch {ARGS.batch_size}, float32, {ARGS.threads} threads, "
          f"{ARGS.epochs} epochs; seconds per epoch, in turn, and the best")
    for optimizer_name in optimizers:
        epochs = {name: RUNNERS[name](images, labels, optimizer_name, ARGS.batch_size)
                  for name in names}
        results = {name: [] for name in names}
        for order in orders:  # round robin, so a busy moment does not hit one runner only
            for name in names:
                results[name].append(timed(epochs[name], order))
        best = {name: min(s for s, _ in runs) for name, runs in results.items()}
        for name, runs in results.items():
            listing = "  ".join(f"{s:.2f}" for s, _ in runs)
            print(f"  {optimizer_name:4} {name:9}  {listing}   best {best[name]:.2f}   "
                  f"(loss {runs[-1][1]:.4f})")
        ratios = [f"chainrule/{other} {best['chainrule'] / best[other]:.2f}"
                  for other in ("pytorch", "numpy") if "chainrule" in best and other in best]
        if ratios:
            print(f"  {optimizer_name:4} best epochs: " + ", ".join(ratios))

if __name__ == "__main__":
    main()
