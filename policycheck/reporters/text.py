"""The human report: one block per commit, one grep-able line per finding, a summary at the end.

    0a1b2c3d4e5f Point the route at other-service: FAIL
      routes/route.yaml:9: error no-in-place-detach HTTPRoute default/r left ... [new]
      1 pre-existing finding not listed (--all lists them)
    2 commits checked, 1 failed: 1 new finding

Finding lines keep the `file:line: ` prefix that editors and terminals turn into
links; whether a finding is new, pre-existing or suppressed comes after the
message so the prefix stays parseable.

`render(report, colour=False)`: colour is the caller's decision (`--color`, else
a terminal without NO_COLOR), so rendering stays a pure function of its
arguments. Control characters from paths or messages are shown as `\\xNN`
so that a manifest cannot drive the reader's terminal.
"""

from __future__ import annotations

import click

from policycheck.findings import FAIL, CommitResult, Finding, Report
from policycheck.reporters.common import listed, plural, sorted_findings, title, visible_controls

# click.style's keyword arguments per style name.
_STYLES: dict[str, dict[str, str | bool]] = {
    "error": {"fg": "red"},
    "warning": {"fg": "yellow"},
    "info": {"fg": "cyan"},
    "pass": {"fg": "green"},
    "fail": {"fg": "red", "bold": True},
    "dim": {"dim": True},
}


class _Painter:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, style: str, text: str) -> str:
        spec = _STYLES.get(style)
        return click.style(text, **spec) if self.colour and spec else text  # type: ignore[arg-type]


def _clean(text: str, indent: str) -> str:
    """Controls made visible; further lines of a multi-line message indented under the first."""
    parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ("\n" + indent).join(visible_controls(part) for part in parts)


def _path(path: str) -> str:
    """A file name on one line whatever it holds: a newline in a name must not start a forged report line."""
    return visible_controls(path).translate(_BREAKS)


_BREAKS = {ord(c): f"\\x{ord(c):02x}" for c in "\t\n\r"}


def _marker(f: Finding) -> str:
    if f.suppressed:
        return f"[suppressed: {f.suppression_reason}]" if f.suppression_reason else "[suppressed]"
    return "[new]" if f.new else "[pre-existing]"


def _finding_line(f: Finding, paint: _Painter) -> str:
    where = f"{_path(f.file)}:{f.line}:"
    # The object's own name on its line: a file may hold several routes.
    named = f.resource is None or str(f.resource) in f.message
    body = _clean(f.message if named else f"{f.resource}: {f.message}", "      ")
    marker = paint("dim", _clean(_marker(f), ""))
    return f"  {where} {paint(f.severity, f.severity)} {_clean(f.policy, '')} {body} {marker}"


def _commit_block(c: CommitResult, paint: _Painter) -> list[str]:
    verdict = paint(c.result, c.result.upper())
    lines = [f"{_clean(title(c), '  ')}: {verdict}"]
    # What the change introduced comes first; what it found already there follows, dimmed.
    shown = sorted_findings(listed(c))
    lines += [_finding_line(f, paint) for f in shown if f.new]
    lines += [paint("dim", _finding_line(f, _Painter(False))) if paint.colour else _finding_line(f, paint)
              for f in shown if not f.new]
    if c.all_findings is None and c.preexisting:
        lines.append("  " + paint("dim", f"{plural(c.preexisting, 'pre-existing finding')} not listed "
                                         "(--all lists them)"))
    for s in sorted(c.added_suppressions, key=lambda s: (s.file, s.line, str(s.resource), s.policies)):
        reason = f": {s.reason}" if s.reason else " (no reason given)"
        text = f"{_path(s.file)}:{s.line}: suppression added for {s.resource}, ignoring {', '.join(s.policies)}{reason}"
        lines.append("  " + _clean(text, "    "))
    return lines


def summary_line(report: Report) -> str:
    """`N commits checked, M failed: ...`: the last line, what a reader of a long log looks for first.

    New findings add up over the commits (each is some commit's doing); pre-existing ones are what
    the last commit carries, not a sum of the same findings counted once per commit.
    """
    failed = sum(1 for c in report.commits if c.result == FAIL)
    head = f"{plural(len(report.commits), 'commit')} checked, {failed} failed"
    shown = [f for c in report.commits for f in listed(c)]
    new = sum(1 for f in shown if f.new and not f.suppressed)
    suppressed = sum(1 for f in shown if f.suppressed)
    old = 0
    if report.commits:
        last = report.commits[-1]
        old = sum(1 for f in listed(last) if not f.new and not f.suppressed)
        old += last.preexisting if last.all_findings is None else 0
    added = sum(len(c.added_suppressions) for c in report.commits)
    parts = [plural(new, "new finding")]
    if old:
        parts.append(f"{old} pre-existing")
    if suppressed:
        parts.append(f"{suppressed} suppressed")
    if added:
        parts.append(f"{plural(added, 'suppression')} added")
    return f"{head}: {', '.join(parts)}"


def render(report: Report, colour: bool = False, failing_only: bool = False) -> str:
    """The text report; ANSI colour only when `colour` is true (the CLI decides: a terminal and no NO_COLOR).

    `failing_only` (--quiet): the blocks of failing commits alone, the summary of every commit as a full
    report gives it, and nothing at all when every commit passes."""
    if failing_only and report.result != FAIL:
        return ""
    paint = _Painter(colour)
    lines: list[str] = []
    for c in report.commits:
        if not failing_only or c.result == FAIL:
            lines += _commit_block(c, paint)
    summary = summary_line(report)
    lines.append(paint(report.result, summary) if colour else summary)
    return "\n".join(lines) + "\n"
