"""The JSON report: the shape of issue 2, described by `policycheck/schemas/report.schema.json`.

Named json_report rather than json so that no tool ever confuses it with the
standard library module. Keys are camelCase where they are policycheck's own
(as in Finding.as_dict); lists are sorted so two runs over the same history
give the same bytes. Output is ASCII (non-ASCII escaped), so it survives any
stdout encoding.
"""

from __future__ import annotations

import json
from typing import Any

from policycheck.findings import CommitResult, Report, Suppression
from policycheck.reporters.common import sorted_findings

SCHEMA = "report.schema.json"  # in policycheck/schemas/


def _suppression(s: Suppression) -> dict[str, Any]:
    return {
        "file": s.file,
        "line": s.line,
        "resource": s.resource.as_dict(),
        "policies": sorted(s.policies),
        "reason": s.reason,
    }


def _commit(c: CommitResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "commit": c.commit,
        "parent": c.parent,
        "subject": c.subject,
        "result": c.result,
        "preexisting": c.preexisting,
        "findings": [f.as_dict() for f in sorted_findings(c.findings)],
        "changes": dict(sorted(c.changes.items())),
        "suppressions": [
            _suppression(s) for s in sorted(c.added_suppressions, key=lambda s: (s.file, s.line, s.resource))
        ],
    }
    if c.all_findings is not None:
        out["all"] = [f.as_dict() for f in sorted_findings(c.all_findings)]
    return out


def as_dict(report: Report) -> dict[str, Any]:
    """The report as plain data (what render() serialises; handy for tests and for embedding)."""
    return {
        "result": report.result,
        "failOn": report.fail_on,
        "version": report.tool_version,
        "commits": [_commit(c) for c in report.commits],
        "policies": [
            {"id": p.id, "severity": p.severity, "description": p.description, "help": p.help, "source": p.source}
            for p in sorted(report.policies, key=lambda p: p.id)
        ],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
