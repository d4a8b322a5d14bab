"""The training loop: epochs of mini-batches, evaluation, checkpoints and exact resumption.

A checkpoint holds everything the rest of the run depends on: the weights, the optimiser's
buffers and step count, the epoch and the batch within it, the shuffling generator's state
at the start of that epoch, the dropout generator's state, the running sums of the epoch
and the metrics so far. So a run killed at any moment and resumed from its last checkpoint
ends with exactly the weights of an uninterrupted run with the same seed.

On a device (`config.device`, "cuda"), the data set is uploaded once and batches are
gathered there; the loss and accuracy come back as host numbers each step, and checkpoints
are written from host copies, so a run may resume on another device.
"""

import contextlib
import math
import time

import numpy as np

from chainrule import _backend
from chainrule._core.anomaly import all_finite
from chainrule._core.modes import detect_anomaly as anomaly_mode
from chainrule._core.tensor import raw
from chainrule.data import Batches
from chainrule.errors import (
    AnomalyError,
    CheckpointError,
    ConfigError,
    TrainingDiverged,
    reason,
)
from chainrule.nn.losses import cross_entropy, tutorial_cross_entropy
from chainrule.progress import ProgressBar, RunProgress
from chainrule.training.checkpoint import load_checkpoint, save_checkpoint
from chainrule.training.config import TrainConfig, build_model, build_optimizer, build_schedule
from chainrule.training.evaluation import evaluate
from chainrule.training.loading import checked_contents, model_arrays, restore_model
from chainrule.training.run_dir import RunDirectory, RunError
from chainrule.training.schema import (
    MAX_PARAMETERS,
    optimizer_problems,
    parameter_count,
    progress_problems,
)
from chainrule.training.splits import load_splits

MODEL_KEYS = ("sizes", "activation", "dropout", "loss", "dtype", "input_mean", "input_std",
              "classes", "train_size")
"""What a checkpoint must share with the run resuming from it."""


def train(config, run_dir, *, resume=False, progress=True, log=print, detect_anomaly=False):
    """Train the MLP `config` describes, writing the run directory; returns results.json's dict.

    With `resume=True`, continue the run in `run_dir` from its checkpoint (`config` may
    change only the fields in `config.RESUMABLE`, such as `epochs`).
    """
    trainer = Trainer(config, run_dir, progress=progress, log=log, detect_anomaly=detect_anomaly)
    return trainer.run(resume)


