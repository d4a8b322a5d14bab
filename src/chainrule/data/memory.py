"""How much memory this process can still take, so that large data fails with a clear error.

Two limits apply: the address-space limit (`ulimit -v`, RLIMIT_AS) less what the process
already maps, and the machine's available memory (MemAvailable). Where neither can be
read, nothing is refused in advance.
"""

import os
import resource

from ..errors import DataError


def available_memory():
    """Bytes this process can still allocate, or None when no limit can be read."""
    limits = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft - _mapped_bytes())
    limits.extend(_mem_available())
    return max(min(limits), 0) if limits else None


def check_fits(nbytes, path, what):
    """DataError naming `path` if `nbytes` (for `what`, in words) cannot fit in memory."""
    available = available_memory()
    if available is not None and nbytes > available:
        raise DataError(f"{path}: {what} need {_size(nbytes)}, more than the "
                        f"{_size(available)} of memory available")


def _mapped_bytes():
    try:
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _mem_available():
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return [int(line.split()[1]) * 1024]
    except (OSError, ValueError, IndexError):
        pass
    return []


def _size(nbytes):
    return f"{nbytes / 2**30:.2f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.1f} MiB"
