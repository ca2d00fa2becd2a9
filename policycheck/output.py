"""Writing reports: stdout, or a file replaced atomically (never half-written).

The report is written to a temporary file beside the target and renamed over
it, so an interrupted or failed run leaves either the previous file or the
complete new one, never a truncated report that a CI step would upload.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from policycheck.errors import UsageError


def write_output(text: str, path: str | None) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--output {path}: no such folder {folder}")
    if os.path.isdir(path):
        raise UsageError(f"--output {path}: is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".policycheck-", dir=folder)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write in {folder} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
