"""The verdict invariant, checked on every report the test suite makes.

A commit fails if and only if it lists at least one finding that fails it, and
a finding fails only as the verdict rule allows (unsuppressed; a check that
could not run, or an error). The conftest wraps the runner and the check
command so every history a test builds is held to it.
"""

from __future__ import annotations

from policycheck.diagnostics import POLICY_ERROR
from policycheck.findings import FAIL, PASS, Report


def assert_verdicts(report: Report) -> None:
    for c in report.commits:
        failing = [f for f in c.findings if f.fails]
        assert c.result in (PASS, FAIL)
        assert (c.result == FAIL) == bool(failing), (
            f"{c.short} is {c.result} but lists {len(failing)} finding(s) that fail it: {failing}")
        for f in failing:
            assert not f.suppressed, f"a suppressed finding fails {c.short}: {f}"
            assert f.policy == POLICY_ERROR or f.severity == "error", f"a {f.severity} fails {c.short}: {f}"
            assert f.new or f.policy == POLICY_ERROR or report.fail_on == "all", (
                f"a pre-existing finding fails {c.short}: {f}")
        if c.all_findings is not None:
            assert {f.key for f in c.all_findings if f.fails} == {f.key for f in failing}, (
                f"{c.short}: --all marks other findings failing than those listed")
    assert report.result == (FAIL if any(c.result == FAIL for c in report.commits) else PASS)
