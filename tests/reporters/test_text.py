from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from policycheck.findings import Finding, Report
from policycheck.reporters import text

LINE = re.compile(r"^  (?P<file>[^:]+):(?P<line>\d+): (?P<sev>error|warning|info) (?P<policy>[a-z0-9-]+) (?P<msg>.*) "
                  r"\[(?P<mark>new|pre-existing|suppressed[^\]]*)\]$")


def test_commit_headers_and_summary(report: Report) -> None:
    lines = text.render(report).splitlines()
    headers = [x for x in lines if not x.startswith("  ")]
    assert headers == [
        "111111111111 Add services and test-service-route: PASS",
        "222222222222 Point the route at other-service: FAIL",
        "333333333333 Point the route at a missing Service: FAIL",
        "444444444444 Delete test-service-route: PASS",
        "555555555555 Add test-service-route-v2: FAIL",
        "STAGED: FAIL",
        "6 commits checked, 4 failed: 6 new findings, 2 pre-existing, 3 suppressed, 1 suppression added",
    ]


def test_preexisting_in_the_summary_is_what_the_last_commit_carries(report: Report) -> None:
    """Not a sum over commits: the same old finding listed by two commits counts once."""
    last = report.commits[-1]
    assert text.summary_line(report).endswith(f"{last.preexisting} pre-existing, 3 suppressed, 1 suppression added")


def test_quiet_keeps_the_summary_of_the_full_report(report: Report) -> None:
    quiet = text.render(report, failing_only=True)
    assert quiet.splitlines()[-1] == text.render(report).splitlines()[-1]
    assert "PASS" not in quiet
    passing = replace(report, commits=tuple(c for c in report.commits if c.result == "pass"))
    assert text.render(passing, failing_only=True) == ""


def test_new_findings_come_before_preexisting_ones(report: Report) -> None:
    block = text.render(report).split("333333333333")[1].split("444444444444")[0]
    marks = re.findall(r"\[(new|pre-existing|suppressed)[^\]]*\]$", block, re.MULTILINE)
    assert marks == ["new", "new", "suppressed", "pre-existing"]


def test_finding_lines_parse(report: Report) -> None:
    out = text.render(report)
    found = [m.groupdict() for x in out.splitlines() if (m := LINE.match(x))]
    assert len(found) == sum(len(c.findings) for c in report.commits)
    detach = [f for f in found if f["policy"] == "no-in-place-detach"]
    assert {f["mark"] for f in detach} == {"new", "pre-existing"}
    assert {"file": "routes/test-route.yaml", "line": "4", "sev": "warning", "policy": "route-naming",
            "msg": "HTTPRoute default/test-service-route: name does not end in -route",
            "mark": "suppressed: legacy name, renamed in PLAT-12"} in found


def test_preexisting_count_and_added_suppression(report: Report) -> None:
    out = text.render(report)
    assert "  1 pre-existing finding not listed (--all lists them)\n" in out
    assert "  2 pre-existing findings not listed (--all lists them)\n" in out
    assert ("  routes/test-route.yaml:3: suppression added for HTTPRoute default/test-service-route, "
            "ignoring route-naming: legacy name, renamed in PLAT-12\n") in out


def test_all_lists_everything_and_drops_the_count(report: Report, make_finding: Callable[..., Finding]) -> None:
    old = make_finding(new=False, message="old one")
    c = replace(report.commits[1], all_findings=(*report.commits[1].findings, old))
    out = text.render(replace(report, commits=(c,)))
    assert "old one [pre-existing]" in out
    assert "not listed" not in out


def test_colour_only_when_asked(report: Report) -> None:
    assert "\033[" not in text.render(report)
    coloured = text.render(report, colour=True)
    assert "\033[31merror\033[0m" in coloured
    assert "\033[31m\033[1mFAIL\033[0m" in coloured
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == text.render(report)


def test_control_characters_and_newlines(make_report: Callable[..., Report],
                                         make_finding: Callable[..., Finding]) -> None:
    f = make_finding(file="routes/\x1b[2Jevil.yaml", message="first line\nsecond line\r\nthird\x07")
    out = text.render(make_report(f))
    assert "\x1b" not in out and "\x07" not in out
    expected = ("routes/\\x1b[2Jevil.yaml:9: error parent-exists HTTPRoute default/test-service-route: first line\n"
                "      second line\n      third\\x07 [new]")
    assert expected in out


def test_singular_summary(make_report: Callable[..., Report], make_finding: Callable[..., Finding]) -> None:
    assert text.render(make_report(make_finding())).splitlines()[-1] == "1 commit checked, 1 failed: 1 new finding"
