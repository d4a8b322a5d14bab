"""A training step of this tree's chainrule against another revision's, in one process.

    python benchmarks/bench_versions.py --base HEAD~3              # SGD, 60 rounds, ~2 min
    python benchmarks/bench_versions.py --base 0be7962 --optimizer adam --hand
    python benchmarks/bench_versions.py --base HEAD~3 --workload chain   # per-op overhead
    python benchmarks/bench_versions.py --straight --hand   # the framework's cost per step

The other revision's `src/chainrule` is exported with `git archive` into a temporary
directory as the package `chainrule_base` (its imports rewritten; nothing of this tree's
caches goes with it, so its numba kernels compile afresh there). Both train the MNIST MLP
(784-512-10, batch 128, float32, 2 BLAS threads) through the public API from the same
weights on the same batches, and take turns every `--steps` steps, so a shared machine's
slow moments hit both alike. `--workload chain` times `bench_overhead.py`'s chain of 100
elementwise ops (forward and backward) instead. `--hand` adds the hand-written NumPy loop of
`bench_mnist_epoch.py` (`mnist_setup.hand_numpy_step`) as a third contender, and
`--straight` this tree's SGD step written straight: the same NumPy calls and compiled
kernels in the same order on plain arrays, with no Tensor, graph, layer or optimiser object
(what a traced or compiled step could reach with these kernels). It prints the
medians and the median of the per-round ratios with its quartiles, and stops when either
side's compiled kernels did not load (a side on NumPy's passes would make the comparison
meaningless).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare against")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--steps", type=int, default=50, help="steps per turn")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hand", action="store_true", help="add the hand-written NumPy loop")
    parser.add_argument("--straight", action="store_true",
                        help="add this tree's SGD step written straight, without the framework")
    parser.add_argument("--workload", choices=("mnist", "chain"), default="mnist",
                        help="the MNIST MLP's training step, or a chain of 100 ops")
    parser.add_argument("--data-dir", default=os.environ.get("CHAINRULE_DATA") or str(
        ROOT.parent / "shared" / "data" / "mnist"))
    return parser.parse_args()


ARGS = parse_arguments()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]
from mnist_setup import hand_numpy_step, initial_weights  # noqa: E402

IMPORTS = re.compile(r"\bchainrule(?=[.\s'\"])")


def export_base(revision, into):
    """`revision`'s src/chainrule as the package `chainrule_base` under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src/chainrule"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    package = into / "chainrule_base"
    (into / "src" / "chainrule").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(IMPORTS.sub("chainrule_base", path.read_text()))
    return package


def batches_source():
    """(images, labels): real MNIST training data when its files are there, else random."""
    from chainrule.data import load_dataset, to_float

    try:
        data = load_dataset("mnist", ARGS.data_dir, download=False, progress=False)
        return to_float(data.train_images), data.train_labels.astype(np.int64), "MNIST"
    except Exception:  # noqa: BLE001 - any unreadable data: random pixels do as well
        rng = np.random.default_rng(0)
        return (rng.random((20000, 784), dtype=np.float32), rng.integers(0, 10, 20000),
                "random pixels")


