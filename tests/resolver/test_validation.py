"""CRD validation found statically: one test per rule."""

from __future__ import annotations

from resolver.resolverkit import http_route, resolve_docs, service

from policycheck.status import Resolution

ROUTE_HEAD = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  namespace: apps\n"


def rules(res: Resolution) -> list[str]:
    return [issue.rule for issue in res.validation]


def test_valid_route_has_no_issues() -> None:
    assert rules(resolve_docs(service(), http_route(backends="- name: svc\n  port: 80"))) == []


def test_too_many_parent_refs() -> None:
    refs = "\n".join(f"- name: gw\n  sectionName: s{i}" for i in range(33))
    assert "too-many-parent-refs" in rules(resolve_docs(http_route(parent_refs=refs)))


def test_duplicate_parent_refs() -> None:
    assert rules(resolve_docs(http_route(parent_refs="- name: gw\n- name: gw"))) == ["parent-refs-not-distinct"]
    refs = "- name: gw\n  sectionName: a\n- name: gw\n  namespace: apps\n  sectionName: a"
    assert rules(resolve_docs(http_route(parent_refs=refs))) == ["parent-refs-not-distinct"]


def test_mixed_section_name_on_one_parent() -> None:
    refs = "- name: gw\n- name: gw\n  sectionName: a"
    assert "parent-refs-not-distinct" in rules(resolve_docs(http_route(parent_refs=refs)))


def test_distinct_section_names_are_fine() -> None:
    refs = "- name: gw\n  sectionName: a\n- name: gw\n  sectionName: b"
    assert rules(resolve_docs(http_route(parent_refs=refs))) == []


def test_port_out_of_range() -> None:
    assert rules(resolve_docs(http_route(parent_refs="- name: gw\n  port: 70000"))) == ["port-out-of-range"]
    assert rules(resolve_docs(http_route(backends="- name: svc\n  port: 0"))) == ["port-out-of-range"]


def test_backend_service_needs_a_port() -> None:
    assert rules(resolve_docs(http_route(backends="- name: svc"))) == ["backend-port-required"]


def test_parent_refs_as_string_or_map() -> None:
    as_string = resolve_docs(ROUTE_HEAD + "spec:\n  parentRefs: gw\n")
    as_map = resolve_docs(ROUTE_HEAD + "spec:\n  parentRefs:\n    name: gw\n")
    assert rules(as_string) == ["wrong-type"] and rules(as_map) == ["wrong-type"]
    assert next(iter(as_string.routes.values())).parents == ()


def test_parent_ref_not_a_mapping_and_without_name() -> None:
    res = resolve_docs(ROUTE_HEAD + "spec:\n  parentRefs:\n  - gw\n  - kind: Gateway\n  - name: gw\n")
    assert rules(res) == ["parent-ref-not-mapping", "parent-ref-name-required"]
    status = next(iter(res.routes.values()))
    assert [p.index for p in status.parents] == [2]


def test_wrong_field_types() -> None:
    res = resolve_docs(http_route(parent_refs="- name: gw\n  port: '80'\n  sectionName: 7"))
    assert rules(res) == ["wrong-type", "wrong-type"]
