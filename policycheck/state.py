"""The set of objects at one state of the repository, indexed for the resolver.

A state is built from parsed files; the next commit's state is a copy with the
changed files swapped, so the cost of a commit follows the size of its change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from policycheck.diagnostics import DUPLICATE, Diagnostic
from policycheck.model import Resource, ResourceKey
from policycheck.status import MISSING, Presence

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


@dataclass
class State:
    """All objects of one state, by key and by (group, kind).

    When two files define the same key, the one whose path sorts first wins,
    so the choice does not depend on the order files were read in; the other
    is reported as a duplicate.
    """

    files: dict[str, FileEntry] = field(default_factory=dict)
    absence: AbsenceOracle = _absent
    _by_key: dict[ResourceKey, Resource] | None = None
    _by_kind: dict[tuple[str, str], list[Resource]] | None = None
    _dups: list[Diagnostic] | None = None

    @classmethod
    def from_files(cls, entries: Iterable[FileEntry], absence: AbsenceOracle = _absent) -> State:
        return cls(files={e.path: e for e in entries}, absence=absence)

    def evolve(self, removed: Iterable[str], added: Iterable[FileEntry]) -> State:
        """A new state with some files removed or replaced; this one is untouched."""
        files = dict(self.files)
        for path in removed:
            files.pop(path, None)
        for entry in added:
            files[entry.path] = entry
        return State(files=files, absence=self.absence)

    def _index(self) -> None:
        by_key: dict[ResourceKey, Resource] = {}
        dups: list[Diagnostic] = []
        for path in sorted(self.files):
            for res in self.files[path].resources:
                first = by_key.get(res.key)
                if first is None:
                    by_key[res.key] = res
                else:
                    dups.append(
                        Diagnostic(res.file, res.line, DUPLICATE, "error",
                                   f"{res.key} is already defined in {first.file}:{first.line}; this copy is ignored")
                    )
        by_kind: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for res in by_key.values():
            by_kind[(res.key.group, res.key.kind)].append(res)
        self._by_key, self._by_kind, self._dups = by_key, dict(by_kind), dups

    @property
    def resources(self) -> dict[ResourceKey, Resource]:
        if self._by_key is None:
            self._index()
        assert self._by_key is not None
        return self._by_key

    def get(self, key: ResourceKey) -> Resource | None:
        return self.resources.get(key)

    def of_kind(self, group: str, kind: str) -> list[Resource]:
        if self._by_kind is None:
            self._index()
        assert self._by_kind is not None
        return self._by_kind.get((group, kind), [])

    def presence(self, key: ResourceKey) -> Presence:
        if key in self.resources:
            return Presence("present")
        return self.absence(key)

    def diagnostics(self) -> Iterator[Diagnostic]:
        for path in sorted(self.files):
            yield from self.files[path].diagnostics
        if self._dups is None:
            self._index()
        assert self._dups is not None
        yield from self._dups

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())
