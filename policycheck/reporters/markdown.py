"""Markdown for a pull-request comment (and, through github.step_summary, a job summary).

A table of commits with pass/fail first (what a reviewer wants at a glance),
then each commit's findings with a link to file and line.

Links are relative (`[routes/a.yaml:9](routes/a.yaml#L9)`) unless `base_url`
or `blob_url` is given: GitHub resolves relative links against the page
showing them, which for a comment or a job summary is not the repository tree.
`blob_url` (the CLI takes it from the CI's environment: `$GITHUB_SERVER_URL/
$GITHUB_REPOSITORY/blob/`, GitLab's `$CI_PROJECT_URL/-/blob/`) links each
finding at the commit it was found in; `base_url` is one fixed prefix, e.g.
`https://github.com/OWNER/REPO/blob/SHA`. The index and the working tree have
no commit to link at: their findings keep relative links.

`fold_passing` (the job summary) leads with the failing commits and their
findings and folds the passing ones into one line.

Everything that comes from the repository (paths, messages, subjects) is
escaped: it must not open a table cell, start a link, render HTML, or notify
people through @mentions. GitHub refuses comments over 65,536 characters, so
the findings are cut to fit `max_chars`, with a line saying how many were left
out.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from policycheck.findings import FAIL, CommitResult, Finding, Report
from policycheck.reporters.common import listed, one_line, plural, sorted_findings, visible_controls

COMMENT_LIMIT = 65_536
# What can open markup inside a line (no user text starts a line, so `#`, `-`, `1.` cannot start a block;
# with `[` escaped, `(` cannot start a link target): emphasis, code, links, HTML and entities, table cells.
_ESCAPE = re.compile(r"([\\`*_\[\]<>|~&])")
_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def escape(text: str) -> str:
    """Inline Markdown from untrusted text: punctuation backslash-escaped, @mentions defused, one line."""
    text = _ESCAPE.sub(r"\\\1", visible_controls(one_line(text)))
    return text.replace("@", "@&#8203;")


def code(text: str) -> str:
    """A code span holding `text` literally: backslashes do not escape inside one, so fence it instead."""
    text = visible_controls(one_line(text))
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link(path: str, line: int, base_url: str | None = None) -> str:
    target = quote(path, safe="/-._~", errors="surrogateescape") + f"#L{line}"  # a name's own bytes
    if base_url:
        target = base_url.rstrip("/") + "/" + target
    return f"[{escape(f'{path}:{line}')}]({target})"


def _verdict(result: str) -> str:
    return "❌ **fail**" if result == FAIL else "✅ pass"


def _table(report: Report) -> list[str]:
    rows = ["| Commit | Subject | Result | New | Pre-existing |", "| --- | --- | --- | ---: | ---: |"]
    for c in report.commits:
        shown = listed(c)
        new = sum(1 for f in shown if f.new and not f.suppressed)
        old = sum(1 for f in shown if not f.new and not f.suppressed)
        if c.all_findings is None:
            old += c.preexisting
        subject = escape(c.subject) if c.subject else "—"
        rows.append(f"| {code(c.short)} | {subject} | {_verdict(c.result)} | {new} | {old} |")
    return rows


def _finding(f: Finding, base_url: str | None) -> str:
    if f.suppressed:
        why = f": {escape(f.suppression_reason)}" if f.suppression_reason else ""
        mark = f" _(suppressed{why})_"
    else:
        mark = " _(new)_" if f.new else " _(pre-existing)_"
    icon = _ICON.get(f.severity, "⚪")
    where = link(f.file, f.line, base_url)
    return f"- {icon} **{escape(f.severity)}** {code(f.policy)} {where}: {escape(f.message)}{mark}"


def commit_url(c: CommitResult, base_url: str | None, blob_url: str | None) -> str | None:
    """Where the links of a commit's findings point: the commit's tree under `blob_url`, else `base_url`."""
    if blob_url and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", c.commit):
        return blob_url.rstrip("/") + "/" + c.commit
    return base_url


def _commit(c: CommitResult, base_url: str | None) -> tuple[list[str], list[str]]:
    """(heading lines, finding lines) of a commit's section; empty when there is nothing to show."""
    shown = sorted_findings(listed(c))
    extra: list[str] = []
    if c.all_findings is None and c.preexisting:
        extra.append(f"{plural(c.preexisting, 'pre-existing finding')} not listed (`--all` lists them).")
    for s in sorted(c.added_suppressions, key=lambda s: (s.file, s.line, s.resource)):
        reason = escape(s.reason) if s.reason else "_no reason given_"
        ids = ", ".join(code(p) for p in s.policies)
        extra.append(f"- suppression added at {link(s.file, s.line, base_url)} for {escape(str(s.resource))}: "
                     f"{ids}: {reason}")
    if not shown and not extra:
        return [], []
    subject = f" {escape(c.subject)}" if c.subject else ""
    head = ["", f"### {code(c.short)}{subject}: {_verdict(c.result)}", ""]
    return head, [_finding(f, base_url) for f in shown] + ([""] if shown and extra else []) + extra


def _passing_line(passing: list[CommitResult]) -> list[str]:
    if not passing:
        return []
    return ["", f"✅ {plural(len(passing), 'commit')} pass: {', '.join(code(c.short) for c in passing)}"]


def render(report: Report, base_url: str | None = None, max_chars: int = COMMENT_LIMIT, heading: str = "##",
           blob_url: str | None = None, fold_passing: bool = False) -> str:
    """The comment. `max_chars` is counted in UTF-8 bytes, which is at least the character count GitHub limits."""
    failed = sum(1 for c in report.commits if c.result == FAIL)
    lines = [
        f"{heading} policycheck: {_verdict(report.result)}",
        "",
        f"{plural(len(report.commits), 'commit')} checked, {failed} failed.",
    ]
    shown, tail = report.commits, []
    if fold_passing:
        shown = tuple(c for c in report.commits if c.result == FAIL)
        tail = _passing_line([c for c in report.commits if c.result != FAIL])
    else:
        lines += ["", *_table(report)]
    sections = [_commit(c, commit_url(c, base_url, blob_url)) for c in shown]
    total = sum(len(body) for _, body in sections)
    budget = max_chars - 200 - sum(len(x.encode()) + 1 for x in tail)  # room for the truncation note
    size = sum(len(x.encode()) + 1 for x in lines)
    written = 0
    for head, body in sections:
        if not body:
            continue
        if size + sum(len(x.encode()) + 1 for x in head) > budget:
            break
        lines += head
        size += sum(len(x.encode()) + 1 for x in head)
        for x in body:
            if size + len(x.encode()) + 1 > budget:
                break
            lines.append(x)
            size += len(x.encode()) + 1
            written += 1
        else:
            continue
        break
    lines += tail
    if written < total:
        lines += ["", f"_{total - written} more entries left out to fit the {max_chars}-character limit; "
                      "the JSON or SARIF report has them all._"]
    return "\n".join(lines) + "\n"
