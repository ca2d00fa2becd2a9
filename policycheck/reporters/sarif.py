"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

Choices that follow from how code scanning reads an upload:

- Exactly one run: code scanning rejects several runs of one tool and category
  in an upload.
- A rule for every policy, including those that found nothing, so that code
  scanning can tell "ran and found nothing" (close the alert) from "unknown
  rule"; and for every id a result uses (reserved loader ids), so every
  `ruleIndex` points at a rule.
- Results are placed as the files stand at the last evaluated commit, since
  that is the tree the upload is attached to. A finding whose file is gone is
  placed at its object's new position, or, failing that, reported as a
  run-level notification (a result needs a location in that tree).
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

from policycheck.findings import PolicyInfo, Report
from policycheck.reporters.common import HeadFinding, head_view, key_digest, policy_table, severity_rank

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_RESULTS = 5000
FINGERPRINT = "policycheck/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def uri(path: str) -> str:
    """A repository-relative path as a URI reference: `%`, `#`, `?`, spaces and `:` percent-encoded.

    A `:` must go too: `a:b.yaml` would otherwise read as a URI with scheme `a`."""
    return quote(path, safe="/!$&'()*+,;=@-._~")


def _rule(p: PolicyInfo) -> dict[str, Any]:
    short = p.description.strip().splitlines()[0] if p.description.strip() else p.id
    rule: dict[str, Any] = {
        "id": p.id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": p.description.strip() or p.id},
        "help": {"text": p.help.strip() or p.description.strip() or p.id},
        "defaultConfiguration": {"level": level(p.severity)},
    }
    if p.source:
        rule["properties"] = {"source": p.source}
    return rule


def _result(h: HeadFinding, index: dict[str, int]) -> dict[str, Any]:
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
    props: dict[str, Any] = {"commit": h.commit.commit, "new": f.new, "operation": f.operation}
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


def _priority(h: HeadFinding) -> tuple[bool, int, bool, str, int, str]:
    """Which results to keep under the limit: unsuppressed, most severe, new first; then by place, for stability."""
    f = h.finding
    return (f.suppressed, severity_rank(f.severity), not f.new, h.file, h.line, key_digest(f))


def as_dict(report: Report, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    policies = policy_table(report)
    index = {pid: i for i, pid in enumerate(policies)}
    view = head_view(report)
    located = [h for h in view if h.located]
    notifications = [_not_located(h, index) for h in view if not h.located]
    if len(located) > max_results:
        kept = sorted(located, key=_priority)[:max_results]
        notifications.append({
            "level": "warning",
            "message": {"text": f"{len(located)} results found; only the {max_results} most severe are included "
                                f"(code scanning keeps at most {max_results} results per run); "
                                f"{len(located) - max_results} were left out."},
            "descriptor": {"id": "results-truncated"},
        })
        kept_ids = {id(h) for h in kept}
        located = [h for h in located if id(h) in kept_ids]
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
                "results": [_result(h, index) for h in located],
                "properties": {"result": report.result, "commits": [c.commit for c in report.commits]},
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
