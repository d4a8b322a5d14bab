"""Peak traced memory of one training step: what the graph keeps alive until backward.

Two models, batch 128, float32: the MNIST MLP through the public API (cr.nn.MLP, fused
linear and ReLU, cross_entropy), and the same network written with plain ops
(`np.tanh(x @ w1 + b1) @ w2 + b2`, a log-softmax by hand), where every intermediate
result is a node of the graph. Run: python benchmarks/bench_memory.py
"""

import argparse
import gc
import tracemalloc

import numpy as np

import chainrule as cr
from chainrule.optim import kernels


def _mlp_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = cr.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()


def _plain_ops_loss(params, x, onehot):
    w1, b1, w2, b2, w3, b3 = params
    h = np.tanh(x @ w1 + b1)
    h = np.tanh(h @ w2 + b2)
    z = h @ w3 + b3
    z = z - np.max(z, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_p, axis=1))


def peak_of(step, repeats=5):
    """Peak traced bytes above the memory held before the step (median of repeats)."""
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        step()
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
        tracemalloc.stop()
    return sorted(peaks)[len(peaks) // 2]


def kept_by_graph(forward, repeats=5):
    """Bytes still held when the forward pass returns its loss: what the graph keeps
    (median of repeats, each after a garbage collection)."""
    kept = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        loss = forward()
        kept.append(tracemalloc.get_traced_memory()[0] - base)
        tracemalloc.stop()
        del loss
    return sorted(kept)[len(kept) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=args.batch)
    model = cr.nn.MLP([784, 512, 10])
    optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)
    _mlp_step(model, optimizer, x, labels)  # optimiser state and buffers exist before we trace
    kernels.wait_for_compiled()  # the compiled pass when numba is installed, not the fallback's
    _mlp_step(model, optimizer, x, labels)
    mlp = peak_of(lambda: _mlp_step(model, optimizer, x, labels))

    shapes = [(784, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
    params = [cr.Tensor(0.05 * rng.normal(size=s).astype(np.float32), requires_grad=True)
              for s in shapes]
    onehot = np.eye(10, dtype=np.float32)[labels]

    def plain_step():
        for p in params:
            p.grad = None
        _plain_ops_loss(params, x, onehot).backward()

    plain_step()
    plain = peak_of(plain_step)
    plain_kept = kept_by_graph(lambda: _plain_ops_loss(params, x, onehot))
    mlp_kept = kept_by_graph(lambda: cr.nn.functional.cross_entropy(model(x), labels))
    activation = args.batch * 512 * 4
    print(f"batch {args.batch}, float32; one activation (batch x 512) is "
          f"{activation / 2**20:.2f} MiB")
    print(f"cr.nn.MLP 784-512-10: graph keeps {mlp_kept / 2**20:.2f} MiB after forward; "
          f"peak of a step with Adam {mlp / 2**20:.2f} MiB")
    print(f"plain-ops 784-512-512-10 tanh net: graph keeps {plain_kept / 2**20:.2f} MiB after "
          f"forward; peak of forward+backward {plain / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
