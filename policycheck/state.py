"""The set of objects at one state of the repository, indexed for the resolver.

A state is built from parsed files; the next commit's state is derived from
its parent's by swapping the files the diff names. The indexes are derived the
same way (patched, never rebuilt), and the large maps are overlays of the
parent's rather than copies, so the cost of a commit follows the size of its
change, not the size of the repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from policycheck.diagnostics import DUPLICATE, Diagnostic
from policycheck.findings import ref_of
from policycheck.model import Resource, ResourceKey
from policycheck.overlay import Overlay
from policycheck.status import MISSING, PRESENT, Presence

_PRESENT = Presence(PRESENT)
_NO_OBJECTS: Overlay[ResourceKey, Resource] = Overlay()

# Explains a key that no manifest defines: missing, unknown (a generator may
# create it) or external (declared in configuration).
AbsenceOracle = Callable[[ResourceKey], Presence]


def _absent(key: ResourceKey) -> Presence:
    return Presence(MISSING, "no manifest in the repository defines it")


@dataclass
class FileEntry:
    """What one file contributes to a state."""

    path: str
    blob: str
    resources: tuple[Resource, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    _first: dict[ResourceKey, Resource] | None = field(default=None, repr=False, compare=False)

    def first(self, key: ResourceKey) -> Resource:
        """The file's first object with this key (a file may define one twice)."""
        if self._first is None:
            first: dict[ResourceKey, Resource] = {}
            for res in self.resources:
                first.setdefault(res.key, res)
            self._first = first
        return self._first[key]


@dataclass
class _Index:
    """Everything derived from the files; shared structure is copied, not rebuilt."""

    # Every file defining a key, sorted by path: the first one wins.
    defs: Overlay[ResourceKey, tuple[str, ...]]
    by_key: Overlay[ResourceKey, Resource]
    by_kind: dict[tuple[str, str], Overlay[ResourceKey, Resource]]
    with_diagnostics: set[str]
    multi: set[ResourceKey]  # keys defined in more than one file
    file_dups: dict[str, tuple[Diagnostic, ...]]  # keys defined twice in one file
    # How many objects written as manifests (not extracted) each (group, kind, namespace) holds.
    manifests: Overlay[tuple[str, str, str], int]


def _file_dups(entry: FileEntry) -> tuple[Diagnostic, ...]:
    seen: dict[ResourceKey, Resource] = {}
    out = []
    for res in entry.resources:
        first = seen.setdefault(res.key, res)
        if first is not res:
            out.append(Diagnostic(res.file, res.line, DUPLICATE, "error",
                                  f"{res.key} is already defined in {first.file}:{first.line}; this copy is ignored",
                                  ref_of(res)))
    return tuple(out)


def _is_manifest(res: Resource | None) -> int:
    return 1 if res is not None and res.origin == "manifest" else 0


