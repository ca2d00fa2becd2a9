"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

Choices that follow from how code scanning reads an upload:

- Exactly one run: code scanning rejects several runs of one tool and category
  in an upload.
- A rule for every policy and every reserved loader id, including those that
  found nothing, so that code scanning can tell "ran and found nothing" (close
  the alert) from "unknown rule", and every `ruleIndex` points at a rule. Each
  rule has a `name`, a short title distinct from its full description, and
  help as text and Markdown: why it matters, how to fix it, an example.
- Results are every finding at the last evaluated state, not only those the
  change introduced: code scanning matches alerts against the latest analysis
  of a branch and closes as fixed any alert it does not find there. Each
  carries `baselineState` relative to the state the range starts from (the
  merge base with --base): `new` (not there), `unchanged` (there too); a
  finding of the base the change fixed is an `absent` result. Informational
  notes of the loader (files not deployed, YAML that is not Kubernetes) are
  not results. A report made without those states (a hand-built one) falls
  back to the listed findings, placed as the files stand at the last commit:
  a finding whose file is gone is placed at its object's new position, or,
  failing that, reported as a run-level notification.
- Each result appears once, however many commits reported it
  (Finding.key identifies it across commits).
- `partialFingerprints` hashes Finding.key, not the line or the message, so
  moving a route or rewording a policy does not re-open an alert. The key name
  is ours and versioned ("policycheck/v1"); `primaryLocationLineHash` is left
  to code scanning, which computes and checks it itself.
- At most 5,000 results (code scanning keeps only the top 5,000 by severity):
  the most severe are kept and a notification says how many were dropped.
- Suppressed findings stay in, with `suppressions`, so the alert shows as
  suppressed rather than silently vanishing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from policycheck.diagnostics import RESERVED, RESERVED_HELP
from policycheck.findings import Finding, PolicyInfo, Report
from policycheck.reporters.common import (
    RESERVED_SEVERITY,
    HeadFinding,
    finding_sort_key,
    head_view,
    is_note,
    key_digest,
    policy_table,
    severity_rank,
)

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_RESULTS = 5000
FINGERPRINT = "policycheck/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
NEW, UNCHANGED, ABSENT = "new", "unchanged", "absent"


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def uri(path: str) -> str:
    """A repository-relative path as a URI reference: `%`, `#`, `?`, spaces and `:` percent-encoded.

    A `:` must go too: `a:b.yaml` would otherwise read as a URI with scheme `a`."""
    return quote(path, safe="/!$&'()*+,;=@-._~", errors="surrogateescape")  # a name's own bytes


def rule_name(pid: str) -> str:
    """`parent-exists` -> `ParentExists`: SARIF's `name` is an identifier-like label, the id stays the key."""
    return "".join(part[:1].upper() + part[1:] for part in pid.split("-") if part) or pid


def _rules(report: Report) -> dict[str, PolicyInfo]:
    """The report's policies and every reserved loader id, sorted by id (a rule's index is its place here)."""
    table = policy_table(report)
    for pid, description in RESERVED.items():
        if pid not in table:
            title, fix, example = RESERVED_HELP.get(pid, ("", "", ""))
            table[pid] = PolicyInfo(pid, RESERVED_SEVERITY.get(pid, "error"), description, fix, title=title,
                                    example=example)
    return dict(sorted(table.items()))


def _rule(p: PolicyInfo) -> dict[str, Any]:
    description = " ".join(p.description.split()) or p.id
    short = " ".join(p.title.split()) or " ".join(p.id.split("-")).capitalize()
    full = description
    rationale = " ".join(p.rationale.split())
    if rationale and rationale not in full:
        full = f"{full} {rationale}"
    if full == short:
        full = f"{full} (policy {p.id})"
    fix = " ".join(p.help.split()) if p.help.strip() and p.help.strip() != p.rationale.strip() else (
        f"Change the object as the finding's message says, or suppress the finding on that object with the "
        f"annotation policycheck.io/ignore: \"{p.id}\" and a reason.")
    why = rationale or description
    text = [description, f"Why: {why}", f"How to fix: {fix}"]
    markdown = [f"**{short}**", description, f"## Why\n\n{why}", f"## How to fix\n\n{fix}"]
    if p.example.strip():
        text.append(f"Example:\n{p.example.rstrip()}")
        markdown.append(f"## Example\n\n```yaml\n{p.example.rstrip()}\n```")
    rule: dict[str, Any] = {
        "id": p.id,
        "name": rule_name(p.id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)},
        "defaultConfiguration": {"level": level(p.severity)},
    }
    if p.source:
        rule["properties"] = {"source": p.source}
    return rule


