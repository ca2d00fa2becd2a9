"""A repository held as texts by path, for resolver tests that build states without Git.

Unchanged files keep their parsed objects from one state to the next, as the
loader's states do, so the resolver's cross-state memos are exercised; a
`fresh` state parses everything anew, which no memo has seen.
"""

from __future__ import annotations

from policycheck.gitops.generators import Absence
from policycheck.manifests import parse_file
from policycheck.state import FileEntry, State


class TextRepo:
    def __init__(self, texts: dict[str, str] | None = None) -> None:
        self.texts: dict[str, str] = dict(texts or {})
        self._parsed: dict[tuple[str, str], FileEntry] = {}

    def state(self, fresh: bool = False) -> State:
        """The current state, with the presence oracle a run gives it."""
        entries = []
        for path, text in sorted(self.texts.items()):
            entry = None if fresh else self._parsed.get((path, text))
            if entry is None:
                entry = parse_file(path, text.encode())
                if not fresh:
                    self._parsed[(path, text)] = entry
            entries.append(entry)
        oracle = Absence((), {}, 1)
        state = State.from_files(entries, absence=oracle)
        oracle.bind(state)
        return state

    def put(self, path: str, text: str | None) -> None:
        """Write a file, or delete it (None)."""
        if text is None:
            self.texts.pop(path, None)
        else:
            self.texts[path] = text
