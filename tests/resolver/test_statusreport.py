"""The status JSON the conformance harness reads, and the text for people."""

from __future__ import annotations

import json

from resolver.resolverkit import gateway, http_route, resolve_docs, service

from policycheck.statusreport import render_json, render_text


def test_json_shape() -> None:
    svc_ref = "- name: gw\n- group: core\n  kind: Service\n  name: svc\n  port: 80"
    out = json.loads(render_json(resolve_docs(gateway(), service(), http_route(parent_refs=svc_ref))))
    route = out["routes"][0]
    assert (route["kind"], route["namespace"], route["name"]) == ("HTTPRoute", "apps", "r")
    gw_parent, svc_parent = route["parents"]
    assert gw_parent["parentRef"] == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "apps",
                                      "name": "gw", "sectionName": None, "port": None}
    assert svc_parent["parentRef"]["group"] == "" and svc_parent["parentRef"]["port"] == 80
    assert [c["type"] for c in gw_parent["conditions"]] == ["Accepted", "ResolvedRefs"]
    assert gw_parent["attachedTo"] == ["http"] and gw_parent["presence"]["state"] == "present"
    gw = out["gateways"][0]
    assert gw["attachedListenerSets"] == 0
    listener = gw["listeners"][0]
    assert listener["attachedRoutes"] == 1
    assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in listener["supportedKinds"]
    assert out["listenerSets"] == []


def test_one_condition_of_each_type() -> None:
    out = json.loads(render_json(resolve_docs(gateway(), http_route())))
    for entry in out["routes"][0]["parents"] + out["gateways"][0]["listeners"]:
        types = [c["type"] for c in entry["conditions"]]
        assert len(types) == len(set(types))


def test_unmanaged_parent_is_listed_without_conditions() -> None:
    out = json.loads(render_json(resolve_docs(gateway(), http_route(), profile="linkerd")))
    parent = out["routes"][0]["parents"][0]
    assert parent["managed"] is False and parent["conditions"] == []


def test_text_names_route_parent_and_reason() -> None:
    text = render_text(resolve_docs(http_route(parent_refs="- name: gw\n  port: 99999")))
    assert "HTTPRoute apps/r" in text
    assert "Accepted=False (NoMatchingParent)" in text
    assert "not found in the repository" in text
    assert "[port-out-of-range]" in text
