"""What a run found: findings, per-commit results, the report. Reporters read only these.

Findings are frozen and ordered by (file, line, policy, message), so every
output format is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from policycheck.diagnostics import DUPLICATE

if TYPE_CHECKING:
    from policycheck.model import Resource

SEVERITIES = ("error", "warning", "info")
PASS, FAIL = "pass", "fail"
STAGED, WORKTREE = "STAGED", "WORKTREE"


@dataclass(frozen=True, order=True)
class ResourceRef:
    """The object a finding concerns, as a user would name it."""

    kind: str
    namespace: str
    name: str
    api_version: str
    group: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def ref_of(res: Resource) -> ResourceRef:
    return ResourceRef(res.key.kind, res.key.namespace, res.key.name, res.api_version, res.key.group)


class Locatable(Protocol):
    """What a finding's line is read from: a resource and its locator."""

    def line_of(self, *path: str | int) -> int:
        """Line of a nested node, falling back to the nearest ancestor that exists."""


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    policy: str
    message: str
    severity: str
    resource: ResourceRef | None = None
    operation: str = "none"  # create | update | delete | none
    # The reference the finding concerns, after defaults (part of its identity).
    ref: str = ""
    new: bool = True
    suppressed: bool = False
    suppression_reason: str = ""
    # Whether this finding fails the commit that lists it: decided once, by the runner's verdict
    # rule (policycheck.verdict), and only rendered by reporters.
    fails: bool = False
    # Until `located()`: the resource and the path inside it that `line` stands for (then 0).
    # A line costs composing the file's node tree, and most findings are carried from commit
    # to commit without ever being shown.
    where: tuple[Locatable, tuple[str | int, ...]] | None = field(default=None, compare=False, repr=False)

    def located(self, new: bool | None = None, fails: bool | None = None) -> Finding:
        """This finding with its line known (and `new` and `fails` set, when given)."""
        if self.where is None and (new is None or new == self.new) and (fails is None or fails == self.fails):
            return self
        line = self.line if self.where is None else self.where[0].line_of(*self.where[1])
        return replace(self, line=line, where=None, new=self.new if new is None else new,
                       fails=self.fails if fails is None else fails)

    @property
    def on_file(self) -> bool:
        """Whether the finding is about a file as read (a loader diagnostic), even when it names the
        object concerned: each extra copy of an object is its own finding, where the copy is."""
        return self.resource is None or self.policy == DUPLICATE

    @cached_property
    def key(self) -> tuple[str, str, str, str, str, str]:
        """Identity across commits: not the message, not the apiVersion, not the line."""
        r = self.resource
        if r is None or self.on_file:
            return (self.policy, "", "", "", self.file, self.ref or self.message)
        return (self.policy, r.group, r.kind, r.namespace, r.name, self.ref)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "severity": self.severity,
            "new": self.new,
            "fails": self.fails,
            "message": self.message,
            "resource": self.resource.as_dict() if self.resource else None,
            "operation": self.operation,
            "file": self.file,
            "line": self.line,
        }
        if self.ref:
            out["ref"] = self.ref
        if self.suppressed:
            out["suppressed"] = True
            out["suppressionReason"] = self.suppression_reason
        return out


@dataclass(frozen=True)
class Suppression:
    """An ignore annotation that the change under check added."""

    file: str
    line: int
    resource: ResourceRef
    policies: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class CommitResult:
    commit: str  # full sha | STAGED | WORKTREE
    parent: str | None
    subject: str | None
    result: str  # pass | fail
    findings: tuple[Finding, ...]  # listed: new ones and those on changed objects
    preexisting: int = 0  # findings carried over from the parent state, not listed
    changes: dict[str, int] = field(default_factory=dict)  # created/updated/deleted counts
    added_suppressions: tuple[Suppression, ...] = ()
    # Everything, listed findings included, when the run was asked for --all.
    all_findings: tuple[Finding, ...] | None = None

    @property
    def short(self) -> str:
        return self.commit[:12] if len(self.commit) in (40, 64) else self.commit  # SHA-1 or SHA-256


@dataclass(frozen=True)
class PolicyInfo:
    """A policy's description for reporters (SARIF rules, JUnit test cases)."""

    id: str
    severity: str
    description: str
    help: str = ""
    source: str = ""
    title: str = ""
    rationale: str = ""
    example: str = ""


@dataclass(frozen=True)
class Report:
    commits: tuple[CommitResult, ...]
    policies: tuple[PolicyInfo, ...] = ()
    fail_on: str = "new"
    # Files that exist at the last evaluated state, and where each object stands
    # there, so reporters that annotate the head (SARIF) can relocate findings.
    head_files: frozenset[str] = frozenset()
    head_objects: dict[tuple[str, str, str, str], tuple[str, int]] = field(default_factory=dict)
    tool_version: str = ""
    # Every finding at the last evaluated state, and at the state the range starts from (the
    # merge base with --base), when the run was asked for them (None: not computed). SARIF
    # needs both: code scanning closes an alert missing from the latest analysis.
    head_findings: tuple[Finding, ...] | None = None
    base_findings: tuple[Finding, ...] | None = None

    @property
    def result(self) -> str:
        return FAIL if any(c.result == FAIL for c in self.commits) else PASS
