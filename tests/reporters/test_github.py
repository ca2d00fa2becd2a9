"""Workflow commands, read back the way the Actions runner reads them (ActionCommand.TryParseV2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters import github
from policycheck.reporters.common import visible_controls

from .data import C1


def unescape_data(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(s: str) -> str:
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """The runner's v2 parser: `::cmd k=v,k=v::data`, split on the first `::` after the command."""
    assert line.startswith("::")
    end = line.index("::", 2)
    head, data = line[2:end], line[end + 2:]
    name, _, props = head.partition(" ")
    properties: dict[str, str] = {}
    for pair in filter(None, props.split(",")):
        k, _, v = pair.partition("=")
        properties[k] = unescape_property(v)
    return name, properties, unescape_data(data)


def commands(report: Report) -> list[tuple[str, dict[str, str], str]]:
    return [parse(x) for x in github.render(report).splitlines() if x.startswith("::")]


def test_escape_functions() -> None:
    assert github.escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert github.escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    assert github.escape_data("%0A") == "%250A"  # no double unescaping on the runner side


def test_annotations(report: Report) -> None:
    cmds = commands(report)
    # placed ones first (GitHub shows 10 errors per step), then the most severe
    assert [c[0] for c in cmds] == ["error", "error", "warning", "error", "error", "error"]
    assert [("file" in c[1]) for c in cmds] == [True, True, True, False, False, False]
    first = cmds[0]
    assert first == ("error", {"file": "routes/broken.yaml", "line": "3", "title": "manifest-parse-error"},
                     "mapping values are not allowed here (commit 555555555555)")
    moved = next(c for c in cmds if c[1]["title"] == "backends-resolve")
    assert moved[1]["file"] == "routes/v2.yaml" and moved[1]["line"] == "5"
    gone = [c for c in cmds if "file" not in c[1]]
    assert len(gone) == 3 and all("routes/test-route.yaml:9, which no longer exists" in c[2] for c in gone)
    assert all(c[1]["title"] != "route-naming" for c in cmds)  # suppressed ones are not annotated


def test_failing_annotations_first(report: Report) -> None:
    cmds = commands(report)
    preexisting = [i for i, c in enumerate(cmds) if "pre-existing" in c[2]]
    new_errors = [i for i, c in enumerate(cmds) if c[0] == "error" and "pre-existing" not in c[2]]
    assert max(new_errors) < min(preexisting)


def test_info_is_notice(make_report: Callable[..., Report], make_finding: Callable[..., Finding]) -> None:
    assert commands(make_report(make_finding(severity="info")))[0][0] == "notice"


@pytest.mark.parametrize("path", ["routes/a,b.yaml", "routes/a:b.yaml", "routes/100%.yaml", "routes/a\nb.yaml",
                                  "routes/x::error::y.yaml", "routes/a=b.yaml"])
@pytest.mark.parametrize("message", ["50% of routes", "line one\nline two\r\n", "a, b: c", "::warning::x",
                                     "%0A literal", "ends with %"])
def test_escaping_round_trips(path: str, message: str, make_report: Callable[..., Report],
                              make_finding: Callable[..., Finding]) -> None:
    f = make_finding(file=path, message=message, policy="p,o:l%")
    out = github.render(make_report(f))
    line = out.splitlines()[0]
    name, props, data = parse(line)
    assert name == "error"
    assert props == {"file": path, "line": "9", "title": "p,o:l%"}
    assert data == f"{message} (commit {C1[:12]})"


def test_no_repository_text_outside_commands(make_finding: Callable[..., Finding]) -> None:
    """The runner also parses the legacy `##[cmd]` form anywhere in a line: plain lines carry only shas and counts."""
    f = make_finding(message="##[error]injected")
    r = Report(commits=(CommitResult(C1, None, "##[warning]subject ::notice::x", "fail", (f,)),),
               head_files=frozenset({"routes/a.yaml"}))
    plain = [x for x in github.render(r).splitlines() if not x.startswith("::")]
    assert plain == [f"policycheck: {C1[:12]} FAIL", "policycheck: 1 commit checked, 1 failed, 1 annotation"]


texts = st.text(max_size=30)  # any Unicode text but lone surrogates


@settings(max_examples=80, deadline=None)
@given(path=texts, message=texts, policy=texts)
def test_any_text_round_trips(make_report: Callable[..., Report], make_finding: Callable[..., Finding],
                              path: str, message: str, policy: str) -> None:
    f = make_finding(file=path, message=message, policy=policy)
    # The runner splits on CR and LF only (not on U+2028 and friends, as str.splitlines would).
    lines = github.render(make_report(f)).rstrip("\n").replace("\r", "\n").split("\n")
    assert len(lines) == 3  # one command, one commit line, the summary: nothing broke out onto a new line
    _, props, data = parse(lines[0])
    assert props["title"] == policy and props["file"] == path
    assert data == f"{visible_controls(message)} (commit {C1[:12]})"


def test_step_summary_has_every_finding(report: Report) -> None:
    md = github.step_summary(report)
    for c in report.commits:
        for f in c.findings:
            assert f"[{f.file}:{f.line}]({f.file}#L{f.line})" in md
    assert "route\\-naming" not in md and "`route-naming`" in md


def test_step_summary_base_url(report: Report) -> None:
    md = github.step_summary(report, base_url="https://github.com/o/r/blob/abc")
    assert "(https://github.com/o/r/blob/abc/routes/broken.yaml#L3)" in md


def test_step_summary_links_each_finding_at_its_commit_and_folds_passing_commits(report: Report) -> None:
    md = github.step_summary(report, blob_url="https://github.com/o/r/blob/")
    assert f"(https://github.com/o/r/blob/{C1.replace('1', '5')}/routes/broken.yaml#L3)" in md
    assert "(services/other.yaml#L1)" in md  # the index has no commit to link at
    assert "111111111111" not in md.split("✅")[0] and "| Commit |" not in md
    assert md.rstrip().splitlines()[-1] == "✅ 2 commits pass: `111111111111`, `444444444444`"
    assert md.index("### `222222222222`") < md.index("### `555555555555`")


def test_step_summary_is_not_cut_at_comment_size(make_finding: Callable[..., Finding]) -> None:
    fs = tuple(make_finding(ref=str(i), message="x" * 200) for i in range(1000))  # ~300 kB
    md = github.step_summary(Report(commits=(CommitResult(C1, None, "s", "fail", fs),)))
    assert md.count("\n- ") == 1000 and "left out" not in md
    assert len(md.encode()) < github.STEP_SUMMARY_LIMIT


def test_staged_commit_line(report: Report) -> None:
    r = replace(report, commits=report.commits[-1:])
    assert "policycheck: STAGED FAIL" in github.render(r).splitlines()
