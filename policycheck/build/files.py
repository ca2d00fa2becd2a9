"""The files a build reads: a commit's tree or a folder on disk, by path relative to the repository root."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from typing import Protocol


class Files(Protocol):
    """Read access to one state of a repository; paths are relative to its root, with `/`."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when no file has this path."""

    def is_dir(self, path: str) -> bool:
        """Whether some file lives below this folder ("" is the root)."""


class TreeFiles:
    """A listing of paths with a reader (a commit's tree read through Git)."""

    def __init__(self, paths: Iterable[str], read: Callable[[str], bytes | None]) -> None:
        self.paths = frozenset(paths)
        self._read = read
        folders: set[str] = {""}
        for path in self.paths:
            folder = posixpath.dirname(path)
            while folder and folder not in folders:
                folders.add(folder)
                folder = posixpath.dirname(folder)
        self.folders = frozenset(folders)

    def read(self, path: str) -> bytes | None:
        return self._read(path) if path in self.paths else None

    def is_dir(self, path: str) -> bool:
        return path in self.folders


class DiskFiles:
    """A folder on disk taken as the repository root."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _full(self, path: str) -> str:
        return os.path.join(self.root, *path.split("/")) if path else self.root

    def read(self, path: str) -> bytes | None:
        full = self._full(path)
        if not os.path.isfile(full):
            return None
        with open(full, "rb") as fh:
            return fh.read()

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self._full(path))
