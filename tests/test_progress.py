"""The training bar: the whole run's ETA beside the epoch's, and no bar at all off a terminal."""

import io

from chainrule.progress import ProgressBar, RunProgress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_run_eta_extrapolates_the_runs_own_rate_across_epochs():
    clock = Clock()
    run = RunProgress(total=300, clock=clock)
    assert run.eta() == ""
    for epoch in range(2):
        bar = ProgressBar(total=100, desc=f"epoch {epoch + 1}/3", file=io.StringIO(),
                          clock=clock, run=run, final_line=False)
        clock.now += 10.0
        bar.update(100)
        bar.close()
        clock.now += 5.0  # evaluation between epochs counts towards the run's time
    assert run.done == 200
    assert run.remaining_seconds() == 15.0
    assert run.eta() == "run ETA 00:15"


def test_the_bar_shows_the_epochs_and_the_runs_remaining_time():
    clock = Clock()
    run = RunProgress(total=1000, clock=clock)
    bar = ProgressBar(total=100, desc="epoch 1/10", unit="img", file=io.StringIO(),
                      clock=clock, run=run)
    clock.now = 5.0
    bar.update(50)
    assert bar.line() == (
        "epoch 1/10:  50%|############            | 50img/100img "
        "[00:05<00:05, run ETA 01:35, 10.0img/s]"
    )


def test_off_a_terminal_a_bar_without_final_line_prints_nothing():
    stream, clock = io.StringIO(), Clock()
    with ProgressBar(total=100, file=stream, clock=clock, final_line=False) as bar:
        for _ in range(100):
            clock.now += 0.5
            bar.update(1)
    assert stream.getvalue() == ""


def test_on_a_terminal_a_bar_without_final_line_still_redraws_and_ends_its_line():
    stream, clock = Terminal(), Clock()
    with ProgressBar(total=10, file=stream, clock=clock, final_line=False) as bar:
        for _ in range(10):
            clock.now += 1.0
            bar.update(1)
    assert stream.getvalue().count("\r") == 11 and stream.getvalue().endswith("\n")