class Trainer:
    """One run: the data, model, optimiser, schedule, batches, and where the run stands."""

    def __init__(self, config, run_dir, *, progress=True, log=print, detect_anomaly=False):
        _backend.device_backend(config.device)  # DeviceError before anything is touched
        self.config = config
        self.run_dir = RunDirectory(run_dir)
        self.progress = progress
        self.log = log
        self.detect_anomaly = detect_anomaly
        self.epoch = 0
        self.batch = 0
        self.metrics = []
        self.totals = _fresh_totals()
        self.saved_at = None
        self.saved_step = 0
        self.fresh = False

    def run(self, resume=False):
        """Claim the run directory, train, release it; a new run that fails before its first
        checkpoint leaves nothing behind."""
        self.run_dir.claim()
        try:
            results = self._run(resume)
        except BaseException:
            self.run_dir.release(
                discard=self.fresh and not self.run_dir.checkpoint_path.exists())
            raise
        self.run_dir.release()
        return results

    def _run(self, resume):
        config = self.config
        checkpoint = self._resumable_checkpoint() if resume else None
        if not resume:
            self.run_dir.check_new()
            self.fresh = True  # everything in the folder from now on is this run's
        self.data = load_splits(config.dataset, config.data_dir, config.download,
                                config.val_fraction, config.seed, config.dtype, self.progress)
        self.run_config = self._run_config()
        self.data = self.data.to(config.device)
        model_seed, shuffle_seed = np.random.SeedSequence(config.seed).spawn(2)
        self.model_rng = np.random.default_rng(model_seed)
        self.model = build_model(self.run_config, self.model_rng, config.device)
        self.optimizer = build_optimizer(config, self.model.parameters())
        self.batches = Batches(self.data.train_x, self.data.train_y, config.batch_size,
                               rng=np.random.default_rng(shuffle_seed))
        self.schedule = build_schedule(config, len(self.batches))
        self.loss_fn = tutorial_cross_entropy if config.loss == "tutorial" else cross_entropy
        if checkpoint is not None:
            self._restore(checkpoint)
        with self._writing(self.run_dir.config_path):
            self.run_dir.write_config(self.run_config)
            if checkpoint is None:
                self.run_dir.write_metrics([])
        if self.epoch >= config.epochs:
            self.log(f"{self.run_dir.path}: already trained for {self.epoch} epochs")
        self.run_progress = RunProgress(
            (config.epochs - self.epoch) * len(self.data.train_x) - self.totals["seen"])
        for epoch in range(self.epoch, config.epochs):
            self._train_epoch(epoch)
            self._finish_epoch(epoch)
        return self._finish_run()

    def _resumable_checkpoint(self):
        stored = TrainConfig.from_dict(self.run_dir.read_config())
        differences = self.config.differences(stored)
        if differences:
            changes = ", ".join(f"{name} {getattr(stored, name)!r} -> "
                                f"{getattr(self.config, name)!r}" for name in differences)
            raise RunError(f"{self.run_dir.path}: a resumed run cannot change {changes}")
        if not self.run_dir.checkpoint_path.exists():
            self.log(f"{self.run_dir.path}: no checkpoint was written yet; starting over")
            return None
        file = self.run_dir.checkpoint_path
        checkpoint = load_checkpoint(file, expected=model_arrays)
        for key in ("optimizer", "progress", "metrics"):
            if key not in checkpoint:
                raise CheckpointError(f"{file}: has no {key} state, so the run cannot be "
                                      "resumed from it")
        found = (progress_problems(checkpoint["progress"], checkpoint["metrics"])
                 + optimizer_problems(checkpoint["optimizer"]))
        if found:
            raise CheckpointError(f"{file}: {'; '.join(found)}")
        done = checkpoint["progress"]["epoch"]
        if done > self.config.epochs:
            raise RunError(f"{self.run_dir.path}: has trained {done} epochs; --epochs "
                           f"{self.config.epochs} cannot shrink it (give {done} or more)")
        return checkpoint

    def _run_config(self):
        data = self.data
        sizes = [int(np.prod(data.image_shape)), *self.config.hidden, len(data.classes)]
        if parameter_count(sizes) > MAX_PARAMETERS:
            raise ConfigError(f"an MLP {'-'.join(map(str, sizes))} has "
                              f"{parameter_count(sizes):,} weights, over the limit of "
                              f"{MAX_PARAMETERS:,}")
        mean, std = 0.0, 1.0
        if self.config.standardize:
            mean, std = data.train_statistics()
        return {**self.config.to_dict(), "sizes": sizes, "input_mean": mean,
                "input_std": std or 1.0, "classes": list(data.classes),
                "image_shape": list(data.image_shape), "train_size": len(data.train_x),
                "val_size": len(data.val_x), "test_size": len(data.test_x)}

    def _restore(self, checkpoint):
        file = self.run_dir.checkpoint_path
        stored_config, state = checked_contents(checkpoint, file)
        differences = [f"{key} {stored_config.get(key)!r}, not {self.run_config[key]!r}"
                       for key in MODEL_KEYS if stored_config.get(key) != self.run_config[key]]
        if differences:
            raise CheckpointError(f"{file}: is for another model or data set than this run's: "
                                  + "; ".join(differences))
        restore_model(self.model, state, file)
        try:
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            position = checkpoint["progress"]
            self.epoch, self.batch = int(position["epoch"]), int(position["batch"])
            self.batches.rng.bit_generator.state = position["shuffle_state"]
            self.model_rng.bit_generator.state = position["model_rng_state"]
            self.totals = dict(position["totals"])
            self.metrics = list(checkpoint["metrics"])
        except CheckpointError as exc:
            raise CheckpointError(f"{file}: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{file}: its training state is damaged ({exc!r})") from None
        if not 0 <= self.batch < len(self.batches):
            raise CheckpointError(f"{file}: batch {self.batch} is outside the epoch's "
                                  f"{len(self.batches)} batches")
        self.saved_at, self.saved_step = (self.epoch, self.batch), self.optimizer.steps
        with self._writing(self.run_dir.metrics_path):
            self.run_dir.write_metrics(self.metrics)
        self.log(f"resuming {self.run_dir.path} from {_position(self.epoch, self.batch)} "
                 f"(step {self.optimizer.steps})")

    def _train_epoch(self, epoch):
        config = self.config
        batches = self.batches.iter_epoch(start_batch=self.batch)
        self.epoch_start_state = self.batches.epoch_start_state
        remaining = len(self.data.train_x) - self.totals["seen"]
        description = f"epoch {epoch + 1}/{config.epochs}" + (" (resumed)" if self.batch else "")
        self.model.train()
        started = time.perf_counter()
        with ProgressBar(total=remaining, desc=description, unit="img",
                         disable=not self.progress, final_line=False,
                         run=self.run_progress) as bar:
            for images, labels in batches:
                loss, correct = self._step(images, labels, epoch)
                self.totals["loss_sum"] += loss * len(labels)
                self.totals["correct"] += correct
                self.totals["seen"] += len(labels)
                self.batch += 1
                bar.update(len(labels))
                bar.set_postfix(loss=self.totals["loss_sum"] / self.totals["seen"],
                                acc=self.totals["correct"] / self.totals["seen"])
                every = config.checkpoint_every
                if every and self.optimizer.steps % every == 0 and self.batch < len(self.batches):
                    self.totals["seconds"] += time.perf_counter() - started
                    started = time.perf_counter()
                    self._save(self.epoch_start_state)
        self.totals["seconds"] += time.perf_counter() - started

    def _step(self, images, labels, epoch):
        """One optimiser step on a batch; returns (loss, number classified correctly)."""
        self.optimizer.lr = self.schedule(self.optimizer.steps)
        checks = anomaly_mode() if self.detect_anomaly else contextlib.nullcontext()
        # Overflow shows up as a non-finite loss, reported below with a diagnosis.
        try:
            with checks, _backend.errstate(images, over="ignore", invalid="ignore",
                                           divide="ignore"):
                scores = self.model(images)
                loss = self.loss_fn(scores, labels, label_smoothing=self.config.label_smoothing)
                value = float(raw(loss))
                if not math.isfinite(value):
                    raise TrainingDiverged(self._divergence(f"the loss is {value}", epoch))
                self.optimizer.zero_grad()
                loss.backward()
        except AnomalyError as exc:
            raise AnomalyError(f"epoch {epoch + 1}, batch {self.batch + 1} (step "
                               f"{self.optimizer.steps + 1}): {exc}") from None
        self.optimizer.step()
        xp = _backend.array_module(labels)
        return value, int(xp.count_nonzero(raw(scores).argmax(axis=-1) == labels))

    def _finish_epoch(self, epoch):
        data, totals = self.data, self.totals
        validation = evaluate(self.model, data.val_x, data.val_y)
        test = evaluate(self.model, data.test_x, data.test_y)
        row = {
            "epoch": epoch + 1, "steps": self.optimizer.steps,
            "train_loss": totals["loss_sum"] / totals["seen"],
            "train_accuracy": totals["correct"] / totals["seen"],
            "val_loss": validation["loss"], "val_accuracy": validation["accuracy"],
            "test_loss": test["loss"], "test_accuracy": test["accuracy"],
            "lr": self.optimizer.lr, "seconds": totals["seconds"],
            "samples_per_second": totals["seen"] / max(totals["seconds"], 1e-9),
        }
        self.metrics.append(row)
        self.epoch, self.batch, self.totals = epoch + 1, 0, _fresh_totals()
        self._save(self.batches.rng.bit_generator.state)
        with self._writing(self.run_dir.metrics_path):
            self.run_dir.write_metrics(self.metrics)
        eta = self.run_progress.eta() if self.epoch < self.config.epochs else ""
        self.log(_summary(row, self.config.epochs) + (f"  {eta}" if eta else ""))

    def _save(self, shuffle_state):
        """Write the checkpoint; refuse (keeping the last good one) if a weight is not finite."""
        if not all(all_finite(p) for p in self.model.parameters()):
            raise TrainingDiverged(self._divergence("a weight is NaN or infinite", self.epoch))
        if not all(all_finite(buffer) for buffers in self.optimizer.buffers.values()
                   for buffer in buffers):
            raise TrainingDiverged(self._divergence("an optimiser buffer is NaN or infinite",
                                                    self.epoch))
        with self._writing(self.run_dir.checkpoint_path):
            self._write_checkpoint(shuffle_state)
        self.saved_at = (self.epoch, self.batch)
        self.saved_step = self.optimizer.steps

    @contextlib.contextmanager
    def _writing(self, file):
        """Turn a failed write (disk full, file too large) into one line naming the file
        and the checkpoint that is kept."""
        try:
            yield
        except OSError as exc:
            kept = ("no checkpoint had been written yet" if self.saved_at is None else
                    f"the last checkpoint, {self.run_dir.checkpoint_path}, is kept (it holds "
                    f"{_position(*self.saved_at)}, step {self.saved_step})")
            raise RunError(f"{file}: cannot be written: {reason(exc)}; {kept}") from None

    def _write_checkpoint(self, shuffle_state):
        save_checkpoint(self.run_dir.checkpoint_path, {
            "config": self.run_config,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "progress": {"epoch": self.epoch, "batch": self.batch,
                         "shuffle_state": shuffle_state,
                         "model_rng_state": self.model_rng.bit_generator.state,
                         "totals": self.totals},
            "metrics": self.metrics,
        })

    def _divergence(self, what, epoch):
        if self.saved_at is None:
            kept = "no checkpoint had been written yet"
        else:
            kept = (f"the last good checkpoint, {self.run_dir.checkpoint_path} (from "
                    f"{_position(*self.saved_at)}), is kept")
        return (f"training stopped: {what} at epoch {epoch + 1}, batch {self.batch + 1} "
                f"(step {self.optimizer.steps + 1}, lr {self.optimizer.lr:g}); {kept}. Try a "
                "smaller --lr; --detect-anomaly names the op that made the first NaN/inf")

    def _finish_run(self):
        last = self.metrics[-1] if self.metrics else {}
        results = {
            "epochs": self.epoch, "steps": self.optimizer.steps,
            "test_accuracy": last.get("test_accuracy"), "test_loss": last.get("test_loss"),
            "val_accuracy": last.get("val_accuracy"),
            "seconds": sum(row["seconds"] for row in self.metrics),
            "checkpoint": str(self.run_dir.checkpoint_path),
        }
        with self._writing(self.run_dir.results_path):
            self.run_dir.write_results(results)
        return results


def _position(epoch, batch):
    """Where a run stands, in words: `epoch` epochs done and `batch` batches into the next."""
    if batch:
        return f"epoch {epoch + 1}, batch {batch}"
    return f"the end of epoch {epoch}" if epoch else "the start"


def _fresh_totals():
    return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}


def _percent(value):
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _summary(row, epochs):
    """One line per epoch: train loss/accuracy, validation and test accuracy, speed."""
    val = "" if row["val_accuracy"] is None else \
        f"  val loss {row['val_loss']:.4f} acc {_percent(row['val_accuracy'])}"
    return (f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}  train loss "
            f"{row['train_loss']:.4f} acc {_percent(row['train_accuracy'])}{val}  test acc "
            f"{_percent(row['test_accuracy'])}  {row['seconds']:.1f}s "
            f"{row['samples_per_second']:,.0f} img/s")


__all__ = ["Trainer", "TrainingDiverged", "train"]
