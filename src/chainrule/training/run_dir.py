"""The run directory: config.json, metrics.jsonl, checkpoint.npz and results.json."""

import contextlib
import fcntl
import os
from pathlib import Path

from chainrule._reading import open_regular
from chainrule.errors import RunError
from chainrule.training.files import write_json, write_jsonl
from chainrule.training.schema import MAX_JSON_BYTES, config_problems, parse_json


class RunDirectory:
    """The files of one training run, all written atomically.

    config.json   the TrainConfig plus what the data fixed (sizes, classes, image shape)
    metrics.jsonl one JSON object per finished epoch
    checkpoint.npz the latest checkpoint (model, optimiser, position, generators, metrics)
    results.json  the final test accuracy and loss, written when the run finishes
    .lock         held (flock) by the one process training the run, removed when it ends
    """

    CONFIG = "config.json"
    METRICS = "metrics.jsonl"
    CHECKPOINT = "checkpoint.npz"
    RESULTS = "results.json"
    LOCK = ".lock"

    def __init__(self, path):
        self.path = Path(path)
        self._lock = None
        self._created = False

    config_path = property(lambda self: self.path / self.CONFIG)
    metrics_path = property(lambda self: self.path / self.METRICS)
    checkpoint_path = property(lambda self: self.path / self.CHECKPOINT)
    results_path = property(lambda self: self.path / self.RESULTS)

    def claim(self):
        """Hold the run's lock file for this process, creating the folder if needed.

        A second process training (or resuming) the same run fails here at once, so two
        trainings can never write one run directory. Stale temporary files of this run,
        left by a killed write, are removed once the lock is held.
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path} is a file, not a run directory")
        self._created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path / self.LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                 0o666)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot be used as a run directory: {exc}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(descriptor).st_ino != os.stat(self.path / self.LOCK).st_ino:
                raise BlockingIOError  # the holder removed it as we opened it
        except OSError:
            os.close(descriptor)
            raise RunError(f"{self.path}: another chainrule process is training this run "
                           f"(it holds {self.path / self.LOCK}); wait for it to finish or "
                           "choose another --out") from None
        self._lock = descriptor
        for name in (self.CONFIG, self.METRICS, self.CHECKPOINT, self.RESULTS):
            for stale in self.path.glob(f".{name}.*.tmp"):
                with contextlib.suppress(OSError):
                    stale.unlink()

    def release(self, discard=False):
        """Give up the lock; with `discard`, also remove what this run wrote (a run that
        ended before its first checkpoint), and the folder if this process created it."""
        if self._lock is None:
            return
        if discard:
            for name in (self.CONFIG, self.METRICS):
                with contextlib.suppress(OSError):
                    (self.path / name).unlink()
        with contextlib.suppress(OSError):
            (self.path / self.LOCK).unlink()
        os.close(self._lock)
        self._lock = None
        if self._created:  # only if empty: a folder made for a run that wrote nothing
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def check_new(self):
        """Refuse a folder that already holds a run, so nothing in it can be overwritten."""
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path} is a file, not a run directory")
        present = [name for name in (self.CONFIG, self.METRICS, self.CHECKPOINT, self.RESULTS)
                   if (self.path / name).exists()]
        if present:
            raise RunError(f"{self.path} already holds a run ({', '.join(present)}); continue "
                           "it with --resume or choose another --out")

    def read_config(self):
        """The run's config.json as a dict; RunError if there is no run to resume."""
        if not self.config_path.exists():
            raise RunError(f"{self.path} holds no run to resume ({self.CONFIG} not found)")
        with open_regular(self.config_path, RunError, "run config") as stream:
            text = stream.read(MAX_JSON_BYTES + 1)
        try:
            config = parse_json(text)
        except ValueError as exc:
            raise RunError(f"{self.config_path}: not readable JSON: {exc}") from None
        found = config_problems(config)
        if found:
            raise RunError(f"{self.config_path}: {'; '.join(found)}")
        return config

    def write_config(self, config):
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.config_path, config)

    def write_metrics(self, rows):
        write_jsonl(self.metrics_path, rows)

    def write_results(self, results):
        write_json(self.results_path, results)
