"""The flagship job on the real MNIST files: 784-512-10, ReLU, Adam (lr 1e-3, cosine decay),
batch 128, float32. Two epochs must reach 97.0% test accuracy and ten 98.0% (about 15 s
on a quiet 2-core machine)."""

import pytest

from chainrule.training import TrainConfig, load_model, train
from conftest import MNIST_DIR, requires_mnist

MNIST = MNIST_DIR
pytestmark = pytest.mark.slow


def test_two_epochs_on_mnist_reach_97_percent_test_accuracy(mnist_run):
    run_dir, results = mnist_run  # trained with TrainConfig's defaults, as below
    config = TrainConfig(dataset="mnist", data_dir=str(MNIST), download=False, epochs=2)
    assert (config.hidden, config.activation, config.optimizer, config.lr,
            config.batch_size, config.dtype) == ([512], "relu", "adam", 1e-3, 128, "float32")
    assert results["test_accuracy"] >= 0.970
    model, run_config = load_model(run_dir)
    assert model.sizes == (784, 512, 10) and run_config["train_size"] == 54000


@requires_mnist
def test_ten_epochs_on_mnist_reach_98_percent_test_accuracy(tmp_path):
    config = TrainConfig(dataset="mnist", data_dir=str(MNIST), download=False, epochs=10)
    results = train(config, tmp_path, progress=False, log=lambda _: None)
    assert results["test_accuracy"] >= 0.980
