from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import junit

from .data import C1


def parse(report: Report) -> ET.Element:
    out = junit.render(report)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(out.encode("utf-8"))


def test_one_suite_one_case_per_policy_and_object(report: Report) -> None:
    root = parse(report)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["policycheck"]
    cases = [(c.get("classname"), c.get("name")) for c in suites[0].findall("testcase")]
    assert cases == [
        ("policycheck.backends-resolve", "HTTPRoute default/test-service-route-v2"),
        ("policycheck.manifest-parse-error", "routes/broken.yaml"),
        ("policycheck.no-in-place-detach", "HTTPRoute default/test-service-route"),
        ("policycheck.parent-exists", "HTTPRoute default/test-service-route"),
        ("policycheck.policy-runtime-error", "Service default/other-service"),
        ("policycheck.route-naming", "HTTPRoute default/test-service-route"),
        ("policycheck.route-naming", "HTTPRoute default/test-service-route-v2"),
    ]


def test_names_hold_no_commit_so_a_rebase_keeps_them(report: Report) -> None:
    """GitLab compares tests by suite, class and name with the target branch's: a commit id there changes them all."""
    rebased = replace(report, commits=tuple(replace(c, commit=c.commit.replace("2", "9").replace("3", "8"))
                                            for c in report.commits))
    def names(r: Report) -> list[tuple[str | None, ...]]:
        root = parse(r)
        return [(s.get("name"), c.get("classname"), c.get("name")) for s in root.iter("testsuite")
                for c in s.iter("testcase")]
    assert names(report) == names(rebased)
    for suite, classname, name in names(report):
        assert not any(ch * 12 in f"{suite}{classname}{name}" for ch in "12345")


def test_policy_without_findings_is_one_passing_case(make_finding: Callable[..., Finding]) -> None:
    from policycheck.findings import PolicyInfo

    report = Report(commits=(CommitResult(C1, None, "s", "pass", ()),),
                    policies=(PolicyInfo("parent-exists", "error", "d"),))
    case = parse(report).find("testsuite/testcase")
    assert case is not None and case.get("classname") == "policycheck.parent-exists"
    assert case.get("name") == "every object" and len(case) == 0


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
    assert [int(root.get(k, "-1")) for k in ("tests", "failures", "errors")] == totals == [7, 3, 1]


def test_failure_lists_failing_findings_with_their_commits(report: Report) -> None:
    suite = parse(report).find("testsuite")
    assert suite is not None
    case = suite.find("testcase[@classname='policycheck.no-in-place-detach']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "fails 2 commits: 222222222222, 333333333333"
    assert failure.get("type") == "no-in-place-detach"
    assert failure.text is not None and "default/other-service in place" in failure.text and "[new]" in failure.text
    assert failure.text.splitlines()[1].startswith("333333333333 Point the route at a missing Service: ")
    out = case.find("system-out")  # the pre-existing one does not fail the commit under fail_on=new
    assert out is not None and out.text is not None and "[pre-existing]" in out.text
    naming = suite.find("testcase[@classname='policycheck.route-naming']")
    assert naming is not None and naming.find("failure") is None and naming.find("system-out") is not None


def test_fail_on_all_fails_preexisting_errors(report: Report) -> None:
    """Under failOn: all the runner marks the pre-existing error failing too; JUnit renders that."""
    c3 = report.commits[2]
    marked = tuple(replace(f, fails=True) if f.severity == "error" else f for f in c3.findings)
    commits = (*report.commits[:2], replace(c3, findings=marked), *report.commits[3:])
    failure = parse(replace(report, fail_on="all", commits=commits)).find(
        "testsuite/testcase[@classname='policycheck.no-in-place-detach']/failure")
    assert failure is not None and failure.text is not None and len(failure.text.splitlines()) == 3


def test_error_when_a_check_could_not_run(report: Report) -> None:
    suite = parse(report).find("testsuite")
    assert suite is not None
    case = suite.find("testcase[@classname='policycheck.policy-runtime-error']")
    assert case is not None and case.find("failure") is None
    error = case.find("error")
    assert error is not None and error.get("message") == "could not run in 1 commit: STAGED"
    assert error.text is not None and "services/other.yaml:1" in error.text
    assert "STAGED: 2 pre-existing findings not listed" in (suite.findtext("system-out") or "")


def test_passing_commit_has_no_failures_even_with_warnings(make_finding: Callable[..., Finding]) -> None:
    f = make_finding(severity="warning")
    root = parse(Report(commits=(CommitResult(C1, None, "s", "pass", (f,)),)))
    assert root.get("failures") == "0" and root.get("errors") == "0"


def test_properties(report: Report) -> None:
    suite = parse(report).find("testsuite")
    assert suite is not None
    props = [(p.get("name"), p.get("value")) for p in suite.iter("property")]
    assert props[0] == ("result", "fail")
    assert props[2] == ("commit", "2" * 40 + " fail")
    assert len(props) == 1 + len(report.commits)


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
