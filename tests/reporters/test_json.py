from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import json_report


def load_schema() -> dict[str, Any]:
    """The schema as the installed package ships it (policycheck/schemas/*.json is package data)."""
    path = resources.files("policycheck").joinpath("schemas").joinpath(json_report.SCHEMA)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data = load_schema()
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def validate(doc: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_shape(report: Report, schema: dict[str, Any]) -> None:
    doc = json.loads(json_report.render(report))
    validate(doc, schema)
    assert doc["result"] == "fail" and doc["version"] == "0.1.0" and doc["failOn"] == "new"
    assert [c["commit"] for c in doc["commits"]] == [c.commit for c in report.commits]
    assert [c["result"] for c in doc["commits"]] == ["pass", "fail", "fail", "pass", "fail", "fail"]
    second = doc["commits"][1]
    assert second["preexisting"] == 1
    assert second["changes"] == {"updated": 1}
    assert second["suppressions"] == [{
        "file": "routes/test-route.yaml", "line": 3,
        "resource": {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "HTTPRoute", "namespace": "default",
                     "name": "test-service-route"},
        "policies": ["route-naming"], "reason": "legacy name, renamed in PLAT-12"}]
    assert {f["policy"]: f["new"] for f in second["findings"]} == {"route-naming": True, "no-in-place-detach": True}
    assert "all" not in second
    staged = doc["commits"][-1]
    assert staged["subject"] is None and staged["parent"] == report.commits[-2].commit
    assert [p["id"] for p in doc["policies"]] == sorted(p.id for p in report.policies)


def test_findings_are_finding_as_dict(report: Report) -> None:
    doc = json_report.as_dict(report)
    for c, out in zip(report.commits, doc["commits"], strict=True):
        assert sorted(map(json.dumps, out["findings"])) == sorted(json.dumps(f.as_dict()) for f in c.findings)


def test_all_findings(report: Report, schema: dict[str, Any], make_finding: Callable[..., Finding]) -> None:
    extra = make_finding(new=False)
    c = replace(report.commits[2], all_findings=(*report.commits[2].findings, extra))
    doc = json.loads(json_report.render(replace(report, commits=(c,))))
    validate(doc, schema)
    assert len(doc["commits"][0]["all"]) == len(c.findings) + 1
    assert len(doc["commits"][0]["findings"]) == len(c.findings)


def test_worktree_and_empty(schema: dict[str, Any]) -> None:
    validate(json_report.as_dict(Report(commits=())), schema)
    wt = CommitResult("WORKTREE", None, None, "pass", ())
    validate(json_report.as_dict(Report(commits=(wt,))), schema)


def test_schema_rejects_drift(report: Report, schema: dict[str, Any]) -> None:
    """The schema is closed: an undocumented key or a bad value is caught, so schema and reporter stay in step."""
    doc = json_report.as_dict(report)
    doc["commits"][1]["findings"][0]["column"] = 3
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, schema)
    doc = json_report.as_dict(report)
    doc["commits"][1]["result"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, schema)


texts = st.text(max_size=40)  # any Unicode text but lone surrogates


@settings(max_examples=60, deadline=None)
@given(message=texts, path=texts, reason=texts, severity=st.sampled_from(["error", "warning", "info"]),
       new=st.booleans(), suppressed=st.booleans(), line=st.integers(0, 10**6))
def test_every_report_validates(make_report: Callable[..., Report], make_finding: Callable[..., Finding],
                                message: str, path: str, reason: str, severity: str, new: bool, suppressed: bool,
                                line: int) -> None:
    f = make_finding(file=path, line=line, message=message, severity=severity, new=new, suppressed=suppressed,
                     suppression_reason=reason if suppressed else "")
    doc = json.loads(json_report.render(make_report(f)))
    validate(doc, load_schema())
    assert doc["commits"][0]["findings"][0]["message"] == message
