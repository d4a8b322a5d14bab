"""What the hostile-input tests share: the command line under resource limits, one-line
error checks, and small files that claim to be huge (zips and gzips built by hand)."""

import hashlib
import os
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from hypothesis import strategies as st

SRC = Path(__file__).resolve().parents[1] / "src"
GiB = 2**30
_ZERO_CHUNK = bytes(1 << 20)


def chainrule(*args, address_space=None, file_size=None, timeout=120, cwd=None):
    """Run `chainrule ARGS` in a fresh interpreter, optionally under RLIMIT_AS (bytes of
    address space) and RLIMIT_FSIZE (largest file it may write)."""

    def limits():
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if file_size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    env = {**os.environ, "PYTHONPATH": str(SRC), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "chainrule", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limits)


def assert_one_line_error(result, *fragments):
    """Exit status 1, no traceback, one line on stderr holding every fragment."""
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    for fragment in fragments:
        assert str(fragment) in lines[0], lines[0]


def deflated_zeros(prefix, nbytes, exact_crc=False):
    """(raw deflate stream, CRC-32) of `prefix` followed by zeros, `nbytes` in all, made in
    1 MiB blocks that each end in a full flush, so one compressed block repeats.

    Unless `exact_crc`, the CRC is that of the first block only (computing it over
    gigabytes takes seconds): readers that refuse the stream early never check it.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = prefix + bytes(min(len(_ZERO_CHUNK), nbytes) - len(prefix))
    stream = compressor.compress(first) + compressor.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(nbytes - len(first), len(_ZERO_CHUNK))
    if whole:
        stream += (compressor.compress(_ZERO_CHUNK) + compressor.flush(zlib.Z_FULL_FLUSH)) * whole
    stream += compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(first)
    if exact_crc:
        for _ in range(whole):
            crc = zlib.crc32(_ZERO_CHUNK, crc)
        crc = zlib.crc32(bytes(rest), crc)
    return stream, crc


def write_zip(path, members, end_count=None):
    """Write a zip by hand: `members` is a list of (name, data) with data either bytes
    (deflated here) or (raw deflate stream, CRC-32, size to claim) for a stream made
    elsewhere. `end_count` overrides the member count in the end record."""
    local, central = bytearray(), bytearray()
    for name, data in members:
        if isinstance(data, bytes):
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            stream = compressor.compress(data) + compressor.flush()
            crc, size = zlib.crc32(data), len(data)
        else:
            stream, crc, size = data
        encoded = name.encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(stream), size,
                             len(encoded), 0)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack(
            "<HHHII", 0, 0, 0, 0, len(local)) + encoded
        local += b"PK\x03\x04" + fields + encoded + stream
    count = len(members) if end_count is None else end_count
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central),
                                      len(local), 0)
    Path(path).write_bytes(bytes(local + central + end))


def gzip_of_zeros(path, prefix, nbytes, exact_crc=False):
    """A .gz file of `prefix` and zeros, `nbytes` in all, about 1 MB per GiB on disk."""
    stream, crc = deflated_zeros(prefix, nbytes, exact_crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    Path(path).write_bytes(header + stream + struct.pack("<II", crc, nbytes & 0xFFFFFFFF))


class Blob:
    """Bytes (`.data`) that print as a short summary (size, SHA-256 prefix, first bytes), so
    that a failing fuzz case reports its input in one line instead of kilobytes."""

    def __init__(self, data):
        self.data = bytes(data)

    def __repr__(self):
        digest = hashlib.sha256(self.data).hexdigest()[:12]
        return f"Blob({len(self.data)} bytes, sha256 {digest}..., starts {self.data[:16]!r})"


CPU_SECONDS = 5.0
"""CPU time one fuzz case may take: a wide margin over the milliseconds a case needs, and
unlike wall-clock time, not stretched by other processes on a loaded machine."""


@st.composite
def blobs(draw, strategy):
    """The bytes `strategy` draws, as a Blob (built here, not by `.map`, so that Hypothesis
    prints the Blob's own summary)."""
    return Blob(draw(strategy))
