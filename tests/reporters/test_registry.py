"""Every format: registered, pure, deterministic, and equal to its golden file for the sample report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from policycheck.findings import Report
from policycheck.reporters import REPORTERS, github, renderer

GOLDEN_NAMES = {
    "text": "sample.txt",
    "json": "sample.json",
    "sarif": "sample.sarif",
    "junit": "sample.junit.xml",
    "github": "sample.github.txt",
    "markdown": "sample.md",
    "gitlab": "sample.gitlab.json",
}


def test_registry_names() -> None:
    assert set(REPORTERS) == {"text", "json", "sarif", "junit", "github", "markdown", "gitlab"}


@pytest.mark.parametrize("name", sorted(GOLDEN_NAMES))
def test_golden(name: str, report: Report, golden: Callable[[str, str], None]) -> None:
    golden(GOLDEN_NAMES[name], renderer(name)(report))


def test_golden_step_summary(report: Report, golden: Callable[[str, str], None]) -> None:
    golden("sample.step-summary.md", github.step_summary(report))


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_deterministic_and_order_independent(name: str, report: Report) -> None:
    """Same bytes twice, and the same bytes when the engine hands findings and policies in another order."""
    render = renderer(name)
    first = render(report)
    assert render(report) == first
    shuffled = replace(
        report,
        policies=tuple(reversed(report.policies)),
        commits=tuple(replace(c, findings=tuple(reversed(c.findings))) for c in report.commits),
        head_files=frozenset(sorted(report.head_files, reverse=True)),
    )
    assert render(shuffled) == first


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_empty_report(name: str) -> None:
    """No commits (an empty range) still renders a well-formed document."""
    assert renderer(name)(Report(commits=())).endswith("\n")


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_no_side_effects(name: str, report: Report, capsys: pytest.CaptureFixture[str]) -> None:
    before = repr(report)
    renderer(name)(report)
    assert repr(report) == before
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
