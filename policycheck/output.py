"""Writing reports: stdout, or a file replaced atomically (never half-written)."""

from __future__ import annotations

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
    fd, tmp = tempfile.mkstemp(prefix=".policycheck-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
