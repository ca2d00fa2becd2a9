"""Output formats: one module per format, each with a pure `render(report) -> str`, registered here by name.

Adding a format is one module and one line below. Renderers never print, read
the environment or write files; the CLI does that (colour for `text`, the
GitHub step summary through `github.step_summary`).
"""

from __future__ import annotations

from collections.abc import Callable

from policycheck.findings import Report
from policycheck.reporters import github, gitlab, json_report, junit, markdown, sarif, text

REPORTERS: dict[str, Callable[[Report], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
    "gitlab": gitlab.render,
}

__all__ = ["REPORTERS"]
