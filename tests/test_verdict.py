from __future__ import annotations

import pytest

from policycheck.findings import Finding
from policycheck.verdict import fails


@pytest.mark.parametrize(("severity", "new", "suppressed", "policy", "fail_on", "resource", "touched", "expected"), [
    ("error", True, False, "parent-exists", "new", True, False, True),
    ("error", False, False, "parent-exists", "new", True, False, False),
    ("error", False, False, "parent-exists", "all", True, False, True),
    ("warning", True, False, "parent-exists", "all", True, False, False),
    ("error", True, True, "parent-exists", "new", True, False, False),
    ("warning", False, False, "policy-runtime-error", "new", True, False, True),
    ("error", True, True, "policy-runtime-error", "new", True, False, False),  # suppressed never fails
    ("info", True, False, "not-kubernetes", "all", False, True, False),
])
def test_the_verdict_rule(severity: str, new: bool, suppressed: bool, policy: str, fail_on: str, resource: bool,
                          touched: bool, expected: bool) -> None:
    from policycheck.findings import ResourceRef

    ref = ResourceRef("HTTPRoute", "default", "r", "gateway.networking.k8s.io/v1") if resource else None
    f = Finding("routes/a.yaml", 1, policy, "m", severity, ref, suppressed=suppressed)
    assert fails(f, new, fail_on, touched_file=touched) is expected
