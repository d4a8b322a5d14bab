"""Where a data set's IDX files are looked for, in order, and how a user can put them there."""

import os
from pathlib import Path

from ..errors import DataError

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
"""The four files of an MNIST-style data set; each may also be stored without `.gz`."""

SYSTEM_ROOTS = [Path("/usr/share/datasets")]
"""Where system packages install data sets (Debian's dataset-fashion-mnist, for one)."""


def cache_dir(name):
    """The user cache folder of data set `name`: `$XDG_CACHE_HOME/chainrule/<name>`.

    `$XDG_CACHE_HOME` defaults to `~/.cache` (and is ignored unless absolute, as the XDG
    specification says).
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "chainrule" / name


def search_path(name, data_dir=None):
    """The folders searched for data set `name`, first to last.

    `data_dir` and `$CHAINRULE_DATA` may each be the folder holding the files or a parent
    holding `<name>/`; then come the user cache and the system folders.
    """
    roots = [Path(data_dir)] if data_dir is not None else []
    if os.environ.get("CHAINRULE_DATA"):
        roots.append(Path(os.environ["CHAINRULE_DATA"]))
    folders = [folder for root in roots for folder in (root, root / name)]
    return [*folders, cache_dir(name), *(root / name for root in SYSTEM_ROOTS)]


def find_files(name, data_dir=None):
    """Paths of the four files from the first folder in `search_path` holding all of them.

    None when no folder does. A `data_dir` given is used or refused, never replaced:
    DataError when it is not a folder or when neither it nor its `<name>/` holds the files.
    """
    if data_dir is not None:
        return _given_files(name, Path(data_dir))
    for folder in search_path(name, data_dir):
        paths = [stored_file(folder, filename) for filename in FILES]
        if all(paths):
            return paths
    return None


def _given_files(name, data_dir):
    if not data_dir.is_dir():
        raise DataError(f"data folder {data_dir} does not exist (given as data_dir/--data-dir)")
    for folder in (data_dir, data_dir / name):
        paths = [stored_file(folder, filename) for filename in FILES]
        if all(paths):
            return paths
    missing = [filename for filename in FILES if stored_file(data_dir, filename) is None]
    raise DataError(f"data folder {data_dir} lacks {', '.join(missing)} of {name} (nor does "
                    f"{data_dir / name} hold all four); --data-dir is used as given, never "
                    "replaced by another folder")


def stored_file(folder, filename):
    """`folder/filename`, or the same without `.gz`, whichever exists (else None).

    Anything by that name counts: reading refuses a FIFO or a folder with its name.
    """
    for candidate in (folder / filename, folder / filename.removesuffix(".gz")):
        if candidate.exists():
            return candidate
    return None


def how_to_supply(title, name):
    """A sentence telling the user where to put the files of data set `name` by hand."""
    system = ", ".join(str(root / name) for root in SYSTEM_ROOTS)
    return (
        f"Searched $CHAINRULE_DATA, {cache_dir(name)} and {system}. To supply {title} "
        f"yourself, put its four files {', '.join(FILES)} (gzip, or uncompressed without .gz) "
        f"in {cache_dir(name)} or {system}, or in a folder you pass as --data-dir "
        "(data_dir=) or name in the CHAINRULE_DATA environment variable."
    )
