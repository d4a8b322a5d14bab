"""A small progress bar in the manner of tqdm, with no dependencies.

On a terminal it redraws one line in place (with `\\r`, at most `max_rate` times a second);
on anything else (a log file, CI) it stays quiet until `close()` and then prints one final
line (or nothing, with `final_line=False`, for callers that log their own line), so logs
hold a summary instead of thousands of redraws. A `RunProgress` shared by several bars (one
per epoch) adds the whole run's ETA to each.

    with ProgressBar(total=60000, desc="epoch 1", unit="img") as bar:
        for x, y in batches:
            ...
            bar.update(len(x))
            bar.set_postfix(loss=loss, acc=acc)
"""

import math
import numbers
import sys
import time

_BAR_WIDTH = 24
_BYTE_PREFIXES = ("", "k", "M", "G", "T")


class RunProgress:
    """Units done across a whole run of several bars; its ETA counts the time between bars
    (evaluation, checkpoints) too, since it divides the run's elapsed time by its units."""

    def __init__(self, total, clock=time.monotonic):
        self.total = total
        self.done = 0
        self._clock = clock
        self._start = clock()

    def update(self, n):
        """Count `n` more units done."""
        self.done += n

    def remaining_seconds(self, now=None):
        """The estimated seconds left in the run, or None before any unit is done."""
        elapsed = (self._clock() if now is None else now) - self._start
        if self.done <= 0 or elapsed <= 0:
            return None
        return elapsed / self.done * max(self.total - self.done, 0)

    def eta(self, now=None):
        """`run ETA mm:ss`, or "" before there is anything to estimate from."""
        seconds = self.remaining_seconds(now)
        return "" if seconds is None else f"run ETA {_format_time(seconds)}"


class ProgressBar:
    """Progress towards `total` units (or an open-ended count when `total` is None).

    `disable=True` prints nothing at all; the default (None) prints unless `file` is None
    (as `sys.stderr` is under pythonw). `final_line=False` prints nothing off a terminal.
    `run`, a RunProgress, is advanced by `update` and its ETA shown. `clock` is injectable
    for tests.
    """

    def __init__(
        self,
        total=None,
        desc="",
        unit="it",
        file=None,
        disable=None,
        max_rate=10.0,
        clock=time.monotonic,
        final_line=True,
        run=None,
    ):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.file = sys.stderr if file is None else file
        self.disable = self.file is None if disable is None else disable
        self.count = 0
        self.postfix = {}
        self._clock = clock
        self._min_interval = 1.0 / max_rate
        self._start = clock()
        self._last_draw = None
        self._last_width = 0
        self._closed = False
        self._live = not self.disable and _is_terminal(self.file)
        self._final_line = final_line
        self.run = run

    def update(self, n=1):
        """Count `n` more units done; redraw if the line is live and due."""
        self.count += n
        if self.run is not None:
            self.run.update(n)
        if self._live:
            now = self._clock()
            if self._last_draw is None or now - self._last_draw >= self._min_interval:
                self._draw(now)

    def set_postfix(self, **values):
        """Show `name=value` pairs after the bar (floats to 4 significant digits)."""
        self.postfix = values

    def close(self):
        """Draw the final state and end the line (the only output when not a terminal)."""
        if self._closed:
            return
        self._closed = True
        if self._live or (not self.disable and self._final_line):
            self._draw(self._clock())
            self.file.write("\n")
            self.file.flush()

    def line(self, now=None):
        """The text of the bar as it stands: description, bar, counts, time, rate, postfix."""
        elapsed = max((self._clock() if now is None else now) - self._start, 0.0)
        rate = self.count / elapsed if elapsed > 0 else None
        parts = [f"{self.desc}: " if self.desc else ""]
        timing = _format_time(elapsed)
        if self.total:
            fraction = min(self.count / self.total, 1.0)
            filled = round(fraction * _BAR_WIDTH)
            parts.append(
                f"{fraction:4.0%}|{'#' * filled}{' ' * (_BAR_WIDTH - filled)}| "
                f"{self._amount(self.count)}/{self._amount(self.total)}"
            )
            if rate:
                timing += f"<{_format_time(max(self.total - self.count, 0) / rate)}"
        else:
            parts.append(self._amount(self.count))
        rate_text = f"{self._amount(rate)}/s" if rate else f"?{self.unit}/s"
        extras = [rate_text] + [f"{k}={_format_value(v)}" for k, v in self.postfix.items()]
        if self.run is not None and self.run.eta(now):
            extras.insert(0, self.run.eta(now))
        parts.append(f" [{timing}, {', '.join(extras)}]")
        return "".join(parts)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _amount(self, value):
        """`value` units as text: bytes in powers of 1000 (kB, MB, ...), other units as counted."""
        if self.unit == "B" and value >= 1000:
            power = min(int(math.log10(value)) // 3, len(_BYTE_PREFIXES) - 1)
            return f"{value / 1000**power:.1f}{_BYTE_PREFIXES[power]}B"
        return f"{value}{self.unit}" if isinstance(value, int) else f"{value:.1f}{self.unit}"

    def _draw(self, now):
        text = self.line(now)
        if self._live:
            padding = " " * max(self._last_width - len(text), 0)
            self.file.write(f"\r{text}{padding}")
        else:
            self.file.write(text)
        self.file.flush()
        self._last_draw = now
        self._last_width = len(text)


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _format_time(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def _format_value(value):
    """Integers as they are, other numbers (NumPy scalars included) to 4 significant digits."""
    if isinstance(value, numbers.Integral):
        return str(value)
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)
