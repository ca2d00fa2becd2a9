"""Choosing a reporter by format name; the reporters themselves stay pure."""

from __future__ import annotations

from collections.abc import Mapping

from policycheck.findings import Report

JSON_FORMATS = frozenset({"json", "sarif", "gitlab"})


def blob_url(environ: Mapping[str, str]) -> str | None:
    """Where the CI that runs us shows a file at a commit (the commit appended), or None outside one.

    GitHub Actions: `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/`; GitLab CI:
    `$CI_PROJECT_URL/-/blob/`. A relative link in a job summary or a comment
    resolves against the page, not the repository, so it would lead nowhere.
    """
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    if server and repository:  # set by GitHub Actions for every step
        return f"{server.rstrip('/')}/{repository}/blob/"
    project = environ.get("CI_PROJECT_URL")
    if project:  # set by GitLab CI for every job
        return f"{project.rstrip('/')}/-/blob/"
    return None


def render_report(report: Report, fmt: str, colour: bool = False, quiet: bool = False,
                  links: str | None = None) -> str:
    """The report in format `fmt`; a file name that is not UTF-8 reads `\\xNN` for its bytes in every format.

    `links` is the CI's blob_url, for the formats that link files (markdown)."""
    from policycheck.reporters.common import visible_bytes, visible_json

    text = _render(report, fmt, colour, quiet, links)
    return visible_json(text) if fmt in JSON_FORMATS else visible_bytes(text)


def _render(report: Report, fmt: str, colour: bool, quiet: bool, links: str | None) -> str:
    from policycheck.reporters import renderer

    if fmt == "text":
        from policycheck.reporters import text as text_reporter

        # --quiet: only the failing commits, the same summary line; nothing at all when every commit passes.
        return text_reporter.render(report, colour=colour, failing_only=quiet)
    if fmt == "markdown" and links:
        from policycheck.reporters import markdown

        return markdown.render(report, blob_url=links)
    return renderer(fmt)(report)


def step_summary(report: Report, links: str | None = None) -> str:
    from policycheck.reporters import github
    from policycheck.reporters.common import visible_bytes

    return visible_bytes(github.step_summary(report, blob_url=links))
