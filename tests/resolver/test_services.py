"""GAMMA Service parents: ClusterIP, port and sectionName, route-kind precedence."""

from __future__ import annotations

from resolver.resolverkit import accepted, http_route, parent_of, resolve_docs, service

SVC_REF = "- group: ''\n  kind: Service\n  name: svc"
PORTS = "- name: http\n  port: 80\n- name: admin\n  port: 9000"


def test_service_parent_accepted() -> None:
    p = parent_of(resolve_docs(service(), http_route(parent_refs=SVC_REF)), "r")
    assert accepted(p) == ("True", "Accepted")
    assert p.attached_to == ("http",)


def test_core_spelling_is_the_core_group() -> None:
    ref = "- group: core\n  kind: Service\n  name: svc\n  port: 80"
    p = parent_of(resolve_docs(service(), http_route(parent_refs=ref)), "r")
    assert accepted(p) == ("True", "Accepted") and p.ref.group == ""


def test_missing_service_is_no_matching_parent() -> None:
    assert accepted(parent_of(resolve_docs(http_route(parent_refs=SVC_REF)), "r")) == ("False", "NoMatchingParent")


def test_headless_service_is_not_a_parent() -> None:
    p = parent_of(resolve_docs(service(extra="  clusterIP: None\n"), http_route(parent_refs=SVC_REF)), "r")
    assert accepted(p) == ("False", "NoMatchingParent")


def test_external_name_service_is_not_a_parent() -> None:
    svc = service(extra="  type: ExternalName\n  externalName: example.com\n")
    assert accepted(parent_of(resolve_docs(svc, http_route(parent_refs=SVC_REF)), "r")) == ("False", "NoMatchingParent")


def test_port_and_section_name_select_a_service_port() -> None:
    res = resolve_docs(service(ports=PORTS),
                       http_route("a", parent_refs=SVC_REF + "\n  port: 9000"),
                       http_route("b", parent_refs=SVC_REF + "\n  sectionName: http"),
                       http_route("c", parent_refs=SVC_REF + "\n  port: 81"),
                       http_route("d", parent_refs=SVC_REF + "\n  sectionName: http\n  port: 9000"))
    assert parent_of(res, "a").attached_to == ("admin",)
    assert parent_of(res, "b").attached_to == ("http",)
    assert accepted(parent_of(res, "c")) == ("False", "NoMatchingParent")
    assert accepted(parent_of(res, "d")) == ("False", "NoMatchingParent")


def test_consumer_route_from_another_namespace() -> None:
    ref = SVC_REF + "\n  namespace: apps"
    p = parent_of(resolve_docs(service(), http_route(ns="client", parent_refs=ref)), "r", ns="client")
    assert accepted(p) == ("True", "Accepted")


def test_grpcroute_takes_precedence_over_httproute() -> None:
    res = resolve_docs(service(), http_route("h", parent_refs=SVC_REF),
                       http_route("g", parent_refs=SVC_REF, kind="GRPCRoute"))
    assert accepted(parent_of(res, "g", kind="GRPCRoute")) == ("True", "Accepted")
    assert accepted(parent_of(res, "h")) == ("False", "Conflicted")


def test_httproute_takes_precedence_over_tcproute() -> None:
    api = "gateway.networking.k8s.io/v1alpha2"
    res = resolve_docs(service(), http_route("h", parent_refs=SVC_REF),
                       http_route("t", parent_refs=SVC_REF, kind="TCPRoute", api=api))
    assert accepted(parent_of(res, "t", kind="TCPRoute")) == ("False", "Conflicted")


def test_precedence_is_per_port() -> None:
    res = resolve_docs(service(ports=PORTS), http_route("h", parent_refs=SVC_REF + "\n  port: 80"),
                       http_route("g", parent_refs=SVC_REF + "\n  port: 9000", kind="GRPCRoute"))
    assert accepted(parent_of(res, "h")) == ("True", "Accepted")


def test_precedence_ignores_routes_that_are_not_accepted() -> None:
    res = resolve_docs(service(), http_route("h", parent_refs=SVC_REF),
                       http_route("g", parent_refs=SVC_REF + "\n  port: 81", kind="GRPCRoute"))
    assert accepted(parent_of(res, "h")) == ("True", "Accepted")
