"""Output formats: one module per format, each with a pure `render(report) -> str`, registered here by name.

Adding a format is one module and one line below. A format's module is imported
when it is asked for: a run prints one format, and the others (JUnit's XML
library among them) would cost every pre-commit hook their import. Renderers
never print, read the environment or write files; the CLI does that (colour
for `text`, the GitHub step summary through `github.step_summary`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from policycheck.findings import Report

# Format name -> module of policycheck.reporters.
REPORTERS: dict[str, str] = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
    "gitlab": "gitlab",
}


def renderer(name: str) -> Callable[[Report], str]:
    """The `render` of the format `name` (one of REPORTERS)."""
    module = importlib.import_module(f"policycheck.reporters.{REPORTERS[name]}")
    render: Callable[[Report], str] = module.render
    return render


__all__ = ["REPORTERS", "renderer"]
