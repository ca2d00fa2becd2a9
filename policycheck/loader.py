"""From Git (or a folder) to states: which files are manifests, parsed once per run.

A state is derived from its parent's by swapping the files the diff names, so a
commit costs what it changed. Parsed files are kept by (path, blob): a blob that
many commits share is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from policycheck.collector import long_lived
from policycheck.config import Config
from policycheck.diagnostics import SKIPPED, Diagnostic
from policycheck.gitops.kustomize import Kustomization, is_kustomization
from policycheck.gitops.layout import Layout, Memory
from policycheck.gitsource import Change, blob_id, read_file
from policycheck.manifests import (
    chart_file,
    chart_folder,
    chart_template,
    chart_template_entry,
    is_chart_template_entry,
    parse_file,
)
from policycheck.model import ResourceKey
from policycheck.state import FileEntry, State

if TYPE_CHECKING:
    from policycheck.cache import ParseCache

LINK_MODE = "120000"


class Loader:
    """Parses manifests for states of one repository under one configuration."""

    # Parsed files kept across runs (None: parse everything afresh).
    cache: ParseCache | None = None

    def __init__(self, config: Config, read_blob: Callable[[str], bytes] | None = None) -> None:
        self.config = config
        self.read_blob = read_blob
        self._parsed: dict[tuple[str, str], FileEntry] = {}
        self.parsed_count = 0
        self.layout = Layout(config)
        self.layout.blob_reader = read_blob
        # Files parsed as written (before placement), by (path, blob); a state's
        # entries are placed copies that keep path and blob.
        self._raw: dict[tuple[str, str], FileEntry] = {}
        # Paths whose objects changed in the last `evolve` although their blob did
        # not (a kustomization moved them to another namespace).
        self.rederived: set[str] = set()
        self._kusts: dict[tuple[str, str], Kustomization] = {}
        # Chart templates by (path, blob), kept apart from parsed files: one blob is a template while
        # its chart has a Chart.yaml and a manifest before or after.
        self._templates: dict[tuple[str, str], FileEntry] = {}
        self._modes: dict[tuple[str, str], str] = {}  # files entered with a mode other than 100644

    def entry(self, path: str, blob: str, mode: str = "100644", data: bytes | None = None,
              lines: bool = False) -> FileEntry:
        """A parsed file (once per run, or from the cache); `lines`: read its line numbers now (see
        `manifests.parse_file`), for a file a commit changed, whose findings get shown."""
        cached = self._parsed.get((path, blob))
        if cached is not None:
            return cached
        if mode == LINK_MODE:
            entry = FileEntry(path, blob, (), (Diagnostic(path, 1, SKIPPED, "info",
                                                          "symbolic link; not followed"),))
        else:
            cache = self.cache
            key = cache.key(path, blob, mode) if cache is not None and blob else None
            hit = cache.get(key) if cache is not None and key is not None else None
            if hit is not None and hit.path == path and hit.blob == blob:
                entry = hit
            else:
                if data is None:
                    assert self.read_blob is not None
                    data = self.read_blob(blob)
                entry = parse_file(path, data, blob, self._namespace_for, max_bytes=self.config.max_file_bytes,
                                   lines=lines)
                self.parsed_count += 1
                if cache is not None and key is not None:
                    cache.put(key, entry)
        self._parsed[(path, blob)] = entry
        return entry

    def parsed(self, path: str, blob: str) -> bool:
        """Whether this file is parsed already (its blob is not read again)."""
        return (path, blob) in self._parsed

    def share_parsed(self, other: Loader) -> None:
        """Take the files `other` parsed (and parse into the same memory): another run of the same
        repository whose configuration parses alike, such as one cluster of a repository with several."""
        self._parsed = other._parsed

    def _namespace_for(self, path: str) -> str:
        """The namespace a file's objects get when they name none, before placement.

        Kustomize, Flux and Argo CD namespaces depend on other files, which can
        change while this file's blob does not; they are applied afterwards by
        `Layout` (gitops/), so a parsed file stays valid across commits.
        """
        return self.config.default_namespace

    def _parsed_entry(self, path: str, blob: str, mode: str = "100644", data: bytes | None = None,
                      lines: bool = False, template: bool = False) -> FileEntry:
        if mode != "100644":
            self._modes[(path, blob)] = mode
        if template:
            hit = self._templates.get((path, blob))
            if hit is None:
                hit = self._templates[(path, blob)] = chart_template_entry(path, blob)
            return hit
        entry = self.entry(path, blob, mode, data, lines)
        self._raw[(path, blob)] = entry
        if is_kustomization(path) and mode != LINK_MODE:
            read_blob = self.read_blob
            self._kusts[(path, blob)] = self.layout.kustomization(
                path, blob, (lambda: data) if data is not None else lambda: _read(read_blob, blob))
        return entry

    def _build(self, raw: dict[str, FileEntry]) -> State:
        kusts = [k for k in (self._kusts.get((p, e.blob)) for p, e in sorted(raw.items())) if k is not None]
        return self.layout.build(raw, kusts)

    def state(self, files: dict[str, tuple[str, str]]) -> State:
        """A state from a full listing path -> (mode, blob)."""
        with long_lived():  # a whole tree's objects, kept for the run
            wanted = {p: v for p, v in files.items() if self.config.wants(p) and not v[0].startswith("160")}
            charts = {d for d in map(chart_folder, wanted) if d is not None}

            def in_chart(path: str) -> bool:
                return bool(charts) and chart_template(path, charts.__contains__)

            raw = {p: self._parsed_entry(p, blob, mode, template=in_chart(p))
                   for p, (mode, blob) in sorted(wanted.items())}
            return self._build(raw)

    def from_entries(self, entries: Iterable[FileEntry]) -> State:
        """A state from entries this loader parsed (files on disk, no Git)."""
        return self._build({e.path: e for e in entries})

    def memory_of(self, state: State) -> Memory | None:
        """What deriving a child of `state` needs, while `state` is one of the last made."""
        return self.layout.memory_of(state)

    def prime(self, memory: Memory, first_seen: dict[ResourceKey, int], generation: int) -> None:
        """Take `memory.state`, made by an earlier run, as made by this one: its children are then
        derived from it exactly as that run would have derived them."""
        kust_blobs: dict[str, str] = {}
        for path, entry in memory.raw.items():
            if is_chart_template_entry(entry):
                self._templates[(path, entry.blob)] = entry
            else:
                self._raw[(path, entry.blob)] = self._parsed[(path, entry.blob)] = entry
        for k in memory.kusts:
            blob = memory.raw[k.path].blob
            kust_blobs[k.path] = blob
            self._kusts[(k.path, blob)] = k
        self.layout.prime(memory, first_seen, generation, kust_blobs)

    def evolve(self, parent: State, changes: Iterable[Change]) -> State:
        removed: set[str] = set()
        added: dict[str, FileEntry] = {}
        kept = [ch for ch in changes if self.config.wants(ch.path)]
        now = {ch.path: ch.blob is not None and not ch.mode.startswith("160") for ch in kept}

        def has_chart(folder: str) -> bool:
            chart = chart_file(folder)
            return now.get(chart, chart in parent.files)

        for ch in kept:
            if not now[ch.path]:  # deleted, or a submodule (never followed)
                removed.add(ch.path)
                added.pop(ch.path, None)
            else:
                added[ch.path] = self._parsed_entry(ch.path, ch.blob or "", ch.mode, lines=True,
                                                    template=chart_template(ch.path, has_chart))
                removed.discard(ch.path)
        regated = self._regate(parent, kept, now, has_chart, added)
        fast = self.layout.evolve(parent, removed, added, lambda p, b: self._kusts.get((p, b)))
        if fast is not None:
            state, self.rederived = fast
            self.rederived |= regated
            return state
        raw = {p: e if is_chart_template_entry(e) else self._raw.get((p, e.blob), e) for p, e in parent.files.items()}
        for path in removed:
            raw.pop(path, None)
        raw.update(added)
        state = self._build(raw)
        self.rederived = {p for p, e in state.files.items()
                          if p in parent.files and parent.files[p] is not e and parent.files[p].blob == e.blob}
        return state

    def _regate(self, parent: State, changes: list[Change], now: dict[str, bool], has_chart: Callable[[str], bool],
                added: dict[str, FileEntry]) -> set[str]:
        """Files of the parent a `Chart.yaml` that came or went makes templates, or manifests again
        (entered into `added`); their paths."""
        folders = [d for d in (chart_folder(ch.path) for ch in changes)
                   if d is not None and now[chart_file(d)] != (chart_file(d) in parent.files)]
        if not folders:
            return set()
        prefixes = tuple(f"{d}/templates/" if d else "templates/" for d in folders)
        regated: set[str] = set()
        for path, entry in parent.files.items():
            if path in now or not path.startswith(prefixes):
                continue
            template = chart_template(path, has_chart)
            if template != is_chart_template_entry(entry):
                mode = self._modes.get((path, entry.blob), "100644")
                added[path] = self._parsed_entry(path, entry.blob, mode, lines=True, template=template)
                regated.add(path)
        return regated


def load_paths(paths: Iterable[str], config: Config, loader: Loader | None = None) -> State:
    """A state from files and folders on disk (no Git): `policycheck status PATH...`."""
    loader = loader or Loader(config)
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
        charts = {d for d in (chart_folder(rel) for _, rel in candidates) if d is not None}
        for full, rel in candidates:
            label = full.as_posix() if root.is_file() else (Path(raw) / rel).as_posix()
            if not config.wants(rel) and not root.is_file():
                continue
            try:
                data = read_file(full, config.max_file_bytes)
            except OSError as exc:
                entries.append(FileEntry(label, "", (), (Diagnostic(label, 1, SKIPPED, "warning",
                                                                    f"cannot be read: {exc.strerror}"),)))
                continue
            template = not root.is_file() and chart_template(rel, charts.__contains__)
            entries.append(loader._parsed_entry(label, blob_id(data), data=data, template=template))
    return loader.from_entries(entries)


def _read(read_blob: Callable[[str], bytes] | None, blob: str) -> bytes:
    assert read_blob is not None
    return read_blob(blob)

