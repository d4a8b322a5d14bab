"""Opening the files a user names: regular files only, and never an open that can block.

A FIFO, a device or a folder given as a checkpoint, a picture or a data file would hang
the reader (a FIFO blocks until a writer appears) or feed it endless bytes (/dev/zero).
`open_regular` opens without blocking (O_NONBLOCK), checks with fstat what it opened, and
refuses anything but a regular file with one line naming it.
"""

import fcntl
import os
import stat
import warnings

import numpy

from .errors import reason

_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder", stat.S_IFSOCK: "a socket"}


def open_regular(path, error, what="file"):
    """`path` opened for reading in binary mode; `error(message)` if it is not a regular file.

    `what` names the kind of file expected in the message ("checkpoint file", "picture").
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read: {reason(exc)}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise error(f"{path}: is {kind}, not a regular {what}; refused without reading it")
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def regular_file_size(stream):
    """The size in bytes of the regular file open as `stream`."""
    return os.fstat(stream.fileno()).st_size


NPY_HEADER_READERS = {(1, 0): numpy.lib.format.read_array_header_1_0,
                      (2, 0): numpy.lib.format.read_array_header_2_0}
"""The .npy header versions read (3.0 adds only UTF-8 field names, which no checkpoint or
picture here needs)."""


def read_npy_header(version, stream):
    """(shape, fortran_order, dtype) from the .npy header of `version` at `stream`.

    NumPy parses the header's dict with Python's literal parser, which warns about the
    escapes in a hostile header ("\\o": DeprecationWarning, SyntaxWarning from Python
    3.12) before it fails or not; whether the header is valid is what the caller reports,
    so those warnings are not shown.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        return NPY_HEADER_READERS[version](stream)
