"""Writing files so that a crash or a kill never leaves a half-written one behind."""

import contextlib
import json
import os
import tempfile
from pathlib import Path


def write_atomically(path, write, mode="wb"):
    """Create `path` with `write(stream)`: a temporary file in the same folder, fsync'd,
    then renamed over `path` (os.replace), and the folder fsync'd. Readers see the old
    file or the whole new one, never a part; on any error the old file is untouched.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, mode) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def write_json(path, value):
    """`value` as indented JSON, written atomically."""
    text = json.dumps(value, indent=2) + "\n"
    write_atomically(path, lambda stream: stream.write(text), mode="w")


def write_jsonl(path, rows):
    """One JSON object per line, written atomically."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    write_atomically(path, lambda stream: stream.write(text), mode="w")


def _fsync_folder(folder):
    """Make the rename itself durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
