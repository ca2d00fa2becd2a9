"""resolve_state as a whole: presence, incremental calls, hostile bodies, scale."""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from resolver.resolverkit import (
    NS,
    accepted,
    gateway,
    http_route,
    parent_of,
    resolve_docs,
    route_key,
    service,
    state_of,
)

from policycheck.manifests import parse_file
from policycheck.model import GATEWAY_GROUP, Resource, ResourceKey
from policycheck.resolver import resolve
from policycheck.state import FileEntry, State
from policycheck.status import Presence


def test_unknown_parent_is_pending_with_the_reason() -> None:
    p = parent_of(resolve_docs(http_route(), absence=lambda key: Presence("unknown", "chart ingress may create it")),
                  "r")
    assert accepted(p) == ("Unknown", "Pending")
    cond = p.condition("Accepted")
    assert cond is not None and "chart ingress may create it" in cond.message
    assert p.presence.state == "unknown"


def test_external_parent_is_pending() -> None:
    p = parent_of(resolve_docs(http_route(), absence=lambda key: Presence("external", "declared in config")), "r")
    assert accepted(p) == ("Unknown", "Pending") and p.presence.state == "external"


def test_only_requested_routes_are_resolved_but_counts_see_all() -> None:
    state = state_of(gateway(), http_route("a"), http_route("b"))
    res = resolve(state, routes=[route_key("a")])
    assert list(res.routes) == [route_key("a")]
    gw = res.gateways[ResourceKey(GATEWAY_GROUP, "Gateway", NS, "gw")]
    assert gw.listeners[0].attached_routes == 2


def test_gateways_can_be_skipped() -> None:
    res = resolve(state_of(gateway(), http_route()), gateways=False)
    assert res.gateways == {} and len(res.routes) == 1


def test_not_accepted_parent_has_no_attachment() -> None:
    p = parent_of(resolve_docs(gateway(), http_route(parent_refs="- name: gw\n  sectionName: x")), "r")
    assert p.attached_to == ()


# --- hostile bodies ---------------------------------------------------------------

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=4),
                 st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
                 st.dictionaries(st.sampled_from(["name", "port", "kind", "group", "from"]),
                                 st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3))

DOCS = [gateway(listeners="- name: http\n  port: 80\n  protocol: HTTPS\n  hostname: a.com\n  tls:\n"
                          "    certificateRefs:\n    - name: c\n  allowedRoutes:\n    namespaces:\n"
                          "      from: Selector\n      selector:\n        matchLabels:\n          a: b\n"
                          "    kinds:\n    - kind: HTTPRoute",
                extra="  allowedListeners:\n    namespaces:\n      from: All\n"),
        http_route(parent_refs="- name: gw\n  sectionName: http\n- group: core\n  kind: Service\n  name: svc\n"
                               "  port: 80\n- kind: ListenerSet\n  name: ls",
                   backends="- name: svc\n  port: 80", hostnames="- a.com"),
        service(),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata:\n  name: ls\n  namespace: apps\n"
        "spec:\n  parentRef:\n    name: gw\n  listeners:\n  - name: l\n    port: 81\n    protocol: HTTP\n"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PARSED = [yaml.safe_load(d) for d in DOCS]
ALL_PATHS = [(i, p) for i, doc in enumerate(PARSED) for p in _paths(doc) if len(p) >= 2 and p[0] != "metadata"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), JUNK), min_size=1, max_size=4))
def test_malformed_bodies_never_crash(mutations: list[tuple[tuple[int, tuple[Any, ...]], Any]]) -> None:
    docs = yaml.safe_load_all("\n---\n".join(DOCS))
    bodies = list(docs)
    for (i, path), junk in mutations:
        node: Any = bodies[i]
        for part in path[:-1]:
            if (isinstance(node, dict) and part in node) or (
                    isinstance(node, list) and isinstance(part, int) and part < len(node)):
                node = node[part]
            else:
                break
        else:
            if isinstance(node, (dict, list)):
                with contextlib.suppress(IndexError, TypeError):
                    node[path[-1]] = junk
    text = "\n---\n".join(yaml.safe_dump(b) for b in bodies)
    for profile in ("spec", "linkerd"):
        res = resolve(State.from_files([parse_file("m.yaml", text.encode())]), profile)
        assert all(len({c.type for c in p.conditions}) == len(p.conditions)
                   for r in res.routes.values() for p in r.parents)


# --- scale ------------------------------------------------------------------------

def _big_state(n_routes: int) -> State:
    resources: list[Resource] = []

    def add(group: str, kind: str, ns: str, name: str, body: dict[str, Any]) -> None:
        resources.append(Resource(ResourceKey(group, kind, ns, name), "v1", body, "big.yaml", len(resources)))

    for g in range(50):
        add(GATEWAY_GROUP, "Gateway", "infra", f"gw{g}", {"spec": {"listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}})
    for s in range(n_routes // 2):
        add("", "Service", f"ns{s % 100}", f"svc{s}", {"spec": {"ports": [{"name": "http", "port": 80}]}})
    for r in range(n_routes):
        ns = f"ns{(r // 2) % 100}"
        parents = [{"name": f"gw{r % 50}", "namespace": "infra"},
                   {"group": "", "kind": "Service", "name": f"svc{r // 2}", "port": 80}]
        add(GATEWAY_GROUP, "HTTPRoute" if r % 2 else "GRPCRoute", ns, f"r{r}",
            {"spec": {"parentRefs": parents, "rules": [{"backendRefs": [{"name": f"svc{r // 2}", "port": 80}]}]}})
    return State.from_files([FileEntry("big.yaml", "", tuple(resources))])


def test_many_objects_and_a_single_route() -> None:
    """A large state resolves whole, and resolving one route of it gives that route's full status.

    (Speed is measured by benchmarks/, not here.)
    """
    state = _big_state(3_300)
    res = resolve(state)
    assert len(res.routes) == 3_300
    http = res.gateways[ResourceKey(GATEWAY_GROUP, "Gateway", "infra", "gw1")].listeners[0]
    assert http.attached_routes == 66
    key = ResourceKey(GATEWAY_GROUP, "HTTPRoute", "ns0", "r1")
    one = resolve(state, routes=[key], gateways=False)
    assert one.routes == {key: res.routes[key]}
