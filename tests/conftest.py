"""Shared test settings: hypothesis profiles sized for a 2-core CI machine (more examples
with HYPOTHESIS_PROFILE=thorough), where MNIST is, and runs trained once per session."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
MNIST_FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
MNIST_TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def mnist_dir():
    """Where the real MNIST files are: $CHAINRULE_DATA (the folder, or a parent holding
    mnist/), else ../shared/data/mnist beside the repository."""
    configured = os.environ.get("CHAINRULE_DATA")
    if not configured:
        return Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
    folder = Path(configured)
    return folder if (folder / MNIST_FILES[0]).exists() else folder / "mnist"


MNIST_DIR = mnist_dir()
requires_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / name).exists() for name in MNIST_FILES),
    reason=f"the real MNIST files are not in {MNIST_DIR}",
)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run directory: 64-32-10 trained for 2 epochs on scikit-learn's 8x8 digits."""
    pytest.importorskip("sklearn")
    from chainrule.training import TrainConfig, train

    run_dir = tmp_path_factory.mktemp("tiny") / "run"
    train(TrainConfig(dataset="digits", hidden=[32], epochs=2, batch_size=64, lr=0.01),
          run_dir, progress=False, log=lambda message: None)
    return run_dir


@pytest.fixture(scope="session")
def mnist_run(tmp_path_factory):
    """(run directory, results): the flagship 784-512-10 trained 2 epochs on real MNIST.

    Trained once per session and shared by every test that needs a real MNIST model.
    """
    if not all((MNIST_DIR / name).exists() for name in MNIST_FILES):
        pytest.skip(f"the real MNIST files are not in {MNIST_DIR}")
    from chainrule.training import TrainConfig, train

    run_dir = tmp_path_factory.mktemp("mnist") / "run"
    config = TrainConfig(dataset="mnist", data_dir=str(MNIST_DIR), download=False, epochs=2)
    results = train(config, run_dir, progress=False, log=lambda message: None)
    return run_dir, results


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An isolated world: HOME, XDG cache, $CHAINRULE_DATA and system roots all in tmp_path."""
    from chainrule.data import locate

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setattr(locate, "SYSTEM_ROOTS", [tmp_path / "system"])
    return tmp_path


@st.composite
def mutated(draw, data, edit_size):
    """`data` with bytes flipped, cut or inserted, or a size field changed by `edit_size`.

    `edit_size(draw, data, at)` rewrites, in place, a size field of the file format near
    `at` (the fuzz tests of each format know where their sizes are).
    """
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "size"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "size":
            edit_size(draw, data, at)
    return bytes(data)
