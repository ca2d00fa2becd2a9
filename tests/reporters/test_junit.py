from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import junit
from policycheck.reporters.common import fails

from .data import C1


def parse(report: Report) -> ET.Element:
    out = junit.render(report)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(out.encode("utf-8"))


def test_one_suite_per_commit_one_case_per_policy(report: Report) -> None:
    root = parse(report)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "111111111111 Add services and test-service-route",
        "222222222222 Point the route at other-service",
        "333333333333 Point the route at a missing Service",
        "444444444444 Delete test-service-route",
        "555555555555 Add test-service-route-v2",
        "STAGED",
    ]
    expected = sorted({p.id for p in report.policies} | {"manifest-parse-error", "policy-runtime-error"})
    for s in suites:
        assert [c.get("classname") for c in s.findall("testcase")] == [f"policycheck.{p}" for p in expected]
        assert {c.get("name") for c in s.findall("testcase")} == {s.get("name")}


def test_case_names_unique_for_gitlab(report: Report) -> None:
    """GitLab keeps only the first case of a (classname, name) pair, across all suites of a file."""
    cases = [(c.get("classname"), c.get("name")) for c in parse(report).iter("testcase")]
    assert len(cases) == len(set(cases))


def test_counts_match_children(report: Report) -> None:
    root = parse(report)
    totals = [0, 0, 0]
    for s in root.findall("testsuite"):
        cases = s.findall("testcase")
        counts = [len(cases), sum(1 for c in cases if c.find("failure") is not None),
                  sum(1 for c in cases if c.find("error") is not None)]
        assert [int(s.get(k, "-1")) for k in ("tests", "failures", "errors")] == counts
        assert s.get("skipped") == "0"
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    assert [int(root.get(k, "-1")) for k in ("tests", "failures", "errors")] == totals == [36, 4, 1]


def test_failure_lists_failing_findings(report: Report) -> None:
    suite = parse(report).findall("testsuite")[2]
    case = suite.find("testcase[@classname='policycheck.no-in-place-detach']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "1 finding fails this commit"
    assert failure.get("type") == "no-in-place-detach"
    assert failure.text is not None and "default/other-service in place" in failure.text and "[new]" in failure.text
    out = case.find("system-out")  # the pre-existing one does not fail the commit under fail_on=new
    assert out is not None and out.text is not None and "[pre-existing]" in out.text
    naming = suite.find("testcase[@classname='policycheck.route-naming']")
    assert naming is not None and naming.find("failure") is None and naming.find("system-out") is not None


def test_fail_on_all_fails_preexisting_errors(report: Report) -> None:
    suite = parse(replace(report, fail_on="all")).findall("testsuite")[2]
    failure = suite.find("testcase[@classname='policycheck.no-in-place-detach']/failure")
    assert failure is not None and failure.get("message") == "2 findings fail this commit"


def test_error_when_a_check_could_not_run(report: Report) -> None:
    staged = parse(report).findall("testsuite")[-1]
    case = staged.find("testcase[@classname='policycheck.policy-runtime-error']")
    assert case is not None and case.find("failure") is None
    error = case.find("error")
    assert error is not None and error.get("message") == "1 check could not run"
    assert error.text is not None and "services/other.yaml:1" in error.text
    assert staged.findtext("system-out") == "2 pre-existing findings not listed"


def test_passing_commit_has_no_failures_even_with_warnings(make_finding: Callable[..., Finding]) -> None:
    f = make_finding(severity="warning")
    root = parse(Report(commits=(CommitResult(C1, None, "s", "pass", (f,)),)))
    assert root.get("failures") == "0" and root.get("errors") == "0"


def test_failed_commit_without_failing_finding_still_fails(make_finding: Callable[..., Finding]) -> None:
    """If the engine failed a commit for a reason no listed finding shows, JUnit must not turn it green."""
    root = parse(Report(commits=(CommitResult(C1, None, "s", "fail", (make_finding(severity="warning"),)),)))
    assert root.get("failures") == "1"
    assert root.find("testsuite/testcase[@classname='policycheck.result']/failure") is not None


def test_properties(report: Report) -> None:
    suite = parse(report).findall("testsuite")[1]
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"commit": "2" * 40, "parent": "1" * 40, "result": "fail"}


texts = st.text(max_size=40)


@settings(max_examples=80, deadline=None)
@given(message=texts, path=texts, subject=texts)
def test_any_text_is_valid_xml(make_finding: Callable[..., Finding], message: str, path: str, subject: str) -> None:
    """Control characters, surrogates, ]]> and quotes: whatever a manifest holds, the XML parses."""
    f = make_finding(message=message, file=path)
    root = parse(Report(commits=(CommitResult(C1, None, subject, "fail", (f,)),)))
    assert root.find("testsuite") is not None


def test_control_characters_made_visible(make_finding: Callable[..., Finding]) -> None:
    f = make_finding(message="bad\x00byte \x1b[31m ]]> <tag> & \"q\"")
    root = parse(Report(commits=(CommitResult(C1, None, "s", "fail", (f,)),)))
    text = root.findtext(".//failure")
    assert text is not None and "bad\\x00byte \\x1b[31m ]]> <tag> & \"q\"" in text


@pytest.mark.parametrize(("severity", "new", "suppressed", "policy", "fail_on", "expected"), [
    ("error", True, False, "parent-exists", "new", True),
    ("error", False, False, "parent-exists", "new", False),
    ("error", False, False, "parent-exists", "all", True),
    ("warning", True, False, "parent-exists", "all", False),
    ("error", True, True, "parent-exists", "new", False),
    ("warning", False, False, "policy-runtime-error", "new", True),
    ("error", True, True, "policy-runtime-error", "new", False),  # as the runner: suppressed never fails
])
def test_fails_matches_the_runner(make_finding: Callable[..., Finding], severity: str, new: bool, suppressed: bool,
                                  policy: str, fail_on: str, expected: bool) -> None:
    f = make_finding(severity=severity, new=new, suppressed=suppressed, policy=policy)
    assert fails(f, fail_on) is expected
