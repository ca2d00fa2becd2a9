"""From Git (or a folder) to states: which files are manifests, parsed once per run.

A state is derived from its parent's by swapping the files the diff names, so a
commit costs what it changed. Parsed files are kept by (path, blob): a blob that
many commits share is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from policycheck.config import Config
from policycheck.diagnostics import SKIPPED, Diagnostic
from policycheck.gitsource import Change, GitSource, blob_id
from policycheck.manifests import parse_file
from policycheck.state import FileEntry, State

LINK_MODE = "120000"


class Loader:
    """Parses manifests for states of one repository under one configuration."""

    def __init__(self, config: Config, read_blob: Callable[[str], bytes] | None = None) -> None:
        self.config = config
        self.read_blob = read_blob
        self._parsed: dict[tuple[str, str], FileEntry] = {}
        self.parsed_count = 0

    def entry(self, path: str, blob: str, mode: str = "100644", data: bytes | None = None) -> FileEntry:
        cached = self._parsed.get((path, blob))
        if cached is not None:
            return cached
        if mode == LINK_MODE:
            entry = FileEntry(path, blob, (), (Diagnostic(path, 1, SKIPPED, "info",
                                                          "symbolic link; not followed"),))
        else:
            if data is None:
                assert self.read_blob is not None
                data = self.read_blob(blob)
            entry = parse_file(path, data, blob, self._namespace_for, max_bytes=self.config.max_file_bytes)
            self.parsed_count += 1
        self._parsed[(path, blob)] = entry
        return entry

    def _namespace_for(self, path: str) -> str:
        return self.config.default_namespace

    def state(self, files: dict[str, tuple[str, str]]) -> State:
        """A state from a full listing path -> (mode, blob)."""
        entries = [self.entry(p, blob, mode) for p, (mode, blob) in sorted(files.items()) if self.config.wants(p)]
        return State.from_files(entries)

    def evolve(self, parent: State, changes: Iterable[Change]) -> State:
        removed, added = [], []
        for ch in changes:
            if not self.config.wants(ch.path):
                continue
            if ch.blob is None:
                removed.append(ch.path)
            elif ch.mode.startswith("160"):
                removed.append(ch.path)  # a submodule is never followed
            else:
                added.append(self.entry(ch.path, ch.blob, ch.mode))
        return parent.evolve(removed, added)


def load_paths(paths: Iterable[str], config: Config) -> State:
    """A state from files and folders on disk (no Git): `policycheck status PATH...`."""
    loader = Loader(config)
    entries: list[FileEntry] = []
    for raw in paths:
        root = Path(raw)
        if root.is_file():
            candidates = [(root, root.name)]
        elif root.is_dir():
            candidates = [(p, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*"))
                          if p.is_file() and not p.is_symlink()]
        else:
            from policycheck.errors import UsageError

            raise UsageError(f"{raw}: no such file or folder")
        for full, rel in candidates:
            label = full.as_posix() if root.is_file() else (Path(raw) / rel).as_posix()
            if not config.wants(rel) and not root.is_file():
                continue
            try:
                data = full.read_bytes()
            except OSError as exc:
                entries.append(FileEntry(label, "", (), (Diagnostic(label, 1, SKIPPED, "warning",
                                                                    f"cannot be read: {exc.strerror}"),)))
                continue
            entries.append(loader.entry(label, blob_id(data), data=data))
    return State.from_files(entries)


def load_git(source: GitSource, loader: Loader, rev: str | None) -> State:
    return loader.state(source.tree(rev))
