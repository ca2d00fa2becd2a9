"""Writing reports: stdout, or a file replaced atomically (never half-written).

The report is written to a temporary file beside the target and renamed over
it, so an interrupted or failed run leaves either the previous file or the
complete new one, never a truncated report that a CI step would upload.

Only a regular file (or a path where nothing is yet) is replaced. A symbolic
link is followed and its target replaced, the link kept. Anything else is
written through, as a shell's `>` would: a character device (`/dev/null`,
`/dev/stdout`, a terminal), a named pipe (its reader gets the report), and a
link into `/proc` (`/dev/stdout` when it is a file: the file of the caller's
redirection, which the caller truncates and reads).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile

from policycheck.errors import UsageError


def write_output(text: str, path: str | None) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        through = _written_through(path)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
    if through:
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
        return
    path = os.path.realpath(path) if os.path.islink(path) else path
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


def _written_through(path: str) -> bool:
    """Whether the report goes into what is at `path` as it is, rather than replacing a file there."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False  # a new file (a dangling link: a new file where it points)
    if stat.S_ISDIR(mode):
        return False  # refused below
    if not stat.S_ISREG(mode):
        return True
    return os.path.abspath(path).startswith("/proc/") or _via_proc(path)


def _via_proc(path: str) -> bool:
    """Whether a chain of links from `path` passes through /proc (`/dev/stdout` -> `/proc/self/fd/1`)."""
    seen = 0
    while os.path.islink(path) and seen < 40:
        path = os.path.join(os.path.dirname(path), os.readlink(path))
        if os.path.abspath(path).startswith("/proc/"):
            return True
        seen += 1
    return False


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
