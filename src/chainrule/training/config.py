"""TrainConfig: every choice that defines a training run, and the model, optimiser and
schedule built from it."""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from chainrule import nn, optim
from chainrule.errors import ConfigError
from chainrule.training.schema import MAX_PARAMETERS, config_problems, parameter_count

ACTIVATIONS = ("relu", "sigmoid", "tanh")
LOSSES = ("fused", "tutorial")
OPTIMIZERS = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD}
DEFAULT_LR = {"adam": 1e-3, "adamw": 1e-3, "sgd": 0.1}
SCHEDULES = ("constant", "step", "cosine")
DTYPES = ("float32", "float64")

RESUMABLE = ("epochs", "checkpoint_every", "data_dir", "download", "device")
"""Fields a resumed run may change; any other difference makes it a different run (the
weights come back from a host checkpoint, so a run may go on on another device)."""


@dataclass
class TrainConfig:
    """The options of `chainrule train`; saved (with the data's shapes) as config.json."""

    dataset: str = "mnist"
    data_dir: str | None = None
    download: bool = True
    hidden: list = field(default_factory=lambda: [512])
    activation: str = "relu"
    dropout: float = 0.0
    loss: str = "fused"
    label_smoothing: float = 0.0
    dtype: str = "float32"
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float | None = None
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "cosine"
    step_epochs: int = 5
    gamma: float = 0.1
    warmup_steps: int = 0
    val_fraction: float = 0.1
    standardize: bool = True
    seed: int = 0
    checkpoint_every: int = 0
    device: str = "cpu"

    def __post_init__(self):
        if isinstance(self.hidden, tuple):
            self.hidden = list(self.hidden)
        if self.lr is None and isinstance(self.optimizer, str):
            self.lr = DEFAULT_LR.get(self.optimizer)
        found = config_problems(self.to_dict())
        if not found and self.nesterov and not self.momentum:
            found.append("nesterov needs momentum > 0")
        if not found and parameter_count([1, *self.hidden, 1]) > MAX_PARAMETERS:
            found.append(f"hidden {self.hidden} needs over {MAX_PARAMETERS:,} weights")
        if found:
            raise ConfigError("; ".join(found))

    @classmethod
    def from_dict(cls, values):
        """The config from a dict (config.json), ignoring the derived keys it also holds."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})

    def to_dict(self):
        return dataclasses.asdict(self)

    def differences(self, other):
        """Names of the fields that differ from `other` and that a resumed run cannot change."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [name for name in mine if name not in RESUMABLE and mine[name] != theirs[name]]


def build_model(run_config, rng=None, device="cpu"):
    """The MLP a run config describes (`sizes`, activation, dropout, dtype, loss and the
    training pixels' mean and standard deviation, `input_mean` and `input_std`), on `device`."""
    return nn.MLP(
        run_config["sizes"],
        activation=run_config["activation"],
        dropout=run_config["dropout"],
        rng=rng,
        dtype=np.dtype(run_config["dtype"]),
        output="softmax" if run_config["loss"] == "tutorial" else "logits",
        input_mean=run_config.get("input_mean", 0.0),
        input_std=run_config.get("input_std", 1.0),
        device=device,
    )


def build_optimizer(config, parameters):
    """The optimiser `config` names, with its learning rate and weight decay."""
    if config.optimizer == "sgd":
        return optim.SGD(parameters, lr=config.lr, momentum=config.momentum,
                         nesterov=config.nesterov, weight_decay=config.weight_decay)
    return OPTIMIZERS[config.optimizer](parameters, lr=config.lr,
                                        weight_decay=config.weight_decay)


def build_schedule(config, steps_per_epoch):
    """The learning rate as a function of the step count, warm-up included."""
    if config.schedule == "step":
        schedule = optim.StepDecay(config.lr, config.step_epochs * steps_per_epoch, config.gamma)
    elif config.schedule == "cosine":
        schedule = optim.Cosine(config.lr, config.epochs * steps_per_epoch)
    else:
        schedule = optim.Constant(config.lr)
    return optim.LinearWarmup(schedule, config.warmup_steps) if config.warmup_steps else schedule
