"""One hand-built Report that exercises every reporter path, and helpers for the reporter tests.

The story (issue 2's sample history, shortened, with extra cases):
  1. services and test-service-route are added                      -> pass
  2. the route is retargeted in place (no-in-place-detach), a naming
     finding is suppressed by an annotation the commit adds           -> fail
  3. retargeted again, to a Service that does not exist              -> fail
  4. the route is deleted (routes/test-route.yaml is gone at the head) -> pass
  5. test-service-route-v2 is added in routes/v2-draft.yaml with a
     backend warning; routes/broken.yaml does not parse               -> fail
  6. STAGED: v2-draft.yaml renamed to v2.yaml; a policy crashes on a
     Service (policy-runtime-error)                                    -> fail
So at the head: the findings of commits 2-3 have neither file nor object
(SARIF notifications), commit 5's v2 findings are relocated to routes/v2.yaml,
the parse error and the runtime error stay where they are.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from policycheck import verdict
from policycheck.findings import CommitResult, Finding, PolicyInfo, Report, ResourceRef, Suppression

GOLDEN = Path(__file__).parent / "golden"
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "schemas" / "sarif-schema-2.1.0.json"

GW = "gateway.networking.k8s.io"
ROUTE = ResourceRef("HTTPRoute", "default", "test-service-route", f"{GW}/v1beta1", GW)
ROUTE_V2 = ResourceRef("HTTPRoute", "default", "test-service-route-v2", f"{GW}/v1", GW)
OTHER_SVC = ResourceRef("Service", "default", "other-service", "v1", "")

C1, C2, C3, C4, C5 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40, "5" * 40)

POLICIES = (
    PolicyInfo("parent-exists", "error", "Every parentRef names a parent defined in the repository.",
               "Create the parent, or point the parentRef at one that exists.", "builtin"),
    PolicyInfo("no-in-place-detach", "error",
               "A route that still exists must not leave a parent it was attached to.\n"
               "Linkerd 2.13-2.16 never deregisters such a route (linkerd/linkerd2#13280).",
               "Create a route under a new name and delete the old one.", "builtin"),
    PolicyInfo("backends-resolve", "error", "Every backendRef resolves to a Service and port.", "", "builtin"),
    PolicyInfo("route-naming", "warning", "Route names end in -route.", "", "policies/route-naming.yaml"),
)

DETACH = Finding(
    "routes/test-route.yaml", 9, "no-in-place-detach",
    "HTTPRoute default/test-service-route left parent Service default/test-service in place; "
    "create a new route and delete this one (linkerd/linkerd2#13280)",
    "error", ROUTE, "update", "Service/default/test-service:80",
    fails=True,
)
NAMING = Finding(
    "routes/test-route.yaml", 4, "route-naming", "HTTPRoute default/test-service-route: name does not end in -route",
    "warning", ROUTE, "update", "", True, True, "legacy name, renamed in PLAT-12",
)
PARENT = Finding(
    "routes/test-route.yaml", 9, "parent-exists",
    "parentRef Service default/test-service-non-existent does not exist (Accepted: False, NoMatchingParent)",
    "error", ROUTE, "update", "Service/default/test-service-non-existent:80",
    fails=True,
)
DETACH_OTHER = Finding(
    "routes/test-route.yaml", 9, "no-in-place-detach",
    "HTTPRoute default/test-service-route left parent Service default/other-service in place; "
    "create a new route and delete this one (linkerd/linkerd2#13280)",
    "error", ROUTE, "update", "Service/default/other-service:80",
    fails=True,
)
BACKEND = Finding(
    "routes/v2-draft.yaml", 14, "backends-resolve", "backendRef Service default/other-service has no port",
    "warning", ROUTE_V2, "create", "Service/default/other-service",
)
V2_NAMING = Finding(
    "routes/v2-draft.yaml", 5, "route-naming", "HTTPRoute default/test-service-route-v2: name does not end in -route",
    "warning", ROUTE_V2, "create", "", True, True, "",
)
PARSE = Finding("routes/broken.yaml", 3, "manifest-parse-error", "mapping values are not allowed here", "error",
                fails=True)
CRASH = Finding(
    "services/other.yaml", 1, "policy-runtime-error",
    "policy service-ports failed on Service default/other-service: invalid-type: expected number, got string",
    "error", OTHER_SVC, "none",
    fails=True,
)


def sample_report() -> Report:
    commits = (
        CommitResult(C1, None, "Add services and test-service-route", "pass", (), 0, {"created": 3}),
        CommitResult(
            C2, C1, "Point the route at other-service", "fail", (NAMING, DETACH), 1, {"updated": 1},
            (Suppression("routes/test-route.yaml", 3, ROUTE, ("route-naming",), "legacy name, renamed in PLAT-12"),),
        ),
        CommitResult(
            C3, C2, "Point the route at a missing Service", "fail",
            (replace(DETACH, new=False, fails=False), DETACH_OTHER, PARENT, replace(NAMING, new=False)), 0,
            {"updated": 1},
        ),
        CommitResult(C4, C3, "Delete test-service-route", "pass", (), 0, {"deleted": 1}),
        CommitResult(C5, C4, "Add test-service-route-v2", "fail", (BACKEND, PARSE, V2_NAMING), 0, {"created": 1}),
        CommitResult("STAGED", C5, None, "fail", (CRASH,), 2, {}),
    )
    return Report(
        commits=commits,
        policies=POLICIES,
        fail_on="new",
        head_files=frozenset({"routes/broken.yaml", "routes/v2.yaml", "services/other.yaml", "services/test.yaml"}),
        head_objects={
            (GW, "HTTPRoute", "default", "test-service-route-v2"): ("routes/v2.yaml", 5),
            ("", "Service", "default", "other-service"): ("services/other.yaml", 1),
            ("", "Service", "default", "test-service"): ("services/test.yaml", 1),
        },
        tool_version="0.1.0",
    )


def finding(**kw: Any) -> Finding:
    """A finding with defaults for everything the test does not care about; failing its commit as the
    runner would decide under failOn: new, unless `fails` is given."""
    base: dict[str, Any] = {
        "file": "routes/a.yaml", "line": 9, "policy": "parent-exists", "message": "parent missing",
        "severity": "error", "resource": ROUTE, "operation": "update", "ref": "Service/default/x:80",
    }
    base.update(kw)
    f = Finding(**base)
    return f if "fails" in kw else replace(f, fails=verdict.fails(f, f.new, "new"))


def one_commit(*findings: Finding, result: str = "fail", head_files: frozenset[str] | None = None,
               **kw: Any) -> Report:
    """A one-commit report whose head holds every finding's file unless told otherwise."""
    files = head_files if head_files is not None else frozenset(f.file for f in findings)
    c = CommitResult(C1, None, "subject", result, tuple(findings))
    return Report(commits=(c,), policies=POLICIES, head_files=files, tool_version="0.1.0", **kw)
