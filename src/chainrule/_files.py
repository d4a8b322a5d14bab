"""Writing files so that a crash, a kill or a bad download never leaves a partial one."""

import contextlib
import os
import tempfile
from pathlib import Path


def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_read_umask()
"""Read once, at import: os.umask can only be read by setting it, which races with threads."""


def write_atomically(path, write, mode="wb", suffix=".tmp"):
    """Create `path` with `write(stream)`: a temporary file in the same folder, fsync'd,
    then renamed over `path` (os.replace), and the folder fsync'd. Readers see the old
    file or the whole new one, never a part; if `write` raises, the temporary file is
    removed and the old file is untouched. The file gets the usual permissions (0666 less
    the umask), not the temporary file's private 0600.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=suffix)
    try:
        with os.fdopen(descriptor, mode) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder):
    """Make a rename in `folder` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