@dataclass
class State:
    """All objects of one state, by key and by (group, kind).

    When two files define the same key, the one whose path sorts first wins,
    so the choice does not depend on the order files were read in; the other
    is reported as a duplicate.
    """

    files: Mapping[str, FileEntry] = field(default_factory=dict)
    absence: AbsenceOracle = _absent
    _idx: _Index | None = None
    _parent: tuple[State, frozenset[str]] | None = None  # (parent, paths that differ), until indexed
    _kind_lists: dict[tuple[str, str], list[Resource]] = field(default_factory=dict)

    @classmethod
    def from_files(cls, entries: Iterable[FileEntry], absence: AbsenceOracle = _absent) -> State:
        return cls(files={e.path: e for e in entries}, absence=absence)

    def evolve(self, removed: Iterable[str], added: Iterable[FileEntry]) -> State:
        """A new state with some files removed or replaced; this one is untouched."""
        files = Overlay.of(self.files)
        dropped = {path for path in removed if path in files}
        touched = set(dropped)
        put: dict[str, FileEntry] = {}
        for entry in added:
            path = entry.path
            current = put[path] if path in put else None if path in dropped else files.get(path)
            if current is not entry:
                touched.add(path)
            put[path] = entry
        return State(files=files.derive(put, dropped), absence=self.absence, _parent=(self, frozenset(touched)))

    def release(self) -> None:
        """Called once nothing will ask this state about absent keys any more.

        The presence oracle refers back to its state, and that cycle would keep the state's
        maps alive until a full pass of the cyclic collector (whose passes over ever more of
        them cost a long run more than the run itself); without it, they go as soon as the
        last reference does.
        """
        self.absence = _absent

    # -- indexing ------------------------------------------------------------
    def _index(self) -> _Index:
        if self._idx is not None:
            return self._idx
        parent = self._parent
        if parent is not None and parent[0]._idx is not None and len(parent[1]) * 4 < len(self.files) + 8:
            self._idx = self._patched(parent[0]._idx, parent[0].files, parent[1])
            # A kind none of whose objects changed has the parent's list (the same objects).
            same = parent[0]._idx.by_kind
            self._kind_lists.update((gk, found) for gk, found in parent[0]._kind_lists.items()
                                    if self._idx.by_kind.get(gk) is same.get(gk))
        else:
            self._idx = self._full()
        self._parent = None  # do not keep a chain of states alive
        return self._idx

    def _full(self) -> _Index:
        defs: dict[ResourceKey, list[str]] = {}
        with_diags: set[str] = set()
        file_dups: dict[str, tuple[Diagnostic, ...]] = {}
        for path in sorted(self.files):
            entry = self.files[path]
            if entry.diagnostics:
                with_diags.add(path)
            for res in entry.resources:
                defs.setdefault(res.key, []).append(path)
            if len(entry.resources) > 1:
                dups = _file_dups(entry)
                if dups:
                    file_dups[path] = dups
        frozen = {k: tuple(dict.fromkeys(v)) for k, v in defs.items()}
        by_key = {k: self._winner(k, paths[0]) for k, paths in frozen.items()}
        kinds: dict[tuple[str, str], dict[ResourceKey, Resource]] = {}
        for k, res in by_key.items():
            kinds.setdefault((k.group, k.kind), {})[k] = res
        by_kind = {gk: Overlay.adopt(found) for gk, found in kinds.items()}
        multi = {k for k, paths in frozen.items() if len(paths) > 1}
        manifests: dict[tuple[str, str, str], int] = {}
        for k, res in by_key.items():
            if _is_manifest(res):
                slot = (k.group, k.kind, k.namespace)
                manifests[slot] = manifests.get(slot, 0) + 1
        return _Index(Overlay.adopt(frozen), Overlay.adopt(by_key), by_kind, with_diags, multi, file_dups,
                      Overlay.adopt(manifests))

    def _winner(self, key: ResourceKey, path: str) -> Resource:
        return self.files[path].first(key)

    def _patched(self, base: _Index, old_files: Mapping[str, FileEntry], touched: frozenset[str]) -> _Index:
        # Owners per key changed here (empty: none left), over the parent's.
        changes: dict[ResourceKey, tuple[str, ...]] = {}

        def owners(key: ResourceKey) -> tuple[str, ...]:
            return changes[key] if key in changes else base.defs.get(key, ())

        by_kind = dict(base.by_kind)
        # Per kind, the objects put and the keys dropped, over the parent's map of that kind.
        kind_put: dict[tuple[str, str], dict[ResourceKey, Resource]] = {}
        kind_drop: dict[tuple[str, str], list[ResourceKey]] = {}
        with_diags = set(base.with_diagnostics)
        multi = set(base.multi)
        file_dups = dict(base.file_dups)
        keys: set[ResourceKey] = set()
        for path in touched:
            old = old_files.get(path)
            if old is not None:
                for res in old.resources:
                    keys.add(res.key)
                    changes[res.key] = tuple(p for p in owners(res.key) if p != path)
            new = self.files.get(path)
            with_diags.discard(path)
            file_dups.pop(path, None)
            if new is not None:
                if new.diagnostics:
                    with_diags.add(path)
                dups = _file_dups(new) if len(new.resources) > 1 else ()
                if dups:
                    file_dups[path] = dups
                for res in new.resources:
                    keys.add(res.key)
                    paths = owners(res.key)
                    if path not in paths:
                        changes[res.key] = tuple(sorted((*paths, path)))
        defs = base.defs.derive({k: v for k, v in changes.items() if v}, [k for k, v in changes.items() if not v])
        put: dict[ResourceKey, Resource] = {}
        for key in keys:
            gk = (key.group, key.kind)
            found = defs.get(key, ())
            if len(found) > 1:
                multi.add(key)
            else:
                multi.discard(key)
            if found:
                res = put[key] = self._winner(key, found[0])
                kind_put.setdefault(gk, {})[key] = res
            else:
                kind_drop.setdefault(gk, []).append(key)
        for gk in kind_put.keys() | kind_drop.keys():
            by_kind[gk] = Overlay.of(by_kind.get(gk, {})).derive(kind_put.get(gk, {}), kind_drop.get(gk, ()))
        counts: dict[tuple[str, str, str], int] = {}  # changed counts (0: none left)
        for key in keys:
            step = _is_manifest(put.get(key)) - _is_manifest(base.by_key.get(key))
            if step:
                slot = (key.group, key.kind, key.namespace)
                counts[slot] = counts.get(slot, base.manifests.get(slot, 0)) + step
        manifests = base.manifests.derive(
            {k: n for k, n in counts.items() if n}, [k for k, n in counts.items() if not n])
        by_key = base.by_key.derive(put, [k for k in keys if k not in put])
        return _Index(defs, by_key, by_kind, with_diags, multi, file_dups, manifests)

    # -- queries -------------------------------------------------------------
    @property
    def resources(self) -> Mapping[ResourceKey, Resource]:
        return self._index().by_key

    def get(self, key: ResourceKey) -> Resource | None:
        idx = self._idx if self._idx is not None else self._index()  # the resolver asks this very often
        found: Resource | None = idx.by_key.get(key)
        return found

    def of_kind(self, group: str, kind: str) -> list[Resource]:
        """The objects of one kind; the same list while none of them changes (read it, never mutate it)."""
        found = self._kind_lists.get((group, kind))
        if found is None:
            found = list(self._index().by_kind.get((group, kind), {}).values())
            self._kind_lists[(group, kind)] = found
        return found

    def kind_map(self, group: str, kind: str) -> Mapping[ResourceKey, Resource]:
        """The objects of one kind by key: the very map of the parent state while none of them changed,
        else derived from it (see `Overlay.differing`). Read it, never mutate it."""
        return self._index().by_kind.get((group, kind), _NO_OBJECTS)

    def has_manifests(self, group: str, kind: str, namespace: str) -> bool:
        """Whether some object of this kind in this namespace is written as a manifest (not extracted)."""
        return (group, kind, namespace) in self._index().manifests

    def presence(self, key: ResourceKey) -> Presence:
        idx = self._idx if self._idx is not None else self._index()
        if key in idx.by_key:
            return _PRESENT
        return self.absence(key)

    def diagnostics(self) -> Iterator[Diagnostic]:
        """Loader diagnostics of every file, then duplicates; in path order."""
        idx = self._index()
        for path in sorted(idx.with_diagnostics):
            yield from self.files[path].diagnostics
        for path in sorted(idx.file_dups):
            yield from idx.file_dups[path]
        for key in sorted(idx.multi, key=lambda k: (idx.defs[k], k)):
            paths = idx.defs[key]
            first = idx.by_key[key]
            for path in paths[1:]:
                dup = self._winner(key, path)
                yield Diagnostic(dup.file, dup.line, DUPLICATE, "error",
                                 f"{key} is already defined in {first.file}:{first.line}; this copy is ignored",
                                 ref_of(dup))

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())
