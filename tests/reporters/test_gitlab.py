from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import gitlab

from .data import C1, C2, CRASH, DETACH, PARSE


def issues(report: Report) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(gitlab.render(report))
    assert isinstance(data, list)
    return data


def test_fields_gitlab_reads(report: Report) -> None:
    out = issues(report)
    for issue in out:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str)
        assert len(issue["fingerprint"]) == 32 and int(issue["fingerprint"], 16) >= 0
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in out}) == len(out)  # GitLab shows only the first of a fingerprint


def test_fingerprint_is_md5_of_key() -> None:
    expected = hashlib.md5(json.dumps(list(DETACH.key), separators=(",", ":")).encode()).hexdigest()
    out = issues(Report(commits=(CommitResult(C1, None, "s", "fail", (DETACH,)),)))
    assert out[0]["fingerprint"] == expected


def test_fingerprint_stable_when_lines_move(make_report: Callable[..., Report],
                                            make_finding: Callable[..., Finding]) -> None:
    f = make_finding()
    a = issues(make_report(f))[0]
    b = issues(make_report(replace(f, line=99, message="reworded")))[0]
    assert a["fingerprint"] == b["fingerprint"] and b["location"]["lines"]["begin"] == 99


@pytest.mark.parametrize(("finding", "severity"), [
    (PARSE, "major"),
    (replace(PARSE, severity="warning"), "minor"),
    (replace(PARSE, severity="info"), "info"),
    (CRASH, "critical"),
])
def test_severity_map(finding: Finding, severity: str) -> None:
    r = Report(commits=(CommitResult(C1, None, "s", "fail", (finding,)),), head_files=frozenset({finding.file}))
    assert issues(r)[0]["severity"] == severity


def test_suppressed_left_out_relocated_and_deduplicated(report: Report) -> None:
    out = issues(report)
    assert all(i["check_name"] != "route-naming" for i in out)
    backend = next(i for i in out if i["check_name"] == "backends-resolve")
    assert backend["location"] == {"path": "routes/v2.yaml", "lines": {"begin": 5}}
    detach = [i for i in out if i["check_name"] == "no-in-place-detach"]
    assert len(detach) == 2  # two keys, each once although commit 3 repeats commit 2's
    assert all("no longer exists" in i["description"] for i in detach)


def test_same_key_twice_is_one_issue(make_finding: Callable[..., Finding]) -> None:
    f = make_finding()
    r = Report(commits=(CommitResult(C1, None, "a", "fail", (f,)), CommitResult(C2, C1, "b", "fail", (f,))),
               head_files=frozenset({f.file}))
    assert len(issues(r)) == 1
