"""The run directory: config.json, metrics.jsonl, checkpoint.npz and results.json."""

import json
from pathlib import Path

from chainrule.errors import RunError
from chainrule.training.files import write_json, write_jsonl


class RunDirectory:
    """The files of one training run, all written atomically.

    config.json   the TrainConfig plus what the data fixed (sizes, classes, image shape)
    metrics.jsonl one JSON object per finished epoch
    checkpoint.npz the latest checkpoint (model, optimiser, position, generators, metrics)
    results.json  the final test accuracy and loss, written when the run finishes
    """

    CONFIG = "config.json"
    METRICS = "metrics.jsonl"
    CHECKPOINT = "checkpoint.npz"
    RESULTS = "results.json"

    def __init__(self, path):
        self.path = Path(path)

    config_path = property(lambda self: self.path / self.CONFIG)
    metrics_path = property(lambda self: self.path / self.METRICS)
    checkpoint_path = property(lambda self: self.path / self.CHECKPOINT)
    results_path = property(lambda self: self.path / self.RESULTS)

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
        if not self.config_path.is_file():
            raise RunError(f"{self.path} holds no run to resume ({self.CONFIG} not found)")
        try:
            config = json.loads(self.config_path.read_text())
        except (OSError, ValueError) as exc:
            raise RunError(f"{self.config_path}: not readable JSON: {exc}") from None
        if not isinstance(config, dict):
            raise RunError(f"{self.config_path}: expected a JSON object")
        return config

    def write_config(self, config):
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.config_path, config)

    def write_metrics(self, rows):
        write_jsonl(self.metrics_path, rows)

    def write_results(self, results):
        write_json(self.results_path, results)
