"""Which routes a change can affect, so that only those are resolved again.

The answer is a superset: a route is re-resolved when it changed, or when any
object it names (by namespace and name, whatever the kind) changed, or when a
route sharing one of its parents changed (GAMMA precedence between route
kinds). Changes to objects that can affect any route (Namespaces, grants,
ListenerSets, generators) re-resolve everything.
"""

from __future__ import annotations

from typing import Any

from policycheck.model import Resource, ResourceKey, is_route
from policycheck.state import State
from policycheck.status import Resolution

# Kinds whose change may alter the status of routes that do not name them.
GLOBAL_KINDS = frozenset({
    "Namespace", "ReferenceGrant", "ListenerSet", "XListenerSet", "GatewayClass",
    "HelmRelease", "Application", "ApplicationSet", "Kustomization",
})

_names_cache: dict[int, frozenset[tuple[str, str]]] = {}


def referenced_names(res: Resource) -> frozenset[tuple[str, str]]:
    """(namespace, name) of everything a route's parentRefs and backendRefs name."""
    cached = _names_cache.get(id(res.body))
    if cached is not None:
        return cached
    ns = res.key.namespace
    names: set[tuple[str, str]] = set()
    spec = res.spec
    refs: list[Any] = []
    pr = spec.get("parentRefs")
    if isinstance(pr, list):
        refs.extend(pr)
    rules = spec.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, dict) and isinstance(rule.get("backendRefs"), list):
                refs.extend(rule["backendRefs"])
    for ref in refs:
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            rns = ref.get("namespace")
            names.add((rns if isinstance(rns, str) and rns else ns, ref["name"]))
    frozen = frozenset(names)
    if len(_names_cache) > 200_000:
        _names_cache.clear()
    _names_cache[id(res.body)] = frozen
    return frozen


def affected_routes(old: State, new: State, changed: set[ResourceKey]) -> set[ResourceKey] | None:
    """Routes of `new` to resolve again; None means all of them."""
    if any(k.kind in GLOBAL_KINDS for k in changed):
        return None
    hot: set[tuple[str, str]] = {(k.namespace, k.name) for k in changed}
    direct: set[ResourceKey] = set()
    for k in changed:
        if is_route(k.group, k.kind):
            direct.add(k)
            for state in (old, new):
                res = state.get(k)
                if res is not None:
                    hot |= referenced_names(res)
    out = {k for k in direct if k in new.resources}
    for group_kind in _route_kinds(new):
        for res in new.of_kind(*group_kind):
            if res.key not in out and not hot.isdisjoint(referenced_names(res)):
                out.add(res.key)
    return out


def _route_kinds(state: State) -> list[tuple[str, str]]:
    from policycheck.model import ROUTE_KINDS

    return [(g, k) for g, kinds in ROUTE_KINDS.items() for k in sorted(kinds)]


def merge(previous: Resolution, fresh: Resolution, new: State, resolved: set[ResourceKey]) -> Resolution:
    """Statuses of `fresh` for the resolved routes, `previous` for the rest still present."""
    routes = {k: v for k, v in previous.routes.items() if k in new.resources and k not in resolved}
    routes.update(fresh.routes)
    validation = tuple(v for v in previous.validation if v.key in new.resources and v.key not in resolved)
    backends = {k: v for k, v in previous.backends.items() if k in new.resources and k not in resolved}
    backends.update(fresh.backends)
    return Resolution(routes, fresh.gateways, fresh.listener_sets, validation + fresh.validation, backends)
