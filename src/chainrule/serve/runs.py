"""Run directories under the runs root: found, confined to the root, and followed as they grow.

A run is named by its path relative to the root (`mnist`, `sweep/lr-0.01`). Names are
plain relative paths: no `..`, no absolute paths, nothing that resolves (through a symlink)
outside the root.
"""

import json
import re
from pathlib import Path

from chainrule.training.run_dir import RunDirectory

from .errors import NotFound, PathRefused

MAX_DEPTH = 3
"""How deep under the root runs are looked for."""
MAX_METRICS_BYTES = 16 * 2**20
"""A metrics.jsonl larger than this is not read (a run writes a few hundred bytes an epoch)."""
NAME = re.compile(r"[A-Za-z0-9._\- ]+(/[A-Za-z0-9._\- ]+)*")


class RunsRoot:
    """The folder whose runs the page may open; nothing outside it is ever read."""

    def __init__(self, root):
        self.root = Path(root).resolve()

    def runs(self):
        """Names of the run directories under the root, newest checkpoint or metrics first."""
        if not self.root.is_dir():
            return []
        found = []
        for depth in range(1, MAX_DEPTH + 1):
            for folder in self.root.glob("/".join(["*"] * depth)):
                if folder.is_dir() and _is_run(folder) and self._inside(folder):
                    found.append((_last_written(folder), folder.relative_to(self.root)))
        return [name.as_posix() for _, name in sorted(found, reverse=True)]

    def newest_checkpoint(self):
        """The run directory under the root with the newest checkpoint, or None."""
        runs = [self.root / name for name in self.runs()]
        with_checkpoint = [run for run in runs if (run / RunDirectory.CHECKPOINT).is_file()]
        if not with_checkpoint:
            return None
        return max(with_checkpoint, key=lambda run: (run / RunDirectory.CHECKPOINT).stat()
                   .st_mtime_ns)

    def name_of(self, path):
        """The run name of `path` if it lies under the root, else None."""
        resolved = Path(path).resolve()
        return resolved.relative_to(self.root).as_posix() if self._inside(resolved) else None

    def run(self, name):
        """The run directory called `name`; PathRefused outside the root, NotFound if absent."""
        if not isinstance(name, str) or len(name) > 255 or not NAME.fullmatch(name):
            raise PathRefused(f"run {name!r}: a run is named by a relative path of letters, "
                              "digits, '.', '_', '-' and '/'"[:300])
        if any(part in (".", "..") for part in name.split("/")):
            raise PathRefused(f"run {name!r}: '.' and '..' are not allowed in run names")
        folder = (self.root / name).resolve()
        if not self._inside(folder):
            raise PathRefused(f"run {name!r} lies outside the runs root")
        if not folder.is_dir() or not _is_run(folder):
            raise NotFound(f"run {name!r}: no run directory of that name under the runs root")
        return folder

    def _inside(self, path):
        return path.resolve().is_relative_to(self.root)


def _is_run(folder):
    return any((folder / name).is_file()
               for name in (RunDirectory.METRICS, RunDirectory.CONFIG, RunDirectory.CHECKPOINT))


def _last_written(folder):
    times = [(folder / name).stat().st_mtime_ns
             for name in (RunDirectory.METRICS, RunDirectory.CONFIG, RunDirectory.CHECKPOINT)
             if (folder / name).is_file()]
    return max(times, default=0)


def read_metrics(folder):
    """The run's metrics rows (dicts), skipping a last line still being written; and its
    results.json (or None) once the run has finished."""
    metrics = folder / RunDirectory.METRICS
    rows = []
    if metrics.is_file() and metrics.stat().st_size <= MAX_METRICS_BYTES:
        for line in metrics.read_text(errors="replace").splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows, _read_json(folder / RunDirectory.RESULTS)


def _read_json(path):
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def signature(folder):
    """Changes whenever metrics.jsonl or results.json is rewritten (atomic renames included)."""
    marks = []
    for name in (RunDirectory.METRICS, RunDirectory.RESULTS):
        try:
            stat = (folder / name).stat()
        except OSError:
            marks.append(None)
        else:
            marks.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(marks)
