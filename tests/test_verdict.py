from __future__ import annotations

import pytest

from policycheck.findings import Finding, ResourceRef
from policycheck.verdict import fails

ROUTE = ResourceRef("HTTPRoute", "default", "r", "gateway.networking.k8s.io/v1")


@pytest.mark.parametrize(("severity", "new", "suppressed", "policy", "fail_on", "on_object", "expected"), [
    ("error", True, False, "parent-exists", "new", True, True),
    ("error", False, False, "parent-exists", "new", True, False),
    ("error", False, False, "parent-exists", "all", True, True),
    ("warning", True, False, "parent-exists", "all", True, False),
    ("error", True, True, "parent-exists", "new", True, False),
    ("warning", False, False, "policy-runtime-error", "new", True, True),
    ("error", True, True, "policy-runtime-error", "new", True, False),  # suppressed never fails
    ("error", True, False, "manifest-parse-error", "new", False, True),  # the change that breaks the file
    ("error", False, False, "manifest-parse-error", "new", False, False),  # a later change to the broken file
    ("warning", True, False, "manifest-unchecked", "all", False, False),
    ("info", True, False, "not-kubernetes", "all", False, False),
])
def test_the_verdict_rule(severity: str, new: bool, suppressed: bool, policy: str, fail_on: str, on_object: bool,
                          expected: bool) -> None:
    f = Finding("routes/a.yaml", 1, policy, "m", severity, ROUTE if on_object else None, suppressed=suppressed)
    assert fails(f, new, fail_on) is expected
