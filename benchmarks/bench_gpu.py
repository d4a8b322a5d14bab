"""Seconds per MNIST epoch on a GPU: chainrule (CuPy arrays) against PyTorch eager, in turn.

Both train the same 784-512-10 ReLU network with Adam (lr 1e-3) from the same initial
weights on the same mini-batches (real MNIST, pixels in [0, 1], float32), with the whole
data set on the GPU and each batch gathered there. They share one process and one GPU and
take turns, one epoch each per round and batch size, so a busy moment does not hit one
contender only. Every timing starts and ends with `cupy.cuda.Device().synchronize()` and
`torch.cuda.synchronize()`, so queued kernels are counted. It prints each epoch's seconds,
the medians, the median of the per-round ratios (chainrule / PyTorch) and each model's test
accuracy after its epochs:

    python benchmarks/bench_gpu.py --rounds 5 --batch-sizes 128 1024

`--device cpu` runs the same comparison on the CPU (PyTorch on the CPU too), and
`--device strict` runs chainrule on the CPU stand-in for a GPU from tests/strict_array.py
(PyTorch on the CPU): smoke runs, e.g. `--device strict --rounds 1 --train-size 2048`.
Neither side uses TF32 (CuPy's and PyTorch's defaults for float32 matmuls).
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
import chainrule as cr  # noqa: E402
from chainrule import _backend  # noqa: E402
from chainrule.data import load_dataset, to_float  # noqa: E402
from chainrule.training import evaluate  # noqa: E402
from mnist_setup import epoch_orders, initial_weights  # noqa: E402

LR = 1e-3
WARMUP_STEPS = 20
"""Untimed steps before the first round: kernels compiled, cuBLAS and allocators ready."""


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("CHAINRULE_DATA") or str(
        ROOT.parent / "shared" / "data" / "mnist"), help="folder holding the MNIST files")
    parser.add_argument("--rounds", "--epochs", dest="rounds", type=int, default=5,
                        help="timed epochs per contender and batch size (default 5)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 1024],
                        help="default 128 1024")
    parser.add_argument("--device", default="cuda",
                        help="cuda (default); cpu or strict for a smoke run on the CPU")
    parser.add_argument("--train-size", type=int, default=None,
                        help="train on the first N images only (default: all 60000)")
    return parser.parse_args(argv)


class Chainrule:
    """chainrule's MLP, its Adam and the training data on `device`: `epoch(order)` trains
    one epoch in that order, `accuracy()` is the test accuracy as a Python float."""

    def __init__(self, device, batch_size, train, test):
        self.device = device
        self.batch_size = batch_size
        self.model = cr.nn.MLP((784, 512, 10), rng=np.random.default_rng(0), device=device)
        names = [name for name, _ in self.model.named_parameters()]
        self.model.load_state_dict(dict(zip(names, initial_weights(), strict=True)))
        self.optimizer = cr.optim.Adam(self.model.parameters(), lr=LR)
        self.images, self.labels = (_backend.to_device(array, device) for array in train)
        self.test_images, self.test_labels = test

    def epoch(self, order):
        order = _backend.to_device(order, self.device)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            loss = cr.nn.functional.cross_entropy(self.model(self.images[batch]),
                                                  self.labels[batch])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def accuracy(self):
        return evaluate(self.model, self.test_images, self.test_labels)["accuracy"]


class PyTorch:
    """The same with PyTorch eager (torch.nn.Linear holds W as (out, in) too)."""

    def __init__(self, device, batch_size, train, test):
        import torch

        self.torch = torch
        self.batch_size = batch_size
        self.device = torch.device(device)
        model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                    torch.nn.Linear(512, 10))
        with torch.no_grad():
            for parameter, value in zip(model.parameters(), initial_weights(), strict=True):
                parameter.copy_(torch.from_numpy(value))
        self.model = model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.images, self.labels = (torch.as_tensor(array, device=self.device)
                                    for array in train)
        self.test_images, self.test_labels = (torch.as_tensor(array, device=self.device)
                                              for array in test)

    def epoch(self, order):
        torch = self.torch
        order = torch.as_tensor(order, device=self.device)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            loss = torch.nn.functional.cross_entropy(self.model(self.images[batch]),
                                                     self.labels[batch])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def accuracy(self):
        with self.torch.no_grad():
            predictions = self.model(self.test_images).argmax(dim=-1)
            return float((predictions == self.test_labels).float().mean().item())


def synchronizer(device):
    """A function that waits until the GPU has finished all queued work (a no-op on CPU)."""
    if device != "cuda":
        return lambda: None
    import cupy
    import torch

    def synchronize():
        cupy.cuda.Device().synchronize()
        torch.cuda.synchronize()

    return synchronize


def strict_device(device):
    """The strict stand-in registered for the run when it is asked for, else no context."""
    if device != "strict":
        return contextlib.nullcontext()
    sys.path.insert(0, str(ROOT / "tests"))
    from strict_array import use_strict_device

    return use_strict_device()


def main(argv=None):
    args = parse_arguments(argv)
    with strict_device(args.device):
        try:
            _backend.device_backend(args.device)
        except cr.DeviceError as error:
            sys.exit(f"bench_gpu: {error}")
        run(args)


def run(args):
    data = load_dataset("mnist", args.data_dir, download=False, progress=False)
    images = to_float(data.train_images)[: args.train_size]
    labels = data.train_labels.astype(np.int64)[: args.train_size]
    test = (to_float(data.test_images), data.test_labels.astype(np.int64))
    torch_device = "cuda" if args.device == "cuda" else "cpu"
    synchronize = synchronizer(args.device)
    orders = epoch_orders(len(images), args.rounds)
    print(f"MNIST 784-512-10 ReLU, Adam lr {LR:g}, float32, {len(images)} training images; "
          f"chainrule on {args.device}, PyTorch on {torch_device}")
    for batch_size in args.batch_sizes:
        contenders = {
            "chainrule": Chainrule(args.device, batch_size, (images, labels), test),
            "pytorch": PyTorch(torch_device, batch_size, (images, labels), test),
        }
        for contender in contenders.values():
            contender.epoch(orders[-1][: WARMUP_STEPS * batch_size])
        synchronize()
        seconds = {name: [] for name in contenders}
        for round_index in range(args.rounds):
            for name, contender in contenders.items():
                synchronize()
                started = time.perf_counter()
                contender.epoch(orders[round_index])
                synchronize()
                seconds[name].append(time.perf_counter() - started)
            print(f"batch {batch_size} round {round_index + 1}: "
                  + "  ".join(f"{name} {seconds[name][-1]:.3f}s" for name in contenders),
                  flush=True)
        ratios = [mine / theirs for mine, theirs in zip(seconds["chainrule"],
                                                        seconds["pytorch"], strict=True)]
        accuracy = {name: contender.accuracy() for name, contender in contenders.items()}
        print(f"batch {batch_size}: median s/epoch chainrule "
              f"{statistics.median(seconds['chainrule']):.3f}, pytorch "
              f"{statistics.median(seconds['pytorch']):.3f}; median ratio chainrule/pytorch "
              f"{statistics.median(ratios):.2f}; test accuracy after {args.rounds} epochs "
              f"(+ warm-up): chainrule {100 * accuracy['chainrule']:.2f}%, pytorch "
              f"{100 * accuracy['pytorch']:.2f}%")


if __name__ == "__main__":
    main()
