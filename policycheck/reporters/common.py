"""What several formats need to agree on: ordering, which findings fail, where a finding stands at the head.

Formats differ in layout, not in judgment: the text report, JUnit and the GitHub
annotations must call the same findings failing, and SARIF, GitLab and the
annotations must place the same finding at the same head location. Keeping
those rules here is what keeps the formats consistent with each other.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from policycheck.diagnostics import (
    DUPLICATE,
    NOT_KUBERNETES,
    PARSE_ERROR,
    POLICY_ERROR,
    RESERVED,
    RESERVED_HELP,
    SKIPPED,
    UNCHECKED,
)
from policycheck.findings import CommitResult, Finding, PolicyInfo, Report

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# Default severities of the loader's reserved ids, for rules and test cases when
# no finding of that id tells us better (see policycheck.diagnostics).
RESERVED_SEVERITY = {PARSE_ERROR: "error", SKIPPED: "warning", DUPLICATE: "error", POLICY_ERROR: "error",
                     NOT_KUBERNETES: "info", UNCHECKED: "warning"}

# Findings that mean a check could not run, as opposed to a check that ran and
# found a problem: JUnit reports them as <error>, not <failure>.
COULD_NOT_RUN = frozenset({POLICY_ERROR})


def severity_rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, len(SEVERITY_RANK))


def finding_sort_key(f: Finding) -> tuple[str, int, str, str, str, str, str]:
    """Total order on findings that never compares a ResourceRef with None (dataclass order would raise)."""
    return (f.file, f.line, f.policy, f.message, f.severity, str(f.resource or ""), f.ref)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def listed(commit: CommitResult) -> tuple[Finding, ...]:
    """The findings a commit shows: everything under --all, else the new ones and those on changed objects."""
    return commit.all_findings if commit.all_findings is not None else commit.findings


# The loader's informational notes: a file no deploy root reaches, YAML that is not Kubernetes.
NOTES = frozenset({"not-deployed", "not-kubernetes"})


def is_note(f: Finding) -> bool:
    """An informational note of the loader, not a problem: no code scanning alert is made of it."""
    return f.policy in NOTES or (f.severity == "info" and f.resource is None)


def could_not_run(f: Finding) -> bool:
    return f.policy in COULD_NOT_RUN


def fails(f: Finding) -> bool:
    """Whether this finding fails its commit, as the runner decided (policycheck.verdict): formats render
    that decision and never derive their own, so JUnit, annotations and the exit code cannot disagree."""
    return f.fails


def failing(commit: CommitResult) -> list[Finding]:
    """The listed findings that fail the commit (some exactly when the commit fails)."""
    return [f for f in listed(commit) if f.fails]


def title(commit: CommitResult) -> str:
    """`<short sha> <subject>`, or the short sha alone (STAGED, WORKTREE, no subject)."""
    return f"{commit.short} {commit.subject}" if commit.subject else commit.short


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def key_digest(f: Finding, algorithm: str = "sha256") -> str:
    """A hex digest of Finding.key: stable when lines move or messages are reworded, unlike a location hash."""
    data = json.dumps(list(f.key), ensure_ascii=True, separators=(",", ":"))
    return hashlib.new(algorithm, data.encode("utf-8"), usedforsecurity=False).hexdigest()


# Controls, and the bytes of a name that is not UTF-8 (Git's paths are bytes: they are read with
# surrogateescape, byte 0xNN becoming U+DCNN, so `& 0xFF` gives back the byte).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\udc80-\udcff]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")
# The same bytes as `json.dumps` (ensure_ascii) escapes them, after an even number of backslashes.
_JSON_UNDECODABLE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def visible_controls(text: str) -> str:
    """Control characters and undecodable bytes as `\\xNN`: a manifest path or message must not drive a
    terminal or break XML, and a file name that is not UTF-8 is shown as the bytes it is."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)


def visible_bytes(text: str) -> str:
    """Undecodable bytes (only) as `\\xNN`: whatever a format quoted its own way, no surrogate is left
    to break the UTF-8 that is written."""
    return text if text.isascii() else _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)


def visible_json(text: str) -> str:
    """JSON text (ASCII, as `json.dumps` writes it) whose undecodable bytes read `\\xNN`, as in the other
    formats: a lone surrogate escape is no Unicode text, and strict JSON readers refuse it."""
    return _JSON_UNDECODABLE.sub(r"\1\\\\x\2", text) if "\\udc" in text else text


def one_line(text: str) -> str:
    """Collapse line breaks to ` / ` for formats whose every finding is one line or one cell."""
    return " / ".join(part for part in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


# --- policies -------------------------------------------------------------------------------------------------------


def policy_table(report: Report) -> dict[str, PolicyInfo]:
    """Every policy the report knows, plus any id a finding uses that is not in report.policies.

    Reserved loader ids (manifest-parse-error, ...) and policies that were not
    loaded still need a rule (SARIF) or a test case (JUnit), or results would
    point at rules that do not exist. Sorted by id so the output is stable.
    """
    table = {p.id: p for p in report.policies}
    severities: dict[str, str] = {}
    for commit in report.commits:
        for f in listed(commit):
            if f.policy not in table:
                current = severities.get(f.policy)
                if current is None or severity_rank(f.severity) < severity_rank(current):
                    severities[f.policy] = f.severity
    for pid, severity in severities.items():
        description = RESERVED.get(pid, f"Findings reported under `{pid}`.")
        title_, fix, example = RESERVED_HELP.get(pid, ("", "", ""))
        table[pid] = PolicyInfo(pid, RESERVED_SEVERITY.get(pid, severity), description, fix, title=title_,
                                example=example)
    return dict(sorted(table.items()))


# --- the head view --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadFinding:
    """A finding deduplicated across commits and placed as the files stand at the last evaluated state.

    `located` is false when neither the file nor the object exists there: the
    finding has no place in the head tree and formats that annotate the tree
    must report it some other way (a SARIF notification, say).
    """

    finding: Finding
    commit: CommitResult  # the last commit that reported it
    file: str
    line: int
    located: bool
    relocated: bool


def head_view(report: Report) -> list[HeadFinding]:
    """One entry per Finding.key over every commit, the latest occurrence winning, located at the head.

    Commits come parents first, so a later commit's finding is the more current
    wording of the same problem. Located by the rule of issue 5: the finding's
    own file if it still exists at the head; else the object's position there
    (report.head_objects); else nowhere.
    """
    latest: dict[tuple[str, ...], tuple[Finding, CommitResult]] = {}
    for commit in report.commits:
        seen: set[tuple[str, ...]] = set()
        for f in sorted_findings(listed(commit)):
            if f.key in seen:  # a key twice in one commit: keep the first in order
                continue
            seen.add(f.key)
            latest[f.key] = (f, commit)
    out: list[HeadFinding] = []
    for f, commit in latest.values():
        if f.file in report.head_files:
            out.append(HeadFinding(f, commit, f.file, max(1, f.line), True, False))
            continue
        r = f.resource
        where = report.head_objects.get((r.group, r.kind, r.namespace, r.name)) if r is not None else None
        if where is not None:
            out.append(HeadFinding(f, commit, where[0], max(1, where[1]), True, True))
        else:
            out.append(HeadFinding(f, commit, f.file, max(1, f.line), False, False))
    out.sort(key=lambda h: (h.file, h.line, finding_sort_key(h.finding)))
    return out
