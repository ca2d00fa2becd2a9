"""GitHub Actions workflow commands: one annotation per finding, plus a Markdown job summary.

    ::error file=routes/a.yaml,line=9,title=parent-exists::HTTPRoute default/r ... (commit 0a1b2c3d4e5f)

Annotations sit on the checked-out tree, so findings are placed and
deduplicated as for SARIF (common.head_view); one whose file and object are
both gone has no file property. Suppressed findings are left out (they do not
need attention, and GitHub shows only 10 errors and 10 warnings per step);
the rest come placed ones (with a file) first, then the most severe, then
those that fail a commit, for the same reason.

Escaping is the runner's (actions/toolkit `escapeData` / `escapeProperty`):
data `%` `\\r` `\\n`; properties also `:` and `,`. No plain line carries text
from the repository: the runner also reads the legacy `##[command]` form
anywhere in a line, so only numbers and shas are printed outside a command.

`step_summary(report)` is the Markdown the CLI appends to
`$GITHUB_STEP_SUMMARY`: every finding of every commit (GitHub accepts up to
1 MiB per step).
"""

from __future__ import annotations

from policycheck.findings import FAIL, Report
from policycheck.reporters import markdown
from policycheck.reporters.common import HeadFinding, fails, head_view, plural, severity_rank, visible_controls

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
STEP_SUMMARY_LIMIT = 1024 * 1024


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str], message: str) -> str:
    """`::name k=v,k=v::message`, escaped; properties in the order given."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _annotation(h: HeadFinding) -> str:
    f = h.finding
    notes = [f"commit {h.commit.short}"]
    if not f.new:
        notes.append("pre-existing")
    if h.relocated:
        notes.append(f"reported at {f.file}:{f.line}")
    props: dict[str, str] = {}
    if h.located:
        props = {"file": h.file, "line": str(h.line)}
    else:
        notes.append(f"reported at {f.file}:{f.line}, which no longer exists")
    props["title"] = f.policy
    return command(COMMANDS.get(f.severity, "warning"), props, visible_controls(f"{f.message} ({'; '.join(notes)})"))


def render(report: Report) -> str:
    shown = [h for h in head_view(report) if not h.finding.suppressed]
    # GitHub shows 10 error annotations (and 10 warnings) per step: those with a place in the tree come
    # first, then the most severe, then those that fail a commit.
    shown.sort(key=lambda h: (not h.located, severity_rank(h.finding.severity), not fails(h.finding),
                              h.file, h.line))
    lines = [_annotation(h) for h in shown]
    for c in report.commits:
        lines.append(f"policycheck: {c.short} {c.result.upper()}")  # sha only: see the module docstring
    failed = sum(1 for c in report.commits if c.result == FAIL)
    lines.append(f"policycheck: {plural(len(report.commits), 'commit')} checked, {failed} failed, "
                 f"{plural(len(shown), 'annotation')}")
    return "\n".join(lines) + "\n"


def step_summary(report: Report, base_url: str | None = None, blob_url: str | None = None) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: the failing commits with every finding (annotations are capped per
    step; this is not), the passing ones in one line."""
    return markdown.render(report, base_url=base_url, max_chars=STEP_SUMMARY_LIMIT, blob_url=blob_url,
                           fold_passing=True)
