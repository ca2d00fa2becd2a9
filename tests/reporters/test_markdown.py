from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import markdown

from .data import C1


def table(md: str) -> list[list[str]]:
    rows = [x for x in md.splitlines() if x.startswith("| ")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_commit_table(report: Report) -> None:
    rows = table(markdown.render(report))
    assert rows[0] == ["Commit", "Subject", "Result", "New", "Pre-existing"]
    assert rows[2] == ["`111111111111`", "Add services and test-service-route", "✅ pass", "0", "0"]
    assert rows[3] == ["`222222222222`", "Point the route at other-service", "❌ **fail**", "1", "1"]
    assert rows[-1] == ["`STAGED`", "—", "❌ **fail**", "1", "2"]
    assert len(rows) == 2 + len(report.commits)


def test_heading_and_sections(report: Report) -> None:
    md = markdown.render(report)
    assert md.startswith("## policycheck: ❌ **fail**\n\n6 commits checked, 4 failed.\n")
    sections = re.findall(r"^### (.*)$", md, re.M)
    assert sections == [
        "`222222222222` Point the route at other-service: ❌ **fail**",
        "`333333333333` Point the route at a missing Service: ❌ **fail**",
        "`555555555555` Add test-service-route-v2: ❌ **fail**",
        "`STAGED`: ❌ **fail**",
    ]


def test_findings_link_to_file_and_line(report: Report) -> None:
    md = markdown.render(report)
    assert ("- 🔴 **error** `parent-exists` [routes/test-route.yaml:9](routes/test-route.yaml#L9): parentRef Service "
            "default/test-service-non-existent does not exist (Accepted: False, NoMatchingParent) _(new)_") in md
    assert "_(pre-existing)_" in md and "_(suppressed: legacy name, renamed in PLAT-12)_" in md
    assert "1 pre-existing finding not listed (`--all` lists them)." in md
    assert ("- suppression added at [routes/test-route.yaml:3](routes/test-route.yaml#L3) for HTTPRoute "
            "default/test-service-route: `route-naming`: legacy name, renamed in PLAT-12") in md


def test_base_url(make_report: Callable[..., Report], make_finding: Callable[..., Finding]) -> None:
    md = markdown.render(make_report(make_finding(file="routes/a b.yaml")), base_url="https://example.test/blob/abc/")
    assert "[routes/a b.yaml:9](https://example.test/blob/abc/routes/a%20b.yaml#L9)" in md


@pytest.mark.parametrize(("message", "rendered"), [
    ("a | b", "a \\| b"),
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("[click](https://evil.test)", "\\[click\\](https://evil.test)"),
    ("ping @octocat", "ping @&#8203;octocat"),
    ("*bold* _em_ `code` ~~s~~", "\\*bold\\* \\_em\\_ \\`code\\` \\~\\~s\\~\\~"),
    ("&amp; \\", "\\&amp; \\\\"),
    ("two\nlines", "two / lines"),
])
def test_escaping(message: str, rendered: str, make_report: Callable[..., Report],
                  make_finding: Callable[..., Finding]) -> None:
    md = markdown.render(make_report(make_finding(message=message)))
    assert f"): {rendered} _(new)_" in md


def test_pipe_in_subject_keeps_the_table(make_finding: Callable[..., Finding]) -> None:
    r = Report(commits=(CommitResult(C1, None, "a | b", "pass", ()),))
    assert table(markdown.render(r))[2][1] == "a \\| b"


def test_code_span_fencing() -> None:
    assert markdown.code("plain") == "`plain`"
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x") == "`` `x ``"


def test_comment_limit(make_finding: Callable[..., Finding]) -> None:
    fs = tuple(make_finding(ref=str(i), message="m" * 100) for i in range(2000))
    md = markdown.render(Report(commits=(CommitResult(C1, None, "s", "fail", fs),)))
    assert len(md.encode()) <= markdown.COMMENT_LIMIT
    shown = md.count("\n- ")
    assert 0 < shown < 2000
    assert f"_{2000 - shown} more entries left out to fit the 65536-character limit" in md


def test_passing_report(make_finding: Callable[..., Finding]) -> None:
    md = markdown.render(Report(commits=(CommitResult(C1, None, "s", "pass", ()),)))
    assert md.startswith("## policycheck: ✅ pass") and "###" not in md


@pytest.mark.parametrize(("env", "url"), [
    ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ghe.example", "GITHUB_REPOSITORY": "o/r"},
     "https://ghe.example/o/r/blob/"),
    ({"GITLAB_CI": "true", "CI_PROJECT_URL": "https://gitlab.example/g/p"}, "https://gitlab.example/g/p/-/blob/"),
    ({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"}, "https://github.com/o/r/blob/"),
    ({"GITHUB_SERVER_URL": "https://github.com"}, None),
    ({}, None),
])
def test_blob_url_from_the_ci_environment(env: dict[str, str], url: str | None) -> None:
    from policycheck.render import blob_url

    assert blob_url(env) == url


def test_gitlab_links_at_the_commit(report: Report) -> None:
    md = markdown.render(report, blob_url="https://gitlab.example/g/p/-/blob/")
    assert f"(https://gitlab.example/g/p/-/blob/{'5' * 40}/routes/broken.yaml#L3)" in md
