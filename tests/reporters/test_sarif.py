from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.diagnostics import RESERVED
from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import sarif

from .data import C1, C2, ROUTE, ROUTE_V2


def validate(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(schema).validate(doc)


def run_of(report: Report) -> dict[str, Any]:
    doc = json.loads(sarif.render(report))
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


def test_validates_against_official_schema(report: Report, sarif_schema: dict[str, Any]) -> None:
    doc = json.loads(sarif.render(report))
    validate(doc, sarif_schema)
    assert doc["version"] == "2.1.0"


def test_driver_and_rules(report: Report) -> None:
    run = run_of(report)
    driver = run["tool"]["driver"]
    assert driver["name"] == "policycheck" and driver["version"] == "0.1.0"
    rules = {r["id"]: r for r in driver["rules"]}
    # every policy, including those that found nothing, and every reserved id
    assert set(rules) == {p.id for p in report.policies} | set(RESERVED)
    detach = rules["no-in-place-detach"]
    assert detach["name"] == "NoInPlaceDetach"
    assert detach["shortDescription"]["text"] == "No in place detach"
    assert "linkerd/linkerd2#13280" in detach["fullDescription"]["text"]
    assert "How to fix: Create a route under a new name and delete the old one." in detach["help"]["text"]
    assert "## How to fix" in detach["help"]["markdown"]
    assert detach["defaultConfiguration"]["level"] == "error"
    assert rules["route-naming"]["defaultConfiguration"]["level"] == "warning"
    assert rules["manifest-parse-error"]["shortDescription"]["text"] == "Manifest does not parse"
    assert rules["manifest-parse-error"]["fullDescription"]["text"].startswith("A file with a YAML name")


def test_every_rule_is_described_for_code_scanning(report: Report) -> None:
    """GitHub shows name, title, description and help; a title equal to the description says nothing."""
    for rule in run_of(report)["tool"]["driver"]["rules"]:
        assert rule["name"] and rule["name"][0].isupper(), rule["id"]
        assert rule["shortDescription"]["text"] != rule["fullDescription"]["text"], rule["id"]
        assert rule["help"]["text"] and rule["help"]["markdown"], rule["id"]
        assert "How to fix" in rule["help"]["text"] and "## Why" in rule["help"]["markdown"], rule["id"]


def test_builtin_rules_have_titles_and_examples() -> None:
    from policycheck.config import Config
    from policycheck.setup_run import load_policies, policy_infos

    infos = policy_infos(load_policies(Config(), (), None, None, None))
    run = run_of(Report((), infos))
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["parent-exists"]["shortDescription"]["text"] == "Every parentRef names a parent that exists"
    for pid in (*(p.id for p in infos), *RESERVED):
        assert "```yaml" in rules[pid]["help"]["markdown"], pid


def test_baseline_states_and_info_notes(make_finding: Callable[..., Finding]) -> None:
    kept, fixed, added = make_finding(ref="kept"), make_finding(ref="fixed", line=20), make_finding(ref="added")
    note = Finding("docs/mkdocs.yml", 1, "not-kubernetes", "not a Kubernetes manifest", "info")
    report = Report((CommitResult(C1, None, "s", "fail", (added,)),), head_files=frozenset({"routes/a.yaml"}),
                    head_findings=(kept, added, note), base_findings=(kept, fixed, note))
    run = run_of(report)
    assert sorted(r["baselineState"] for r in run["results"]) == ["absent", "new", "unchanged"]
    assert all(r["ruleId"] != "not-kubernetes" for r in run["results"])
    by_state = {r["baselineState"]: r for r in run["results"]}
    assert by_state["absent"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 20
    assert by_state["new"]["properties"]["new"] is True and by_state["unchanged"]["properties"]["new"] is False


def test_rule_index_points_at_rule(report: Report) -> None:
    run = run_of(report)
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    for n in run["invocations"][0]["toolExecutionNotifications"]:
        if "associatedRule" in n:
            assert rules[n["associatedRule"]["index"]]["id"] == n["associatedRule"]["id"]


def test_levels(make_report: Callable[..., Report], make_finding: Callable[..., Finding]) -> None:
    findings = [make_finding(severity=s, ref=s) for s in ("error", "warning", "info")]
    run = run_of(make_report(*findings))
    assert sorted(r["level"] for r in run["results"]) == ["error", "note", "warning"]


def test_locations_at_head(report: Report) -> None:
    run = run_of(report)
    by_rule = {r["ruleId"]: r for r in run["results"]}
    loc = by_rule["manifest-parse-error"]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "routes/broken.yaml", "uriBaseId": "%SRCROOT%"},
                   "region": {"startLine": 3}}
    # routes/v2-draft.yaml is gone at the head: relocated to where the object now stands
    moved = by_rule["backends-resolve"]
    assert moved["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "routes/v2.yaml"
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert moved["properties"]["reportedAt"] == "routes/v2-draft.yaml:14"
    assert all(not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("routes/test-route")
               for r in run["results"])


def test_unlocatable_findings_become_notifications(report: Report) -> None:
    run = run_of(report)
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is True
    # test-route.yaml and its HTTPRoute are both gone at the head: 4 keys (2 detach, parent, suppressed naming)
    assert sorted(n["associatedRule"]["id"] for n in notes) == [
        "no-in-place-detach", "no-in-place-detach", "parent-exists", "route-naming"]
    assert all(n["descriptor"]["id"] == "finding-not-located" for n in notes)
    assert all("routes/test-route.yaml:" in n["message"]["text"] for n in notes)
    assert {n["associatedRule"]["id"]: n["level"] for n in notes} == {
        "no-in-place-detach": "error", "parent-exists": "error", "route-naming": "note"}  # suppressed: a note
    naming = next(n for n in notes if n["associatedRule"]["id"] == "route-naming")
    assert naming["message"]["text"].endswith("; suppressed: legacy name, renamed in PLAT-12")


def test_file_present_keeps_own_location(make_finding: Callable[..., Finding]) -> None:
    f = make_finding(file="routes/a.yaml", line=9)
    r = Report(commits=(CommitResult(C1, None, "s", "fail", (f,)),), head_files=frozenset({"routes/a.yaml"}),
               head_objects={(ROUTE.group, ROUTE.kind, ROUTE.namespace, ROUTE.name): ("routes/b.yaml", 2)})
    loc = run_of(r)["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "routes/a.yaml" and loc["region"]["startLine"] == 9


def test_deduplicated_across_commits(make_finding: Callable[..., Finding]) -> None:
    """The same key in two commits is one result, at the later commit's place and wording."""
    first = make_finding(line=9, message="old wording")
    later = make_finding(line=12, message="new wording", new=False)
    r = Report(
        commits=(CommitResult(C1, None, "a", "fail", (first,)), CommitResult(C2, C1, "b", "pass", (later,))),
        head_files=frozenset({"routes/a.yaml"}),
    )
    results = run_of(r)["results"]
    assert len(results) == 1
    assert results[0]["message"]["text"] == "new wording"
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert results[0]["properties"]["commit"] == C2


def test_fingerprints_stable_when_lines_move(make_report: Callable[..., Report],
                                             make_finding: Callable[..., Finding]) -> None:
    def fp(f: Finding) -> str:
        value: str = run_of(make_report(f))["results"][0]["partialFingerprints"][sarif.FINGERPRINT]
        return value

    base = make_finding()
    assert fp(base) == fp(replace(base, line=40)) == fp(replace(base, message="reworded"))
    assert fp(base) == fp(replace(base, resource=replace(ROUTE, api_version="gateway.networking.k8s.io/v1")))
    assert fp(base) != fp(replace(base, ref="Service/default/other:80"))
    assert fp(base) != fp(replace(base, policy="no-in-place-detach"))
    assert fp(base) != fp(replace(base, resource=ROUTE_V2))
    assert len(fp(base)) == 64


def test_suppressed_results(report: Report) -> None:
    run = run_of(report)
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["route-naming"]
    assert suppressed[0]["suppressions"] == [{"kind": "inSource"}]  # no reason given
    f = replace(report.commits[4].findings[2], suppression_reason="renamed next sprint")
    c = replace(report.commits[4], findings=(f,))
    run = run_of(replace(report, commits=(c,)))
    assert run["results"][0]["suppressions"] == [{"kind": "inSource", "justification": "renamed next sprint"}]


def test_result_limit(make_finding: Callable[..., Finding], sarif_schema: dict[str, Any]) -> None:
    n = sarif.MAX_RESULTS + 7
    warnings = [make_finding(severity="warning", ref=f"w{i}", line=i + 1) for i in range(n - 3)]
    errors = [make_finding(severity="error", ref=f"e{i}", line=100_000 + i) for i in range(3)]
    r = Report(commits=(CommitResult(C1, None, "big", "fail", (*warnings, *errors)),),
               head_files=frozenset({"routes/a.yaml"}))
    doc = json.loads(sarif.render(r))
    validate(doc, sarif_schema)
    run = doc["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert sum(1 for x in run["results"] if x["level"] == "error") == 3  # the most severe are kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [x["descriptor"]["id"] for x in notes] == ["results-truncated"]
    assert f"{n} results found" in notes[0]["message"]["text"] and "7 were left out" in notes[0]["message"]["text"]
    lines = [x["locations"][0]["physicalLocation"]["region"]["startLine"] for x in run["results"]]
    assert lines == sorted(lines)


def test_at_the_limit_no_notification(make_finding: Callable[..., Finding]) -> None:
    fs = [make_finding(ref=str(i)) for i in range(5)]
    r = Report(commits=(CommitResult(C1, None, "s", "fail", tuple(fs)),), head_files=frozenset({"routes/a.yaml"}))
    run = sarif.as_dict(r, max_results=5)["runs"][0]
    assert len(run["results"]) == 5 and run["invocations"][0]["toolExecutionNotifications"] == []


@pytest.mark.parametrize(("path", "uri"), [
    ("routes/a b.yaml", "routes/a%20b.yaml"),
    ("routes/100%.yaml", "routes/100%25.yaml"),
    ("routes/x#1.yaml", "routes/x%231.yaml"),
    ("a:b.yaml", "a%3Ab.yaml"),
    ("routes/a,b.yaml", "routes/a,b.yaml"),
    ("routes/é.yaml", "routes/%C3%A9.yaml"),
])
def test_uri_escaping(path: str, uri: str, make_report: Callable[..., Report],
                      make_finding: Callable[..., Finding], sarif_schema: dict[str, Any]) -> None:
    doc = json.loads(sarif.render(make_report(make_finding(file=path, message="a %, b\nc: d"))))
    validate(doc, sarif_schema)
    result = doc["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
    assert result["message"]["text"] == "a %, b\nc: d"


def test_resourceless_finding_without_file_at_head(make_finding: Callable[..., Finding]) -> None:
    f = make_finding(policy="manifest-parse-error", resource=None, file="gone.yaml", ref="")
    run = run_of(Report(commits=(CommitResult(C1, None, "s", "fail", (f,)),)))
    assert run["results"] == []
    assert run["invocations"][0]["toolExecutionNotifications"][0]["associatedRule"]["id"] == "manifest-parse-error"


texts = st.text(max_size=30)  # any Unicode text but lone surrogates


@settings(max_examples=40, deadline=None)
@given(path=texts, message=texts, policy=texts.filter(bool), at_head=st.booleans())
def test_any_text_validates(make_finding: Callable[..., Finding], sarif_schema: dict[str, Any], path: str,
                            message: str, policy: str, at_head: bool) -> None:
    f = make_finding(file=path, message=message, policy=policy)
    r = Report(commits=(CommitResult(C1, None, "s", "fail", (f,)),),
               head_files=frozenset({path}) if at_head else frozenset())
    validate(json.loads(sarif.render(r)), sarif_schema)
