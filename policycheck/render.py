"""Choosing a reporter by format name; the reporters themselves stay pure."""

from __future__ import annotations

import dataclasses

from policycheck.findings import FAIL, Report

JSON_FORMATS = frozenset({"json", "sarif", "gitlab"})


def render_report(report: Report, fmt: str, colour: bool = False, quiet: bool = False) -> str:
    """The report in format `fmt`; a file name that is not UTF-8 reads `\\xNN` for its bytes in every format."""
    from policycheck.reporters.common import visible_bytes, visible_json

    text = _render(report, fmt, colour, quiet)
    return visible_json(text) if fmt in JSON_FORMATS else visible_bytes(text)


def _render(report: Report, fmt: str, colour: bool, quiet: bool) -> str:
    from policycheck.reporters import renderer

    if fmt == "text":
        if quiet:  # only the failing commits, and nothing at all when every commit passes
            report = dataclasses.replace(report, commits=tuple(c for c in report.commits if c.result == FAIL))
            if not report.commits:
                return ""
        from policycheck.reporters import text as text_reporter

        return text_reporter.render(report, colour=colour)
    return renderer(fmt)(report)


def step_summary(report: Report) -> str:
    from policycheck.reporters import github
    from policycheck.reporters.common import visible_bytes

    return visible_bytes(github.step_summary(report))
