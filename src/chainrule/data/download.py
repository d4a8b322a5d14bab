"""Fetch a file from the first mirror that serves it intact, never leaving a partial file."""

import contextlib
import hashlib
import http.client
import time
import urllib.request
from pathlib import Path

from .._files import write_atomically
from ..errors import DownloadError, reason
from ..progress import ProgressBar

CHUNK_BYTES = 1 << 16
TIMEOUT_SECONDS = 30
USER_AGENT = "chainrule-data/0.1 (urllib)"

# URLError, HTTPError, timeouts and our own DownloadError are OSErrors; IncompleteRead is an
# HTTPException; a malformed mirror URL is a ValueError.
_FETCH_ERRORS = (OSError, http.client.HTTPException, ValueError)


def download_file(filename, folder, mirrors, sha256, *, progress=True, timeout=TIMEOUT_SECONDS):
    """Download `filename` into `folder` from the first of `mirrors` that serves it intact.

    Each mirror is a base URL; the file is streamed in chunks from `<mirror>/<filename>`
    into a uniquely named temporary file in `folder`, checked against the hex `sha256`,
    fsync'd, and renamed onto `folder/filename` with os.replace. So a failed, wrong or
    interrupted download never leaves a file at the final path, and processes fetching
    the same file at once each rename a complete copy of their own. A mirror that fails
    (HTTP error, dropped connection, wrong hash) is skipped for the next. Returns the
    final path; raises DownloadError listing every URL tried and why it failed.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create the download folder {folder}: {reason(exc)}") from exc
    _remove_stale_parts(folder, filename)
    target = folder / filename
    failures = []
    for mirror in mirrors:
        url = f"{mirror.rstrip('/')}/{filename}"
        try:
            _fetch(url, target, sha256.lower(), progress, timeout)
            return target
        except _FETCH_ERRORS as exc:
            failures.append(f"  {url}: {reason(exc)}")
    tried = "\n".join(failures) if failures else "  (no mirrors given)"
    raise DownloadError(f"could not download {filename} from any mirror; tried:\n{tried}")


def _remove_stale_parts(folder, filename):
    """Remove the `.part` files of `filename` that a killed download left: those untouched
    for longer than a live download may wait for its next chunk."""
    cutoff = time.time() - 2 * TIMEOUT_SECONDS
    for part in folder.glob(f".{filename}.*.part"):
        with contextlib.suppress(OSError):
            if part.stat().st_mtime < cutoff:
                part.unlink()


def _fetch(url, target, sha256, progress, timeout):
    """Stream `url` to a temporary file beside `target`; rename it there only if intact."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None

        def stream_verified(partial):
            with ProgressBar(expected, target.name, "B", disable=not progress) as bar:
                digest = hashlib.sha256()
                received = 0
                while chunk := response.read(CHUNK_BYTES):
                    partial.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if expected is not None and received != expected:
                raise DownloadError(f"connection closed after {received} of {expected} bytes")
            if digest.hexdigest() != sha256:
                raise DownloadError(
                    f"SHA-256 mismatch: got {digest.hexdigest()}, expected {sha256}"
                )

        write_atomically(target, stream_verified, suffix=".part")
