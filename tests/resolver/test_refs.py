"""parentRef defaults and the core group's two spellings."""

from __future__ import annotations

from policycheck.model import GATEWAY_GROUP, LINKERD_POLICY_GROUP, ResourceKey
from policycheck.resolver.refs import normalize_group, parent_ref, parent_refs
from policycheck.status import ParentRef

ROUTE = ResourceKey(GATEWAY_GROUP, "HTTPRoute", "apps", "r")
LINKERD_ROUTE = ResourceKey(LINKERD_POLICY_GROUP, "HTTPRoute", "apps", "r")


def test_gateway_api_defaults() -> None:
    assert parent_ref(ROUTE, {"name": "gw"}, "spec") == ParentRef(GATEWAY_GROUP, "Gateway", "apps", "gw")


def test_linkerd_crd_defaults_group_policy_and_kind_gateway() -> None:
    ref = parent_ref(LINKERD_ROUTE, {"name": "srv"}, "spec")
    assert ref is not None and (ref.group, ref.kind) == (LINKERD_POLICY_GROUP, "Gateway")


def test_core_spellings_compare_equal_after_defaults() -> None:
    a = parent_ref(ROUTE, {"group": "core", "kind": "Service", "name": "s", "port": 80}, "spec")
    b = parent_ref(ROUTE, {"group": "", "kind": "Service", "name": "s", "namespace": "apps", "port": 80}, "spec")
    assert a == b and a is not None and a.group == ""


def test_core_is_case_insensitive_only_under_linkerd() -> None:
    assert normalize_group("Core", "linkerd") == ""
    assert normalize_group("Core", "spec") == "Core"


def test_malformed_items_are_skipped() -> None:
    spec = {"parentRefs": ["gw", {"name": 3}, {"kind": "Gateway"}, {"name": "ok", "port": "80"}]}
    refs = list(parent_refs(ROUTE, spec, "spec"))
    assert [(r.index, r.ref.name, r.ref.port) for r in refs] == [(3, "ok", None)]
