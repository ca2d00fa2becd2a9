"""A change that edits a file which could not be read before it, and still cannot.

Such a change is not failed for the file (the commit that broke it was), but what
it wrote there was never checked: it gets a `manifest-unchecked` warning naming
the file, the first bad line and the commit that made the file unreadable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from policycheck.diagnostics import DUPLICATE, POLICY_ERROR, UNCHECKED, Diagnostic
from policycheck.findings import Finding

# How many earlier changes of the file are read to find the one that broke it.
SEARCH_LIMIT = 200


class History(Protocol):
    def path_commits(self, sha: str, path: str, count: int) -> list[tuple[str, str | None]]: ...

    def blob_at(self, sha: str, path: str) -> tuple[str, str] | None: ...

    def shallow_commits(self) -> frozenset[str]: ...


def unreadable(f: Finding | Diagnostic) -> bool:
    """A loader error that leaves a file's content unchecked (it does not parse, it is over the size
    limit, ...), as opposed to an object defined twice or a policy that could not run."""
    if isinstance(f, Finding):
        return f.on_file and f.severity == "error" and f.policy not in (DUPLICATE, POLICY_ERROR)
    return f.resource is None and f.severity == "error" and f.id not in (DUPLICATE, POLICY_ERROR)


def broken_since(history: History, diagnostics_of: Callable[[str, str, str], tuple[Diagnostic, ...]],
                 path: str, rev: str) -> str:
    """`since <commit>`: the first-parent commit up to rev that made `path` unreadable, or `before
    <commit>` when the history stops first (a shallow clone's oldest commit)."""
    last = rev
    for sha, parent in history.path_commits(rev, path, SEARCH_LIMIT):
        last = sha
        if parent is None:
            if sha in history.shallow_commits():
                return f"before {sha[:12]} (the oldest commit available)"
            return f"since {sha[:12]}"
        found = history.blob_at(parent, path)
        if found is None or not any(unreadable(d) for d in diagnostics_of(path, *found)):
            return f"since {sha[:12]}"
    return f"before {last[:12]}"


def finding(f: Finding, since: str) -> Finding:
    """The warning on a change that edits the still unreadable file of finding f."""
    when = f" {since}" if since else ""
    return Finding(f.file, f.line, UNCHECKED,
                   f"this change edits {f.file}, which cannot be read{when} (line {f.line}: {f.message}); "
                   "what the change wrote there was not checked",
                   "warning", None, "none", UNCHECKED)
