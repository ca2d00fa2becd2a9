"""The verdict rule: whether a finding fails the commit that lists it.

Decided here once, by the runner, and recorded on each listed finding
(`Finding.fails`); the commit fails exactly when it lists a finding that fails
it, and every reporter (text, JSON, JUnit, SARIF, annotations, the exit code)
renders that decision rather than deriving its own, so no two of them can
disagree on a commit.
"""

from __future__ import annotations

from policycheck.diagnostics import POLICY_ERROR
from policycheck.findings import Finding


def fails(f: Finding, new: bool, fail_on: str) -> bool:
    """An unsuppressed finding fails its commit when a check could not run (`policy-runtime-error`),
    or when it is an error the commit introduced (`new`), or any error under `failOn: all`.

    A file that cannot be read is an error in the commit that makes it so (new there); a later
    change that edits it while it still cannot be read gets a `manifest-unchecked` warning instead
    (policycheck.unchecked).
    """
    if f.suppressed:
        return False
    if f.policy == POLICY_ERROR:
        return True
    if f.severity != "error":
        return False
    return new or fail_on == "all"
