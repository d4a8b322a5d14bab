"""Seconds per MNIST epoch: chainrule against PyTorch eager and hand-written NumPy, in turn.

All three train the same 784-512-10 ReLU network from the same initial weights on the same
mini-batches (real MNIST, pixels in [0, 1], batch 128, float32) with the same optimiser and
thread count. Each runs in its own process (NumPy's OpenBLAS workers and PyTorch's OpenMP
threads in one process starve each other); the processes take turns, one epoch each per
round, so a busy moment does not hit one contender only. It prints each epoch's seconds,
the medians, the median of the per-round ratios, and the load average at start and end:

    python benchmarks/bench_mnist_epoch.py --threads 2 --rounds 5     # about 1 minute

With `--slices 4` the contenders take turns every quarter epoch instead (an epoch's time is
the sum of its quarters), which spreads a shared machine's slow moments more evenly;
`--same-process --slices 8` runs chainrule and the hand-written NumPy loop in this one
process (the same BLAS; no PyTorch), taking turns every 1/8 epoch.

chainrule runs through its public API only (`cr.nn.MLP`, `cr.optim.Adam`/`SGD`,
`cr.nn.functional.cross_entropy`, `.backward()`). The goal (issue 12): Adam epoch <= 0.8x
PyTorch eager, SGD epoch <= 1.0x hand-written NumPy, on a quiet machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("CHAINRULE_DATA") or str(
        Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--threads", type=int, default=2, help="BLAS/torch threads (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs per contender")
    parser.add_argument("--slices", type=int, default=1,
                        help="take turns every 1/SLICES of an epoch instead of every epoch "
                             "(an epoch's time is the sum of its slices): finer turns share "
                             "a shared machine's slow moments out more evenly")
    parser.add_argument("--optimizer", choices=("sgd", "adam", "both"), default="both")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--only", nargs="*", choices=("chainrule", "pytorch", "numpy"),
                        default=("chainrule", "pytorch", "numpy"))
    parser.add_argument("--same-process", action="store_true",
                        help="run chainrule and hand-written NumPy in this one process (they "
                             "share one BLAS; PyTorch is left out: its threads and "
                             "OpenBLAS's starve each other in one process)")
    parser.add_argument("--worker", choices=("chainrule", "pytorch", "numpy"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


ARGS = parse_arguments()
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for variable in THREAD_VARIABLES:
    os.environ[variable] = str(ARGS.threads)  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import chainrule as cr  # noqa: E402
from chainrule.data import load_dataset, to_float  # noqa: E402
from mnist_setup import epoch_orders, hand_numpy_step, initial_weights  # noqa: E402

WARMUP_STEPS = 30
"""Untimed steps before the first round: buffers allocated, and chainrule's compiled kernels
(numba, which its first backward pass starts loading in the background) waited for, so
the rounds time the steady state of every contender."""
BUSY_LOAD = 0.5
"""A 1-minute load average above this before the start means other work shares the cores."""
LR = {"sgd": 0.1, "adam": 1e-3}


def run_chainrule(images, labels, optimizer_name, batch_size):
    """A function training chainrule's MLP for one epoch in the given order."""
    model = cr.nn.MLP((784, 512, 10), rng=np.random.default_rng(0))
    model.load_state_dict(dict(zip(["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                    "layers.2.bias"], initial_weights(), strict=True)))
    optimizer = (cr.optim.Adam(model.parameters(), lr=LR["adam"]) if optimizer_name == "adam"
                 else cr.optim.SGD(model.parameters(), lr=LR["sgd"]))

    def epoch(order):
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss = cr.nn.functional.cross_entropy(model(images[batch]), labels[batch])
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
    step = hand_numpy_step(optimizer_name, LR[optimizer_name])

    def epoch(order):
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss = step(images[batch], labels[batch])
        return loss

    return epoch


RUNNERS = {"chainrule": run_chainrule, "pytorch": run_pytorch, "numpy": run_numpy}


class Contender:
    """One contender's training, epoch slices on request, from the same weights and orders."""

    def __init__(self, name):
        data = load_dataset("mnist", ARGS.data_dir, download=False, progress=False)
        self.name = name
        self.images = to_float(data.train_images)
        self.labels = data.train_labels.astype(np.int64)
        self.orders = epoch_orders(len(self.images), ARGS.rounds)
        self.epochs = {}

    def run(self, optimizer_name, round_index, part):
        """Train slice `part` of round `round_index`'s epoch: (wall s, CPU s, last loss)."""
        if optimizer_name not in self.epochs:
            epoch = RUNNERS[self.name](self.images, self.labels, optimizer_name,
                                       ARGS.batch_size)
            epoch(self.orders[-1][: WARMUP_STEPS * ARGS.batch_size])
            cr.optim.kernels.wait_for_compiled()
            self.epochs[optimizer_name] = epoch
        wall, cpu = time.perf_counter(), time.process_time()
        loss = self.epochs[optimizer_name](_slice(self.orders[round_index], part))
        return time.perf_counter() - wall, time.process_time() - cpu, loss


def worker(name):
    """Serve epoch slices on request: read "OPTIMIZER ROUND PART" lines, answer
    "seconds cpu loss"."""
    contender = Contender(name)
    for line in sys.stdin:
        optimizer_name, round_index, part = line.split()
        wall, cpu, loss = contender.run(optimizer_name, int(round_index), int(part))
        print(f"{wall} {cpu} {loss}", flush=True)


def _slice(order, part):
    """Slice `part` of ARGS.slices of an epoch's order, cut between mini-batches."""
    steps = -(-len(order) // ARGS.batch_size)
    start, stop = (steps * index // ARGS.slices for index in (part, part + 1))
    return order[start * ARGS.batch_size : stop * ARGS.batch_size]


def start_worker(name):
    command = [sys.executable, __file__, "--worker", name, "--threads", str(ARGS.threads),
               "--rounds", str(ARGS.rounds), "--batch-size", str(ARGS.batch_size),
               "--slices", str(ARGS.slices), "--data-dir", ARGS.data_dir]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(process, optimizer_name, round_index, part):
    """One slice of an epoch from a worker process or an in-process Contender: (wall
    seconds, CPU seconds, last loss)."""
    if isinstance(process, Contender):
        return process.run(optimizer_name, round_index, part)
    process.stdin.write(f"{optimizer_name} {round_index} {part}\n")
    process.stdin.flush()
    answer = process.stdout.readline()
    if not answer:
        raise SystemExit("a benchmark worker died; run it alone with --only to see why")
    wall, cpu, loss = answer.split()
    return float(wall), float(cpu), float(loss)


def load_line(moment):
    one, five, fifteen = os.getloadavg()
    busy = "  (busy: timings are not trustworthy)" if one > BUSY_LOAD else ""
    return f"load average at {moment}: {one:.2f} {five:.2f} {fifteen:.2f}{busy}"


def main():
    names = [name for name in RUNNERS if name in ARGS.only]
    if "pytorch" in names:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed; skipping it (pip install torch==2.13.0)")
            names.remove("pytorch")
    if ARGS.same_process and "pytorch" in names:
        names.remove("pytorch")
    optimizers = ("sgd", "adam") if ARGS.optimizer == "both" else (ARGS.optimizer,)
    turns = "epoch by epoch" if ARGS.slices == 1 else f"every 1/{ARGS.slices} epoch"
    where = "all in this process" if ARGS.same_process else "one process per contender"
    print(f"MNIST 784-512-10 ReLU, batch {ARGS.batch_size}, float32, {ARGS.threads} threads, "
          f"{ARGS.rounds} rounds, {where}, taking turns {turns}")
    start_load = load_line("start")
    print(start_load)
    if os.getloadavg()[0] > BUSY_LOAD:
        print(f"WARNING: the machine is busy (1-minute load {os.getloadavg()[0]:.2f} > "
              f"{BUSY_LOAD}); compare ratios only, or run again when it is quiet")
    workers = {name: Contender(name) if ARGS.same_process else start_worker(name)
               for name in names}
    try:
        for optimizer_name in optimizers:
            results = {name: [] for name in names}
            for round_index in range(ARGS.rounds):
                turn = names[round_index % len(names):] + names[: round_index % len(names)]
                parts = {name: [] for name in names}
                for part in range(ARGS.slices):
                    for name in turn:
                        parts[name].append(ask(workers[name], optimizer_name, round_index, part))
                        if not ARGS.same_process:
                            time.sleep(0.2)  # let the last one's spinning threads sleep
                for name, slices in parts.items():
                    results[name].append((sum(wall for wall, _, _ in slices),
                                          sum(cpu for _, cpu, _ in slices), slices[-1][2]))
            report(optimizer_name, results)
    finally:
        for process in workers.values():
            if not isinstance(process, Contender):
                process.stdin.close()
                process.wait()
    print(load_line("end"))


def report(optimizer_name, results):
    """Per-round wall seconds, medians, and the median of the per-round ratios."""
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(wall for wall, _, _ in runs)
        listing = "  ".join(f"{wall:.2f}" for wall, _, _ in runs)
        cpu = statistics.median(cpu for _, cpu, _ in runs)
        print(f"  {optimizer_name:4} {name:9}  {listing}   median {medians[name]:.2f} s "
              f"(CPU {cpu:.2f} s, loss {runs[-1][2]:.4f})")
    for other in ("pytorch", "numpy"):
        if "chainrule" in results and other in results:
            pairs = list(zip(results["chainrule"], results[other]))
            ratios = [mine[0] / theirs[0] for mine, theirs in pairs]
            cpu_ratios = [mine[1] / theirs[1] for mine, theirs in pairs]
            print(f"  {optimizer_name:4} chainrule/{other}: median of per-round ratios "
                  f"{statistics.median(ratios):.2f} (rounds: "
                  + " ".join(f"{r:.2f}" for r in ratios)
                  + f"; of CPU seconds {statistics.median(cpu_ratios):.2f})")


if __name__ == "__main__":
    if ARGS.worker:
        worker(ARGS.worker)
    else:
        main()
