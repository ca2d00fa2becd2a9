"""JUnit XML as GitLab's unit test reports and Jenkins' JUnit plugin read it.

One <testsuite> per commit (named `<short sha> <subject>`), one <testcase> per
policy in each. A test case fails (<failure>) when that policy's findings fail
the commit, and errs (<error>) when a check could not run
(policy-runtime-error); findings that do not fail the commit (warnings,
pre-existing, suppressed) go to the case's <system-out>, where both tools
show them.

Naming follows the readers, not the JUnit schema alone:
- GitLab shows a case's `classname` as its suite and ignores a second case with
  the same classname and name, whatever <testsuite> it sits in. So the case is
  `classname="policycheck.<policy id>"` and its `name` carries the commit
  (`<short sha> <subject>`): one case per policy per commit, none dropped.
- Jenkins groups by classname (package `policycheck`, class `<policy id>`),
  which lists a policy's verdict commit by commit.

XML 1.0 cannot carry most control characters at all; they are shown as `\\xNN`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from policycheck.findings import FAIL, CommitResult, Finding, Report
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


def _x(text: str) -> str:
    """Text XML 1.0 can hold: C0/C1 controls (other than tab and line breaks) and non-characters made visible."""
    text = visible_controls(text)
    return "".join(
        ch if not ("\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff") else f"\\u{ord(ch):04x}" for ch in text
    )


def _line(f: Finding) -> str:
    marks = ["new" if f.new else "pre-existing"]
    if f.suppressed:
        marks.append(f"suppressed: {f.suppression_reason}" if f.suppression_reason else "suppressed")
    return f"{f.file}:{f.line}: {f.severity} {f.policy} {f.message} [{', '.join(marks)}]"


def _testcase(suite: ET.Element, c: CommitResult, policy: str, bad: list[Finding], others: list[Finding]) -> str:
    """Append the case; return its outcome: "error", "failure" or "pass"."""
    case = ET.SubElement(suite, "testcase", {"classname": f"policycheck.{policy}", "name": _x(title(c)), "time": "0"})
    errors = [f for f in bad if could_not_run(f)]
    outcome = "pass"
    if errors:
        # One child only (JUnit allows error or failure, not both): the error, listing the failures too.
        message = f"{plural(len(errors), 'check')} could not run"
        el = ET.SubElement(case, "error", {"type": policy, "message": message})
        el.text = _x("\n".join(_line(f) for f in bad))
        outcome = "error"
    elif bad:
        message = f"{plural(len(bad), 'finding')} fail{'s' if len(bad) == 1 else ''} this commit"
        el = ET.SubElement(case, "failure", {"type": policy, "message": message})
        el.text = _x("\n".join(_line(f) for f in bad))
        outcome = "failure"
    if others:
        ET.SubElement(case, "system-out").text = _x("\n".join(_line(f) for f in others))
    return outcome


def _suite(root: ET.Element, c: CommitResult, policies: list[str], fail_on: str) -> tuple[int, int, int]:
    suite = ET.SubElement(root, "testsuite", {"name": _x(title(c))})
    props = ET.SubElement(suite, "properties")
    for name, value in (("commit", c.commit), ("parent", c.parent or ""), ("result", c.result)):
        ET.SubElement(props, "property", {"name": name, "value": value})
    bad = failing(c, fail_on)
    bad_ids = {id(f) for f in bad}
    shown = sorted_findings(listed(c))
    counts = {"error": 0, "failure": 0, "pass": 0}
    for pid in policies:
        mine = [f for f in shown if f.policy == pid]
        mine_bad = [f for f in mine if id(f) in bad_ids]
        counts[_testcase(suite, c, pid, mine_bad, [f for f in mine if id(f) not in bad_ids])] += 1
    tests = len(policies)
    if c.result == FAIL and not bad:
        # The engine failed the commit for a reason no listed finding shows: the report must still fail.
        case = ET.SubElement(suite, "testcase", {"classname": "policycheck.result", "name": _x(title(c)), "time": "0"})
        ET.SubElement(case, "failure", {"type": "result", "message": "commit failed"}).text = (
            "the commit failed without a listed finding that fails it; see the text or JSON report"
        )
        counts["failure"] += 1
        tests += 1
    if c.all_findings is None and c.preexisting:
        ET.SubElement(suite, "system-out").text = f"{plural(c.preexisting, 'pre-existing finding')} not listed"
    suite.attrib.update({
        "tests": str(tests),
        "failures": str(counts["failure"]),
        "errors": str(counts["error"]),
        "skipped": "0",
        "time": "0",
    })
    return tests, counts["failure"], counts["error"]


def render(report: Report) -> str:
    policies = list(policy_table(report))
    root = ET.Element("testsuites", {"name": "policycheck"})
    totals = [0, 0, 0]
    for c in report.commits:
        for i, n in enumerate(_suite(root, c, policies, report.fail_on)):
            totals[i] += n
    root.attrib.update({"tests": str(totals[0]), "failures": str(totals[1]), "errors": str(totals[2]), "time": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
