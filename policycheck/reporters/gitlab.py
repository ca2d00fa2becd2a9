"""GitLab Code Quality report (`artifacts: reports: codequality`).

A JSON array of issues with the fields GitLab reads: `description`,
`check_name`, `fingerprint`, `severity`, `location.path`,
`location.lines.begin` (plus Code Climate's `type`, `categories` and
`engine_name`, which GitLab ignores and other Code Climate readers require).

GitLab compares the merge request's report with the target branch's by
fingerprint and shows only the first issue of any fingerprint, so:
- the fingerprint is the MD5 of Finding.key (stable when lines move or
  messages change), and each key appears once, however many commits reported
  it (common.head_view);
- locations are those of the merge request's head, where the widget links.

Severity: error -> major, warning -> minor, info -> info; a check that could
not run -> critical, because then nothing is known about what it guards.
Suppressed findings are left out: the widget has no notion of suppression.
"""

from __future__ import annotations

import json
from typing import Any

from policycheck.findings import Report
from policycheck.reporters.common import HeadFinding, could_not_run, head_view, key_digest

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def severity(h: HeadFinding) -> str:
    if could_not_run(h.finding):
        return "critical"
    return SEVERITIES.get(h.finding.severity, "minor")


def _issue(h: HeadFinding) -> dict[str, Any]:
    f = h.finding
    description = f.message or f.policy
    if not h.located:
        description += f" (reported at {f.file}:{f.line} in {h.commit.short}; the file no longer exists)"
    return {
        "type": "issue",
        "engine_name": "policycheck",
        "check_name": f.policy,
        "description": description,
        "categories": ["Bug Risk"],
        "fingerprint": key_digest(f, "md5"),
        "severity": severity(h),
        "location": {"path": h.file, "lines": {"begin": h.line}},
    }


def as_list(report: Report) -> list[dict[str, Any]]:
    return [_issue(h) for h in head_view(report) if not h.finding.suppressed]


def render(report: Report) -> str:
    return json.dumps(as_list(report), indent=2) + "\n"
