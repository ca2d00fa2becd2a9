"""`policycheck cache info|clear`: where the repository's cache lives, how big it is; empty it.

The folder may be `$POLICYCHECK_CACHE_DIR`, which a user can point anywhere, so
`clear` removes only what policycheck writes there: the entry folders (two hex
digits), `snapshots/`, `valid-documents`, the packs, and its temporary files.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from policycheck.cache import DEFAULT_MAX_BYTES, ENV_DIR
from policycheck.errors import UsageError

_OURS = re.compile(r"^([0-9a-f]{2}|[0-9a-f]{64}|snapshots|valid-documents|latest-pack|packs?"
                   r"|\.policycheck-.*|.*\.tmp)$")


def _folder(repo: str | None) -> Path:
    from policycheck.commands.check import _cache_dir
    from policycheck.gitsource import GitSource

    folder = _cache_dir(GitSource(repo))
    if folder is None:
        raise UsageError("this repository has no place for a cache")
    return folder


def _usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) of what policycheck keeps in the folder."""
    files = size = 0
    if not folder.is_dir():
        return 0, 0
    for entry in folder.iterdir():
        if not _OURS.match(entry.name):
            continue
        paths = [p for p in entry.rglob("*") if p.is_file()] if entry.is_dir() else [entry]
        for p in paths:
            try:
                size += p.stat().st_size
                files += 1
            except OSError:
                continue
    return files, size


def cache_info(repo: str | None) -> str:
    folder = _folder(repo)
    files, size = _usage(folder)
    source = f" (from ${ENV_DIR})" if os.environ.get(ENV_DIR) else ""
    return (f"folder: {folder}{source}\n"
            f"entries: {files} file{'s' if files != 1 else ''}, {_human(size)}\n"
            f"limit: {_human(DEFAULT_MAX_BYTES)} (the oldest entries are removed beyond it)\n")


def cache_clear(repo: str | None) -> str:
    folder = _folder(repo)
    files, size = _usage(folder)
    if folder.is_dir():
        for entry in folder.iterdir():
            if not _OURS.match(entry.name):
                continue
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:
                continue  # a concurrent run pruned it first
            except OSError as exc:
                raise UsageError(f"cannot remove {entry}: {exc.strerror or exc}") from None
    return f"removed {files} file{'s' if files != 1 else ''} ({_human(size)}) from {folder}\n"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
