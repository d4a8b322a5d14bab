"""Downloads from a real local HTTP server, and the progress bar they draw."""

import dataclasses
import hashlib
import io
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import chainrule.data.download as download
from chainrule.data import datasets
from chainrule.data.datasets import download_dataset, load_mnist
from chainrule.data.download import download_file
from chainrule.data.locate import FILES, cache_dir
from chainrule.errors import DownloadError
from chainrule.progress import ProgressBar
from data_helpers import LocalServer, Route, write_tiny_dataset

BODY = np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes()
SHA256 = hashlib.sha256(BODY).hexdigest()
NAME = "file.bin"


@pytest.fixture
def server():
    """Mirrors for NAME: good, short (a truncated file), wrong bytes, missing (404), and
    dies (the connection closes after 40,000 of the 100,000 bytes announced)."""
    with LocalServer() as local:
        local.mirrors = {
            "good": local.add(f"/good/{NAME}", Route(BODY)),
            "short": local.add(f"/short/{NAME}", Route(BODY[:60_000])),
            "wrong": local.add(f"/wrong/{NAME}", Route(bytes(reversed(BODY)))),
            "missing": f"{local.url}/missing",
            "dies": local.add(f"/dies/{NAME}", Route(BODY, send=40_000)),
        }
        yield local


