"""Per-op overhead: forward + backward of a chain of 100 elementwise ops on 10 floats.

Prints microseconds per op for chainrule, PyTorch eager (if installed) and a bare NumPy
forward op, the ratio chainrule / PyTorch, and what `import chainrule` adds to NumPy's
own import time. Run: python benchmarks/bench_overhead.py
"""

import statistics
import subprocess
import sys
import time

import numpy as np

import chainrule as cr

CHAIN = 100
REPEATS = 7


def chainrule_step(x0):
    x = cr.Tensor(x0, requires_grad=True)
    y = x
    for _ in range(CHAIN // 4):
        y = cr.tanh(cr.sin(y * 1.001 + 0.001))
    y.sum().backward()
    return x.grad


def numpy_forward(x0):
    y = x0
    for _ in range(CHAIN // 4):
        y = np.tanh(np.sin(y * 1.001 + 0.001))
    return y


def torch_step_factory():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def torch_step(x0):
        x = torch.tensor(x0, requires_grad=True)
        y = x
        for _ in range(CHAIN // 4):
            y = torch.tanh(torch.sin(y * 1.001 + 0.001))
        y.sum().backward()
        return x.grad

    return torch_step


def microseconds_per_op(step, x0, loops=200):
    """Median over repeats of the time per op (CHAIN ops + the final sum)."""
    for _ in range(20):
        step(x0)
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(loops):
            step(x0)
        samples.append((time.perf_counter() - start) / loops / (CHAIN + 1) * 1e6)
    return statistics.median(samples)


def import_seconds(statement):
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs)


def main():
    x0 = np.linspace(0.1, 1.0, 10, dtype=np.float32)
    ours = microseconds_per_op(chainrule_step, x0)
    bare = microseconds_per_op(numpy_forward, x0)
    print(f"chainrule forward+backward : {ours:6.2f} us/op")
    print(f"bare NumPy forward only    : {bare:6.2f} us/op")
    torch_step = torch_step_factory()
    if torch_step is None:
        print("PyTorch is not installed: no ratio (pip install torch==2.13.0 to compare)")
    else:
        theirs = microseconds_per_op(torch_step, x0)
        print(f"PyTorch eager fwd+bwd      : {theirs:6.2f} us/op")
        print(f"ratio chainrule / PyTorch  : {ours / theirs:6.2f}")
    numpy_import = import_seconds("import numpy")
    both = import_seconds("import numpy, chainrule")
    print(f"import numpy               : {numpy_import * 1000:6.1f} ms")
    print(f"import numpy, chainrule    : {both * 1000:6.1f} ms "
          f"(chainrule adds {(both - numpy_import) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
