"""JUnit XML as GitLab's unit test reports and Jenkins' JUnit plugin read it.

One <testsuite> named `policycheck`, one <testcase> per policy and object
(`classname="policycheck.<policy id>"`, `name` the object, or the file for a
finding on no object), and one passing case per policy that found nothing. A
case fails (<failure>) when a finding of that policy on that object fails some
commit, and errs (<error>) when a check could not run (policy-runtime-error);
findings that fail no commit (warnings, pre-existing, suppressed) go to the
case's <system-out>, where both tools show them.

Names carry no commit: GitLab identifies a test by suite, class and name, and
compares it with the target branch's last report, so a name holding a commit
id would make every failure look new after a rebase (and GitLab keeps only the
first case of a class and name, whatever suite it sits in). The commits are in
the failure's message and text, one line per commit and finding, and in the
suite's properties.

XML 1.0 cannot carry most control characters at all; they are shown as `\\xNN`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from policycheck.findings import CommitResult, Finding, Report
from policycheck.reporters.common import (
    could_not_run,
    failing,
    listed,
    plural,
    policy_table,
    sorted_findings,
    title,
    visible_controls,
)


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: C0/C1 controls (other than tab and line breaks) and non-characters made visible."""
    text = visible_controls(text)
    return "".join(
        ch if not ("\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff") else f"\\u{ord(ch):04x}" for ch in text
    )


def _line(c: CommitResult, f: Finding) -> str:
    marks = ["new" if f.new else "pre-existing"]
    if f.suppressed:
        marks.append(f"suppressed: {f.suppression_reason}" if f.suppression_reason else "suppressed")
    return f"{title(c)}: {f.file}:{f.line}: {f.severity} {f.policy} {f.message} [{', '.join(marks)}]"


def object_name(f: Finding) -> str:
    """The object a case is about, as users name it (`HTTPRoute default/r`); the file for a finding on none."""
    r = f.resource
    if r is None:
        return f.file
    kind = r.kind if r.group in ("", "gateway.networking.k8s.io") else f"{r.kind}.{r.group}"
    return f"{kind} {r.namespace}/{r.name}" if r.namespace else f"{kind} {r.name}"


@dataclass
class _Case:
    """One policy on one object over every commit: the lines that fail a commit, and the rest."""

    bad: list[tuple[CommitResult, Finding]] = field(default_factory=list)
    others: list[tuple[CommitResult, Finding]] = field(default_factory=list)


def _testcase(suite: ET.Element, policy: str, name: str, case: _Case) -> str:
    """Append the case; return its outcome: "error", "failure" or "pass"."""
    el = ET.SubElement(suite, "testcase", {"classname": f"policycheck.{policy}", "name": xml_text(name), "time": "0"})
    commits = list(dict.fromkeys(c.short for c, _ in case.bad))
    outcome = "pass"
    if case.bad:
        errors = any(could_not_run(f) for _, f in case.bad)
        # One child only (JUnit allows error or failure, not both): the error, listing the failures too.
        outcome = "error" if errors else "failure"
        what = "could not run in" if errors else "fails"
        message = f"{what} {plural(len(commits), 'commit')}: {', '.join(commits)}"
        ET.SubElement(el, outcome, {"type": policy, "message": message}).text = xml_text(
            "\n".join(_line(c, f) for c, f in case.bad))
    if case.others:
        ET.SubElement(el, "system-out").text = xml_text("\n".join(_line(c, f) for c, f in case.others))
    return outcome


def render(report: Report) -> str:
    cases: dict[tuple[str, str], _Case] = {}
    notes: list[str] = []
    for c in report.commits:
        bad = {id(f) for f in failing(c)}
        for f in sorted_findings(listed(c)):
            case = cases.setdefault((f.policy, object_name(f)), _Case())
            (case.bad if id(f) in bad else case.others).append((c, f))
        if c.all_findings is None and c.preexisting:
            notes.append(f"{title(c)}: {plural(c.preexisting, 'pre-existing finding')} not listed (--all lists them)")
    for pid in policy_table(report):
        if not any(policy == pid for policy, _ in cases):
            cases[(pid, "every object")] = _Case()
    root = ET.Element("testsuites", {"name": "policycheck"})
    suite = ET.SubElement(root, "testsuite", {"name": "policycheck"})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "result", "value": report.result})
    for c in report.commits:
        ET.SubElement(props, "property", {"name": "commit", "value": f"{c.commit} {c.result}"})
    counts = {"error": 0, "failure": 0, "pass": 0}
    for (pid, name), case in sorted(cases.items()):
        counts[_testcase(suite, pid, name, case)] += 1
    if notes:
        ET.SubElement(suite, "system-out").text = xml_text("\n".join(notes))
    tests = str(sum(counts.values()))
    suite.attrib.update({"tests": tests, "failures": str(counts["failure"]), "errors": str(counts["error"]),
                         "skipped": "0", "time": "0"})
    root.attrib.update({"tests": tests, "failures": str(counts["failure"]), "errors": str(counts["error"]),
                        "time": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
