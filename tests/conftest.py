"""Shared test settings: hypothesis profiles sized for a 2-core CI machine."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def mnist_dir():
    """Where the real MNIST files are: $CHAINRULE_DATA, else ../shared/data/mnist."""
    env = os.environ.get("CHAINRULE_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