def trainer(cr, images, labels):
    """A function running a list of mini-batches through `cr`'s MLP and optimiser."""
    model = cr.nn.MLP((784, 512, 10), rng=np.random.default_rng(0))
    model.load_state_dict(dict(zip(["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                    "layers.2.bias"], initial_weights(), strict=True)))
    optimizer = (cr.optim.SGD(model.parameters(), lr=0.1) if ARGS.optimizer == "sgd"
                 else cr.optim.Adam(model.parameters(), lr=1e-3))
    loss_function = cr.nn.functional.cross_entropy

    def steps(batches):
        for batch in batches:
            loss = loss_function(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    steps.weights = lambda: [parameter.data for parameter in model.parameters()]
    return steps


def chain_runner(cr, images, labels):
    """`bench_overhead.py`'s chain of 100 elementwise ops on 10 floats, forward and
    backward, once per "batch" (the batches only count the repetitions)."""
    start = np.linspace(0, 1, 10)

    def steps(batches):
        for _ in batches:
            x = cr.Tensor(start, requires_grad=True)
            y = x
            for _ in range(25):
                y = cr.tanh(cr.sin(y * 1.001 + 0.001))
            y.sum().backward()

    return steps


def hand_trainer(images, labels):
    """The hand-written NumPy loop of `bench_mnist_epoch.py`, with the same optimiser."""
    step = hand_numpy_step(ARGS.optimizer, 0.1 if ARGS.optimizer == "sgd" else 1e-3)

    def steps(batches):
        for batch in batches:
            step(images[batch], labels[batch])

    return steps


def straight_trainer(images, labels):
    """This tree's SGD step (`--optimizer sgd`) without the framework: `linear_relu`,
    `linear`, the few-class `cross_entropy` and the flat SGD pass, their NumPy calls and
    numba kernels in the order chainrule makes them, on plain arrays. Keep it in step with
    `chainrule.nn.functional`, `chainrule.nn.losses` and `chainrule.optim.sgd`."""
    from chainrule.nn import _compiled as layers
    from chainrule.optim import _compiled as update

    weights = initial_weights()
    shapes = [weight.shape for weight in weights]
    parameters = np.concatenate([weight.reshape(-1) for weight in weights])
    gradients = np.zeros_like(parameters)
    ends = np.cumsum([0] + [int(np.prod(shape)) for shape in shapes])
    w1, b1, w2, b2 = (parameters[a:b].reshape(shape)
                      for a, b, shape in zip(ends[:-1], ends[1:], shapes, strict=True))
    g1, gb1, g2, gb2 = (gradients[a:b].reshape(shape)
                        for a, b, shape in zip(ends[:-1], ends[1:], shapes, strict=True))
    lr, zero = np.float32(0.1), np.float32(0)
    tiny = np.float32(np.finfo(np.float32).tiny)

    def steps(batches):
        for batch in batches:
            x, y = images[batch], labels[batch]
            a1 = x @ w1.T
            layers.bias_relu(a1, b1)
            logits = a1 @ w2.T
            logits += b2
            rows, classes = logits.shape
            columns = np.empty((classes, rows), np.float32)
            picked, picks = np.empty(rows, np.float32), np.empty(rows, np.int64)
            layers.shifted_columns(logits, y, columns, picked, picks)
            np.exp(columns, out=columns)
            total = np.empty(rows, np.float32)
            layers.normalised_columns(columns, total)
            losses = np.log(total, out=total)
            losses -= picked
            np.asarray(losses.sum() / losses.size)
            layers.softmax_gradient(columns, picks, np.float32(1) / rows)
            g = columns.T
            np.matmul(g.T, a1, out=g2)
            g.sum(axis=0, out=gb2)
            back = g @ w2
            masked, sums = np.empty_like(back), np.empty(back.shape[1], np.float32)
            layers.relu_backward(back, a1, masked, sums)
            np.matmul(masked.T, x, out=g1)
            np.copyto(gb1, sums)
            update.sgd(parameters, gradients, gradients, lr, zero, False, zero, False, tiny)

    steps.weights = lambda: [w1, b1, w2, b2]
    return steps


def compiled_loaded(package):
    """True when `package`'s optimiser and layer kernels (numba) serve its steps."""
    kernels = sys.modules[f"{package}.optim.kernels"]
    loader = sys.modules[f"{package}._kernels"]
    kernels.wait_for_compiled(timeout=600)
    return all(loader.loaded(name) is not None for name in kernels.TRAINING)


def main():
    images, labels, source = batches_source()
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory(prefix="chainrule-base-") as directory:
        export_base(ARGS.base, Path(directory))
        sys.path.insert(0, directory)
        import chainrule_base

        import chainrule

        make = trainer if ARGS.workload == "mnist" else chain_runner
        contenders = {"this tree": make(chainrule, images, labels),
                      f"base {ARGS.base}": make(chainrule_base, images, labels)}
        if ARGS.hand and ARGS.workload == "mnist":
            contenders["hand NumPy"] = hand_trainer(images, labels)
        if ARGS.straight and ARGS.workload == "mnist":
            if ARGS.optimizer != "sgd":
                raise SystemExit("--straight writes out the SGD step only")
            contenders["straight"] = straight_trainer(images, labels)
        warm_up = [rng.integers(0, len(images), 128) for _ in range(30)]
        for steps in contenders.values():
            steps(warm_up)
        for package in ("chainrule", "chainrule_base") if ARGS.workload == "mnist" else ():
            if not compiled_loaded(package):
                raise SystemExit(f"{package}'s compiled kernels did not load (numba missing or "
                                 "failing): the comparison would time NumPy's passes")
        for steps in contenders.values():
            steps(warm_up)
        names = list(contenders)
        seconds = {name: [] for name in names}
        workload = (f"{source}, 784-512-10, batch 128, float32, {ARGS.optimizer}"
                    if ARGS.workload == "mnist" else "a chain of 100 elementwise ops")
        print(f"{workload}, {ARGS.threads} threads, {ARGS.rounds} rounds of {ARGS.steps} "
              f"steps each; load average at start {os.getloadavg()[0]:.2f}")
        for round_index in range(ARGS.rounds):
            batches = [rng.integers(0, len(images), 128) for _ in range(ARGS.steps)]
            turn = names[round_index % len(names):] + names[: round_index % len(names)]
            for name in turn:
                start = time.perf_counter()
                contenders[name](batches)
                seconds[name].append((time.perf_counter() - start) / ARGS.steps * 1e6)
        for name in names:
            per, unit = (1, "step") if ARGS.workload == "mnist" else (101, "op")
            print(f"  {name:24s} median {statistics.median(seconds[name]) / per:8.2f} us per "
                  f"{unit}")
        first = names[0]
        for other in names[1:]:
            ratios = [a / b for a, b in zip(seconds[first], seconds[other], strict=True)]
            low, _, high = statistics.quantiles(ratios)
            print(f"  {first} / {other}: median of per-round ratios "
                  f"{statistics.median(ratios):.3f} (quartiles {low:.3f}-{high:.3f})")
        if "straight" in contenders:
            same = all(np.array_equal(a, b) for a, b in zip(
                contenders["this tree"].weights(), contenders["straight"].weights(), strict=True))
            print(f"  the straight step's weights equal this tree's, bit for bit: {same}")
        print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
