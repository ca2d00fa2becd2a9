"""The linkerd profile: where Linkerd's policy-controller differs from the spec."""

from __future__ import annotations

from resolver.resolverkit import accepted, gateway, http_route, parent_of, resolve_docs, service

from policycheck.model import LINKERD_POLICY_GROUP

SVC_REF = "- group: core\n  kind: Service\n  name: svc"
LINKERD_API = "policy.linkerd.io/v1beta3"


def test_service_port_is_not_checked() -> None:
    route = http_route(parent_refs=SVC_REF + "\n  port: 81")
    assert accepted(parent_of(resolve_docs(service(), route, profile="linkerd"), "r")) == ("True", "Accepted")
    assert accepted(parent_of(resolve_docs(service(), route), "r")) == ("False", "NoMatchingParent")


def test_section_name_is_not_checked() -> None:
    route = http_route(parent_refs=SVC_REF + "\n  sectionName: nope")
    assert accepted(parent_of(resolve_docs(service(), route, profile="linkerd"), "r"))[0] == "True"


def test_core_group_is_case_insensitive() -> None:
    route = http_route(parent_refs="- group: Core\n  kind: Service\n  name: svc")
    p = parent_of(resolve_docs(service(), route, profile="linkerd"), "r")
    assert accepted(p) == ("True", "Accepted") and p.ref.group == ""
    assert not parent_of(resolve_docs(service(), route), "r").managed


def test_missing_service_is_no_matching_parent() -> None:
    p = parent_of(resolve_docs(http_route(parent_refs=SVC_REF), profile="linkerd"), "r")
    assert accepted(p) == ("False", "NoMatchingParent")


def test_headless_service_is_rejected() -> None:
    p = parent_of(resolve_docs(service(extra="  clusterIP: None\n"), http_route(parent_refs=SVC_REF),
                               profile="linkerd"), "r")
    assert accepted(p)[0] == "False"


def test_grpcroute_wins_on_any_port() -> None:
    res = resolve_docs(service(), http_route("h", parent_refs=SVC_REF + "\n  port: 80"),
                       http_route("g", parent_refs=SVC_REF + "\n  port: 9000", kind="GRPCRoute"), profile="linkerd")
    assert accepted(parent_of(res, "h")) == ("False", "Conflicted")


def test_gateway_parent_gets_no_status() -> None:
    p = parent_of(resolve_docs(gateway(), http_route(), profile="linkerd"), "r")
    assert not p.managed
    assert p.conditions == ()
    assert p.presence.state == "present"


def test_policy_route_attaches_to_server() -> None:
    server = """
    apiVersion: policy.linkerd.io/v1beta1
    kind: Server
    metadata:
      name: web
      namespace: apps
    spec:
      port: 8080
      podSelector: {}
    """
    route = http_route(parent_refs="- kind: Server\n  name: web", api=LINKERD_API)
    for profile in ("linkerd", "spec"):
        p = parent_of(resolve_docs(server, route, profile=profile), "r", group=LINKERD_POLICY_GROUP)
        assert accepted(p) == ("True", "Accepted")
    missing = parent_of(resolve_docs(route, profile="linkerd"), "r", group=LINKERD_POLICY_GROUP)
    assert accepted(missing) == ("False", "NoMatchingParent")


def test_policy_route_default_parent_is_not_a_server() -> None:
    route = http_route(parent_refs="- name: web", api=LINKERD_API)
    p = parent_of(resolve_docs(route, profile="linkerd"), "r", group=LINKERD_POLICY_GROUP)
    assert (p.ref.group, p.ref.kind) == (LINKERD_POLICY_GROUP, "Gateway")
    assert not p.managed