def closed_port_url():
    """A URL on which nothing listens: the no-network case."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/mirror"


def test_a_good_mirror_gives_the_file_and_nothing_else(server, tmp_path):
    path = download_file(NAME, tmp_path, [server.mirrors["good"]], SHA256, progress=False)
    assert path == tmp_path / NAME and path.read_bytes() == BODY
    assert os.listdir(tmp_path) == [NAME]


def test_bad_mirrors_are_skipped_until_one_serves_the_right_bytes(server, tmp_path):
    mirrors = [server.mirrors[kind] for kind in ("missing", "wrong", "short", "dies", "good")]
    path = download_file(NAME, tmp_path, mirrors, SHA256, progress=False)
    assert path.read_bytes() == BODY
    assert os.listdir(tmp_path) == [NAME]


def test_when_every_mirror_fails_each_is_named_and_nothing_is_left(server, tmp_path):
    kinds = ("missing", "wrong", "short", "dies")
    with pytest.raises(DownloadError) as raised:
        download_file(
            NAME, tmp_path, [server.mirrors[kind] for kind in kinds], SHA256, progress=False
        )
    lines = str(raised.value).splitlines()
    assert lines[0] == f"could not download {NAME} from any mirror; tried:"
    assert [line.split(": ", 1)[0].strip() for line in lines[1:]] == [
        f"{server.mirrors[kind]}/{NAME}" for kind in kinds
    ]
    assert "404" in lines[1] and "SHA-256 mismatch" in lines[2] and "SHA-256" in lines[3]
    assert "connection closed after 40000 of 100000 bytes" in lines[4]
    assert os.listdir(tmp_path) == []


def test_a_failed_download_leaves_an_existing_file_untouched(server, tmp_path):
    (tmp_path / NAME).write_bytes(b"old")
    with pytest.raises(DownloadError):
        download_file(NAME, tmp_path, [server.mirrors["dies"]], SHA256, progress=False)
    assert (tmp_path / NAME).read_bytes() == b"old"
    assert os.listdir(tmp_path) == [NAME]


def test_an_interrupted_download_leaves_no_file_and_no_litter(server, tmp_path, monkeypatch):
    class InterruptedBar(ProgressBar):
        def update(self, n=1):
            raise KeyboardInterrupt

    monkeypatch.setattr(download, "ProgressBar", InterruptedBar)
    with pytest.raises(KeyboardInterrupt):
        download_file(NAME, tmp_path, [server.mirrors["good"]], SHA256, progress=False)
    assert os.listdir(tmp_path) == []


def test_two_processes_downloading_the_same_file_both_end_with_it_intact(tmp_path):
    both_connected = threading.Barrier(2)
    script = (
        "import sys; from chainrule.data.download import download_file; "
        "download_file(sys.argv[1], sys.argv[2], [sys.argv[3]], sys.argv[4], progress=False)"
    )
    environment = {**os.environ, "PYTHONPATH": str(Path(download.__file__).parents[2])}
    with LocalServer() as local:
        mirror = local.add(f"/slow/{NAME}", Route(BODY, pause=0.002, barrier=both_connected))
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script, NAME, str(tmp_path), mirror, SHA256],
                env=environment,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outcomes = [(worker.wait(timeout=60), worker.stderr.read()) for worker in workers]
    assert outcomes == [(0, b""), (0, b"")]
    assert not both_connected.broken  # the two downloads really overlapped
    assert (tmp_path / NAME).read_bytes() == BODY
    assert os.listdir(tmp_path) == [NAME]



def test_with_no_network_the_error_says_how_to_supply_the_files(places):
    mirrors = [closed_port_url(), "http://127.0.0.1:9/also-closed"]
    with pytest.raises(DownloadError) as raised:
        download_dataset("mnist", mirrors=mirrors, progress=False)
    message = str(raised.value)
    assert all(f"{mirror}/{FILES[0]}" in message for mirror in mirrors)
    assert all(name in message for name in FILES)
    assert str(cache_dir("mnist")) in message
    assert "--data-dir" in message and "CHAINRULE_DATA" in message


def test_with_no_network_the_error_names_every_place_searched_and_leaves_no_folder(
        places, monkeypatch):
    offline = dataclasses.replace(datasets.SOURCES["mnist"], mirrors=[closed_port_url()])
    monkeypatch.setitem(datasets.SOURCES, "mnist", offline)
    with pytest.raises(DownloadError) as raised:
        load_mnist(progress=False)
    assert str(places / "system" / "mnist") in str(raised.value)
    assert not (places / "home").exists()


def test_a_part_file_left_by_a_killed_download_is_removed_by_the_next(server, tmp_path):
    stale, fresh = tmp_path / f".{NAME}.abc123.part", tmp_path / f".{NAME}.def456.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written by a live download")
    os.utime(stale, (0, 0))
    download_file(NAME, tmp_path, [server.mirrors["good"]], SHA256, progress=False)
    assert sorted(os.listdir(tmp_path)) == sorted([NAME, fresh.name])


def test_load_mnist_downloads_into_the_user_cache_when_no_folder_has_it(places, monkeypatch):
    tiny = write_tiny_dataset(places / "served", label=8)
    with LocalServer() as local:
        hashes = {}
        for name in FILES:
            mirror = local.add(f"/mnist/{name}", Route((tiny / name).read_bytes()))
            hashes[name] = hashlib.sha256((tiny / name).read_bytes()).hexdigest()
        source = dataclasses.replace(datasets.SOURCES["mnist"], mirrors=[mirror], sha256=hashes)
        monkeypatch.setitem(datasets.SOURCES, "mnist", source)
        assert load_mnist(progress=False).train_labels.tolist() == [8, 8, 8]
    assert sorted(os.listdir(cache_dir("mnist"))) == sorted(FILES)
    assert load_mnist(download=False).train_labels.tolist() == [8, 8, 8]


def test_download_reports_progress_as_one_final_line_off_a_terminal(server, tmp_path, capsys):
    download_file(NAME, tmp_path, [server.mirrors["good"]], SHA256)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{NAME}: 100%|")
    assert "100.0kB/100.0kB" in lines[0] and "\r" not in lines[0]


# The progress bar.


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_off_a_terminal_only_a_final_line_is_printed():
    stream, clock = io.StringIO(), Clock()
    with ProgressBar(total=100, desc="epoch 1", unit="img", file=stream, clock=clock) as bar:
        for _ in range(100):
            clock.now += 0.25
            bar.update(1)
        assert stream.getvalue() == ""
    assert stream.getvalue() == (
        "epoch 1: 100%|########################| 100img/100img [00:25<00:00, 4.0img/s]\n"
    )


def test_on_a_terminal_redraws_at_most_ten_times_a_second():
    stream, clock = Terminal(), Clock()
    with ProgressBar(total=1000, file=stream, clock=clock) as bar:
        for _ in range(1000):
            clock.now += 0.002
            bar.update(1)
    redraws = stream.getvalue().count("\r")
    assert 10 <= redraws <= 2 * 10 + 1 and stream.getvalue().endswith("\n")


def test_line_shows_fraction_rate_eta_and_postfix():
    clock = Clock()
    bar = ProgressBar(total=100, desc="train", file=io.StringIO(), clock=clock)
    clock.now = 5.0
    bar.update(50)
    bar.set_postfix(loss=np.float32(0.123456), acc=0.9, step=7)
    assert bar.line() == (
        "train:  50%|############            | 50it/100it "
        "[00:05<00:05, 10.0it/s, loss=0.1235, acc=0.9, step=7]"
    )


def test_bytes_are_scaled_and_an_unknown_total_shows_a_count():
    clock = Clock()
    bar = ProgressBar(total=None, unit="B", file=io.StringIO(), clock=clock)
    clock.now = 2.0
    bar.update(3_000_000)
    assert bar.line() == "3.0MB [00:02, 1.5MB/s]"


def test_disabled_bar_prints_nothing():
    stream = Terminal()
    with ProgressBar(total=10, file=stream, disable=True) as bar:
        bar.update(10)
    assert stream.getvalue() == ""
