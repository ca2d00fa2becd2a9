"""backendRefs and ReferenceGrant: each reason of ResolvedRefs."""

from __future__ import annotations

from resolver.resolverkit import accepted, gateway, http_route, parent_of, resolve_docs, resolved, service

from policycheck.resolver.backends import resolved_refs
from policycheck.status import BackendStatus, Presence


def grant(api: str = "v1", to_name: str = "") -> str:
    name = f"\n    name: {to_name}" if to_name else ""
    return f"""
apiVersion: gateway.networking.k8s.io/{api}
kind: ReferenceGrant
metadata:
  name: allow
  namespace: backends
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: apps
  to:
  - group: ""
    kind: Service{name}
"""


CROSS = "- name: svc\n  namespace: backends\n  port: 80"


def test_backend_resolves() -> None:
    p = parent_of(resolve_docs(gateway(), service(), http_route(backends="- name: svc\n  port: 80")), "r")
    assert resolved(p) == ("True", "ResolvedRefs")


def test_missing_backend_keeps_route_accepted() -> None:
    p = parent_of(resolve_docs(gateway(), http_route(backends="- name: svc\n  port: 80")), "r")
    assert resolved(p) == ("False", "BackendNotFound")
    assert accepted(p) == ("True", "Accepted")


def test_backend_of_unknown_presence_is_unknown() -> None:
    p = parent_of(resolve_docs(gateway(), http_route(backends="- name: svc\n  port: 80"),
                               absence=lambda key: Presence("external", "declared in configuration")), "r")
    assert resolved(p) == ("Unknown", "Pending")


def test_unsupported_backend_kind() -> None:
    backends = "- name: svc\n  group: example.com\n  kind: Bucket\n  port: 80"
    p = parent_of(resolve_docs(gateway(), service(), http_route(backends=backends)), "r")
    assert resolved(p) == ("False", "InvalidKind")


def test_cross_namespace_backend_without_grant() -> None:
    p = parent_of(resolve_docs(gateway(), service(ns="backends"), http_route(backends=CROSS)), "r")
    assert resolved(p) == ("False", "RefNotPermitted")


def test_cross_namespace_backend_with_v1beta1_grant() -> None:
    p = parent_of(resolve_docs(gateway(), service(ns="backends"), grant("v1beta1"), http_route(backends=CROSS)), "r")
    assert resolved(p) == ("True", "ResolvedRefs")


def test_cross_namespace_backend_with_v1_grant() -> None:
    p = parent_of(resolve_docs(gateway(), service(ns="backends"), grant("v1"), http_route(backends=CROSS)), "r")
    assert resolved(p) == ("True", "ResolvedRefs")


def test_grant_to_name_limits_the_target() -> None:
    ok = parent_of(resolve_docs(gateway(), service(ns="backends"), grant(to_name="svc"), http_route(backends=CROSS)),
                   "r")
    other = parent_of(resolve_docs(gateway(), service(ns="backends"), grant(to_name="other"),
                                   http_route(backends=CROSS)), "r")
    assert resolved(ok)[0] == "True"
    assert resolved(other) == ("False", "RefNotPermitted")


def test_grant_for_another_route_kind_does_not_apply() -> None:
    p = parent_of(resolve_docs(gateway(), service(ns="backends"), grant().replace("kind: HTTPRoute", "kind: TCPRoute"),
                               http_route(backends=CROSS)), "r")
    assert resolved(p) == ("False", "RefNotPermitted")


def test_resolved_refs_prefers_the_first_false_and_agrees_with_the_backends() -> None:
    unknown = BackendStatus(("a",), "Service apps/x", "Unknown", "Pending", "x: unknown")
    missing = BackendStatus(("b",), "Service apps/y", "False", "BackendNotFound", "y: missing")
    ok = BackendStatus(("c",), "Service apps/z", "True", "ResolvedRefs", "z resolves")
    assert (resolved_refs((ok, unknown, missing)).status, resolved_refs((ok, unknown, missing)).reason) == \
        ("False", "BackendNotFound")
    assert resolved_refs((ok, unknown)).reason == "Pending"
    assert resolved_refs((ok,)).reason == "ResolvedRefs"
    assert resolved_refs(()).status == "True"