def _result(h: HeadFinding, index: dict[str, int], state: str | None = None) -> dict[str, Any]:
    f = h.finding
    result: dict[str, Any] = {
        "ruleId": f.policy,
        "ruleIndex": index[f.policy],
        "level": level(f.severity),
        "message": {"text": f.message or f.policy},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(h.file), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": h.line},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: key_digest(f)},
    }
    if state is not None:
        result["baselineState"] = state
    new = f.new if state is None else state == NEW
    props: dict[str, Any] = {"commit": h.commit.commit, "new": new, "fails": f.fails, "operation": f.operation}
    if f.resource is not None:
        props["resource"] = str(f.resource)
    if h.relocated:
        props["reportedAt"] = f"{f.file}:{f.line}"
    result["properties"] = props
    if f.suppressed:
        suppression: dict[str, Any] = {"kind": "inSource"}
        if f.suppression_reason:
            suppression["justification"] = f.suppression_reason
        result["suppressions"] = [suppression]
    return result


def _not_located(h: HeadFinding, index: dict[str, int]) -> dict[str, Any]:
    f = h.finding
    text = (
        f"{f.policy}: {f.message} (reported at {f.file}:{f.line} in {h.commit.short}; neither that file nor the "
        "object exists at the last evaluated commit, so it has no location there)"
    )
    if f.suppressed:
        text += f"; suppressed{': ' + f.suppression_reason if f.suppression_reason else ''}"
    return {
        "level": "note" if f.suppressed else level(f.severity),
        "message": {"text": text},
        "descriptor": {"id": "finding-not-located"},
        "associatedRule": {"id": f.policy, "index": index[f.policy]},
        "properties": {"fingerprint": key_digest(f)},
    }


def baseline_view(report: Report) -> list[tuple[HeadFinding, str]]:
    """Every finding at the head with its baseline state, then the base's findings the change fixed (absent).

    Empty without head findings; placed as the head stands (an absent finding at its
    object's head position when its file is gone, else where the base had it).
    """
    if report.head_findings is None or not report.commits:
        return []
    last = report.commits[-1]
    base = {f.key: f for f in report.base_findings or () if not is_note(f)}
    out: list[tuple[HeadFinding, str]] = []
    seen: set[tuple[str, ...]] = set()
    for f in report.head_findings:
        if is_note(f) or f.key in seen:
            continue
        seen.add(f.key)
        out.append((HeadFinding(f, last, f.file, max(1, f.line), True, False), UNCHANGED if f.key in base else NEW))
    for key, f in base.items():
        if key not in seen:
            out.append((_placed(report, f, last), ABSENT))
    return out


def _placed(report: Report, f: Finding, last: Any) -> HeadFinding:
    r = f.resource
    where = report.head_objects.get((r.group, r.kind, r.namespace, r.name)) if r is not None else None
    if f.file not in report.head_files and where is not None:
        return HeadFinding(f, last, where[0], max(1, where[1]), True, True)
    return HeadFinding(f, last, f.file, max(1, f.line), True, False)


def _priority(h: HeadFinding, state: str | None = None) -> tuple[bool, bool, int, bool, str, int, str]:
    """Which results to keep under the limit: unsuppressed, present, most severe, new first; then by place."""
    f = h.finding
    new = f.new if state is None else state == NEW
    return (f.suppressed, state == ABSENT, severity_rank(f.severity), not new, h.file, h.line, key_digest(f))


def as_dict(report: Report, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    policies = _rules(report)
    index = {pid: i for i, pid in enumerate(policies)}
    notifications: list[dict[str, Any]] = []
    entries: list[tuple[HeadFinding, str | None]]
    if report.head_findings is not None:
        entries = list(baseline_view(report))
    else:
        view = head_view(report)
        entries = [(h, None) for h in view if h.located and not is_note(h.finding)]
        notifications = [_not_located(h, index) for h in view if not h.located and not is_note(h.finding)]
    entries.sort(key=lambda e: (e[0].file, e[0].line, e[1] == ABSENT, finding_sort_key(e[0].finding)))
    if len(entries) > max_results:
        kept = sorted(entries, key=lambda e: _priority(*e))[:max_results]
        notifications.append({
            "level": "warning",
            "message": {"text": f"{len(entries)} results found; only the {max_results} most severe are included "
                                f"(code scanning keeps at most {max_results} results per run); "
                                f"{len(entries) - max_results} were left out."},
            "descriptor": {"id": "results-truncated"},
        })
        kept_ids = {id(h) for h, _ in kept}
        entries = [e for e in entries if id(e[0]) in kept_ids]
    driver: dict[str, Any] = {"name": "policycheck"}
    if report.tool_version:
        driver["version"] = report.tool_version
    driver["rules"] = [_rule(p) for p in policies.values()]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": [_result(h, index, state) for h, state in entries],
                "properties": {"result": report.result, "commits": [c.commit for c in report.commits]},
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
