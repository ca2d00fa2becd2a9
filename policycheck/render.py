"""Choosing a reporter by format name; the reporters themselves stay pure."""

from __future__ import annotations

import dataclasses

from policycheck.findings import FAIL, Report


def render_report(report: Report, fmt: str, colour: bool = False, quiet: bool = False) -> str:
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

    return github.step_summary(report)
