"""Views kept from one resolution to the next never serve what a resolution from scratch would not.

Each case edits one input of a Gateway's view (or of a route's attachment) between two states
that share the objects of unchanged files, as consecutive commits do, and resolves the second
state the way a history run does (affected routes only, merged into the previous resolution)
and in full. Both must equal a resolution of freshly parsed objects, which no kept view or
memo can serve, and the edit must change some status (the case is exercised).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from textrepo import TextRepo

from policycheck.incremental import affected_routes, merge
from policycheck.model import Resource, ResourceKey
from policycheck.resolver import resolve, views
from policycheck.resolver.gateways import GatewayView, gateway_view
from policycheck.resolver.reads import Reads
from policycheck.state import State
from policycheck.status import Resolution

GW = "gateway.networking.k8s.io"
PEM_CERT = "-----BEGIN CERTIFICATE-----\\nMAcwADAAAwEA\\n-----END CERTIFICATE-----"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\\nMAMCAQA=\\n-----END PRIVATE KEY-----"


def _namespace(name: str, team: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    team: {team}\n"


def _gateway(http_from: str = "Selector") -> str:
    selector = "\n        selector:\n          matchLabels:\n            team: web" if http_from == "Selector" else ""
    return (f"apiVersion: {GW}/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: infra\nspec:\n"
            "  gatewayClassName: demo\n  allowedListeners:\n    namespaces:\n      from: Selector\n"
            "      selector:\n        matchLabels:\n          team: web\n"
            "  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n"
            f"      namespaces:\n        from: {http_from}{selector}\n")


def _listener_set(hostname: str = "*.example.com") -> str:
    return (f"apiVersion: {GW}/v1\nkind: ListenerSet\nmetadata:\n  name: ls\n  namespace: web\nspec:\n"
            "  parentRef:\n    name: gw\n    namespace: infra\n  listeners:\n  - name: https\n    port: 443\n"
            f"    protocol: HTTPS\n    hostname: \"{hostname}\"\n    tls:\n      certificateRefs:\n"
            "      - name: cert\n        namespace: apps\n    allowedRoutes:\n      namespaces:\n        from: Same\n")


def _grant(kind: str = "ListenerSet") -> str:
    return (f"apiVersion: {GW}/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: grant\n  namespace: apps\n"
            f"spec:\n  from:\n  - group: {GW}\n    kind: {kind}\n    namespace: web\n"
            "  to:\n  - group: \"\"\n    kind: Secret\n")


def _secret(crt: str = PEM_CERT) -> str:
    return ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: cert\n  namespace: apps\ntype: kubernetes.io/tls\n"
            f"stringData:\n  tls.crt: \"{crt}\"\n  tls.key: \"{PEM_KEY}\"\n")


def _service(port: int = 80) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  namespace: web\nspec:\n"
            f"  ports:\n  - name: http\n    port: {port}\n")


def _route(name: str, parent: str, hostname: str = "") -> str:
    hosts = f"  hostnames:\n  - {hostname}\n" if hostname else ""
    return (f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n  namespace: web\n"
            f"spec:\n  parentRefs:\n{parent}{hosts}")


BASE = {
    "ns-web.yaml": _namespace("web", "web"),
    "ns-apps.yaml": _namespace("apps", "apps"),
    "gw.yaml": _gateway(),
    "ls.yaml": _listener_set(),
    "grant.yaml": _grant(),
    "secret.yaml": _secret(),
    "svc.yaml": _service(),
    "r-gw.yaml": _route("r-gw", "  - name: gw\n    namespace: infra\n"),
    "r-ls.yaml": _route("r-ls", "  - name: ls\n    kind: ListenerSet\n", "a.example.com"),
    "r-svc.yaml": _route("r-svc", "  - name: svc\n    kind: Service\n    group: \"\"\n    port: 80\n"),
}

EDITS: dict[str, tuple[str, str | None]] = {
    "gateway-listener": ("gw.yaml", _gateway(http_from="Same")),
    "namespace-labels": ("ns-web.yaml", _namespace("web", "other")),
    "reference-grant": ("grant.yaml", _grant(kind="Gateway")),
    "reference-grant-deleted": ("grant.yaml", None),
    "listener-set": ("ls.yaml", _listener_set(hostname="*.other.org")),
    "listener-set-deleted": ("ls.yaml", None),
    "secret-content": ("secret.yaml", _secret(crt="not a certificate")),
    "service-port": ("svc.yaml", _service(port=8080)),
    "gateway-deleted": ("gw.yaml", None),
}



def _changed(old: State, new: State) -> set[ResourceKey]:
    return {k for k in set(old.resources) | set(new.resources) if old.get(k) is not new.get(k)}


def _same(a: Resolution, b: Resolution, gateways: bool = True) -> None:
    assert a.routes == b.routes
    assert a.backends == b.backends
    assert Counter(a.validation) == Counter(b.validation)
    if gateways:
        assert a.gateways == b.gateways
        assert a.listener_sets == b.listener_sets


def _commit(repo: TextRepo, old: State, previous: Resolution, path: str, text: str | None) -> tuple[State, Resolution]:
    """The next state, resolved as a history run does; checked against a resolution from scratch."""
    repo.put(path, text)
    new = repo.state()
    affected = affected_routes(old, new, _changed(old, new))
    if affected is None:
        merged = resolve(new, gateways=False)
    else:
        merged = merge(previous, resolve(new, routes=affected, gateways=False), new, affected)
    full = resolve(new)
    scratch = resolve(repo.state(fresh=True))
    _same(full, scratch)
    _same(merged, scratch, gateways=False)
    return new, merged


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_input_changes_the_next_state_as_from_scratch(edit: str) -> None:
    repo = TextRepo(BASE)
    old = repo.state()
    previous = resolve(old)
    accepted = {k: [p.condition("Accepted") for p in s.parents] for k, s in previous.routes.items()}
    assert all(c is not None and c.status == "True" for conds in accepted.values() for c in conds), accepted
    new, merged = _commit(repo, old, previous, *EDITS[edit])
    assert (merged.routes, merged.backends) != (previous.routes, previous.backends) \
        or resolve(new).gateways != previous.gateways or resolve(new).listener_sets != previous.listener_sets


def test_a_history_of_edits_and_reverts_matches_from_scratch() -> None:
    """Each edit, then its revert: a kept view must follow both ways, commit after commit."""
    repo = TextRepo(BASE)
    state = repo.state()
    resolution = resolve(state, gateways=False)
    for path, text in EDITS.values():
        before = repo.texts.get(path)
        state, resolution = _commit(repo, state, resolution, path, text)
        state, resolution = _commit(repo, state, resolution, path, before)


def test_an_edited_route_reuses_the_views(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that edits one route attaches it to the views the previous commit built."""
    repo = TextRepo(BASE)
    old = repo.state()
    resolve(old, gateways=False)
    built: list[ResourceKey] = []
    real = gateway_view

    def counting(reads: Reads, gw: Resource, listener_sets: Sequence[Resource]) -> GatewayView:
        built.append(gw.key)
        return real(reads, gw, listener_sets)

    monkeypatch.setattr(views, "gateway_view", counting)
    repo.put("r-ls.yaml", _route("r-ls", "  - name: ls\n    kind: ListenerSet\n"))
    new = repo.state()
    affected = affected_routes(old, new, _changed(old, new))
    assert affected == {ResourceKey(GW, "HTTPRoute", "web", "r-ls")}
    resolve(new, routes=affected, gateways=False)
    assert built == []
    repo.put("ns-web.yaml", _namespace("web", "other"))  # read by the view (allowedListeners)
    resolve(repo.state(), gateways=False)
    assert built == [ResourceKey(GW, "Gateway", "infra", "gw")]
