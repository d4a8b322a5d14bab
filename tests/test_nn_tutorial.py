"""The tutorial's formulation (softmax layer, cost gradient -1/y_r) gives the fused gradients."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.data import load_dataset, to_float
from chainrule.nn import functional as F
from conftest import mnist_dir

MNIST = mnist_dir()


def _gradients(model, loss_fn, images, labels):
    for parameter in model.parameters():
        parameter.grad = None
    loss_fn(model(images), labels).backward()
    return {name: p.grad for name, p in model.named_parameters()}


@pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte.gz").exists(),
                    reason=f"real MNIST not found in {MNIST}")
def test_tutorial_loss_gradients_equal_the_fused_ones_on_real_mnist_in_float64():
    data = load_dataset("mnist", MNIST, download=False, progress=False)
    images = to_float(data.test_images[:256]).astype(np.float64)
    labels = data.test_labels[:256].astype(np.intp)
    fused_model = nn.MLP(rng=np.random.default_rng(0), dtype=np.float64)
    tutorial_model = nn.MLP(rng=np.random.default_rng(1), dtype=np.float64, output="softmax")
    tutorial_model.load_state_dict(fused_model.state_dict())
    fused = _gradients(fused_model, F.cross_entropy, images, labels)
    tutorial = _gradients(tutorial_model, F.tutorial_cross_entropy, images, labels)
    assert list(tutorial) == list(fused)
    for name, gradient in fused.items():
        np.testing.assert_allclose(tutorial[name], gradient, rtol=0, atol=1e-10, err_msg=name)
        assert np.abs(gradient).max() > 1e-4
