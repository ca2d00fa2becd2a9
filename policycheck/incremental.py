"""Which routes a change can affect, so that only those are resolved again.

The answer is a superset of the routes whose predicted status can differ
between two states. A route's status reads, and a change to any of these
re-resolves it:
- its own body;
- every object it names by namespace and name (parents, backends, mirrors),
  and their presence; the presence of a missing parent also says whether its
  namespace holds other manifests of that kind, so a change that empties or
  first fills a (kind, namespace) re-resolves routes naming that namespace;
- for a Gateway parent or a ListenerSet of one, the listener states: they read
  the Gateway, the ListenerSets naming it (Gateway listeners take precedence
  over theirs, and they compete among themselves), the Namespaces of those
  ListenerSets (allowedListeners), and the Secrets / ConfigMaps their
  listeners name, with the ReferenceGrants of those namespaces and the objects
  producing Secrets (a CA that no longer resolves un-accepts a listener);
- the labels of its own Namespace (allowedRoutes selectors);
- the ReferenceGrants of the namespaces it names (cross-namespace backends);
- for a Service parent, every route on that Service (GAMMA precedence);
- when HTTPRoutes and GRPCRoutes both exist, every route on the Gateways and
  ListenerSets a changed one names, or one of a changed Namespace names (an
  older route of the other kind takes a listener whose hostnames it shares);
- for a backend Service, the BackendTLSPolicies targeting it and the ConfigMaps
  they name.
Changes to what the presence oracle itself reads (generators) re-resolve everything.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policycheck.model import CORE_GROUP, GATEWAY_GROUP, ROUTE_KINDS, Resource, ResourceKey, is_route
from policycheck.overlay import Overlay
from policycheck.resolver.attachment import route_hostnames
from policycheck.resolver.backends import backend_refs
from policycheck.resolver.backendtls import POLICY as BACKEND_TLS_POLICY
from policycheck.resolver.backendtls import ca_names, tls_targets
from policycheck.resolver.certificates import PRODUCER_KINDS, certificate_names, produced_names
from policycheck.resolver.fields import as_list, as_str
from policycheck.resolver.gateways import LISTENER_SET_KINDS, listener_set_parent
from policycheck.resolver.memo import BodyMemo
from policycheck.resolver.routes import RIVAL_KINDS, hosts_meet
from policycheck.state import State
from policycheck.status import BackendStatus, Issues, Resolution, RouteStatus

# Kinds whose change may alter the status of routes that do not name them in any way
# this module follows: generators change what the presence oracle answers.
GLOBAL_KINDS = frozenset({"GatewayClass", "HelmRelease", "Application", "ApplicationSet", "Kustomization"})

_SECRET_SOURCES = frozenset({(CORE_GROUP, "Secret"), (CORE_GROUP, "ConfigMap")})
_ROUTE_GROUP_KINDS = tuple((g, k) for g, kinds in ROUTE_KINDS.items() for k in sorted(kinds))

Name = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class RouteRefs:
    """What one route body names: every (namespace, name), and the Services it names as parents."""

    names: frozenset[Name]
    namespaces: frozenset[str]
    service_parents: frozenset[Name]
    # Where the route is indexed (see `_RouteIndex`): (table, key) for by_name, by_namespace,
    # by_own_namespace and by_service; kept here so that an edit compares two sets.
    slots: frozenset[tuple[int, Any]]


_refs_memo: BodyMemo[RouteRefs] = BodyMemo()
_certs_memo: BodyMemo[frozenset[Name]] = BodyMemo()


def route_refs(res: Resource) -> RouteRefs:
    """(namespace, name) of everything a route's parentRefs and backendRefs name (memoized per body)."""
    return _refs_memo.get(res, None, lambda: _route_refs(res))


def _route_refs(res: Resource) -> RouteRefs:
    ns = res.key.namespace
    names: set[Name] = set()
    services: set[Name] = set()
    for raw in as_list(res.spec.get("parentRefs")):
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            name = (as_str(raw.get("namespace")) or ns, raw["name"])
            names.add(name)
            if raw.get("kind") == "Service":
                services.add(name)
    for _, ref in backend_refs(res):
        if isinstance(ref.get("name"), str):
            names.add((as_str(ref.get("namespace")) or ns, ref["name"]))
    namespaces = {n for n, _ in names}
    slots: set[tuple[int, Any]] = {(0, name) for name in names}
    slots.update((1, n) for n in namespaces)
    slots.add((2, ns))
    slots.update((3, name) for name in services)
    return RouteRefs(frozenset(names), frozenset(namespaces), frozenset(services), frozenset(slots))


def _certificates(res: Resource) -> frozenset[Name]:
    return _certs_memo.get(res, None, lambda: certificate_names(res))


def _listener_sets(state: State) -> Iterator[Resource]:
    for group, kind in LISTENER_SET_KINDS:
        yield from state.of_kind(group, kind)


_RIVALS = ((GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute"))


def _rivals_meet(old: State, new: State) -> bool:
    """Whether HTTPRoutes and GRPCRoutes both exist: then one may take a listener from the other."""
    return any(all(state.of_kind(*gk) for gk in _RIVALS) for state in (old, new))


def _gateway_parents(res: Resource) -> set[Name]:
    """(namespace, name) of the parents a route names other than Services: every route on them may be its rival."""
    ns = res.key.namespace
    return {(as_str(raw.get("namespace")) or ns, raw["name"]) for raw in as_list(res.spec.get("parentRefs"))
            if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw.get("kind") != "Service"}


def _has_plain(state: State, key: ResourceKey) -> bool:
    return state.has_manifests(key.group, key.kind, key.namespace)


def _plain_flipped(old: State, new: State, key: ResourceKey) -> bool:
    """Whether the namespace went from holding manifests of the key's kind to none, or back."""
    o, n = old.get(key), new.get(key)
    if o is not None and n is not None and o.origin == n.origin == "manifest":
        return False
    return _has_plain(old, key) != _has_plain(new, key)


@dataclass
class _Dirty:
    """What a change touched, as the route scan reads it."""

    names: set[Name]
    namespaces: set[str]  # routes naming anything in these namespaces
    own_namespaces: set[str]  # routes living in these namespaces
    services: set[Name]  # routes with one of these Service parents
    gateways: set[ResourceKey]  # Gateways whose own listener states may differ
    listener_sets_of: set[ResourceKey]  # Gateways whose ListenerSets' listener states may differ
    secrets: set[Name]
    secret_namespaces: set[str]
    # (parent name, route kind): the routes of that kind naming it, whose acceptance a changed route of the
    # rival kind may decide (an HTTPRoute and a GRPCRoute on one listener: only the older is accepted).
    # Routes of the changed route's own kind there are not affected: rivals are only of the other kind.
    # With the changed route's hostnames: only rivals whose hostnames meet them can change (None: any).
    rivals: set[tuple[Name, str, tuple[str, ...] | None]] = field(default_factory=set)


def _meets_in(hosts: tuple[str, ...], key: ResourceKey, states: tuple[State, ...]) -> bool:
    """Whether the rival `key` shares a hostname with these in any of the states (each version once)."""
    versions = {id(r): r for r in (state.get(key) for state in states) if r is not None}
    return any(hosts_meet(hosts, route_hostnames(r)) for r in versions.values())


def _collect(old: State, new: State, changed: Iterable[ResourceKey], direct: set[ResourceKey]) -> _Dirty:
    d = _Dirty(set(), set(), set(), set(), set(), set(), set(), set())
    for k in changed:
        gk = (k.group, k.kind)
        d.names.add((k.namespace, k.name))
        versions = [r for r in (old.get(k), new.get(k)) if r is not None]
        if is_route(k.group, k.kind):
            direct.add(k)
            for res in versions:
                d.services |= route_refs(res).service_parents
                if gk in _RIVALS and _rivals_meet(old, new):
                    hosts = tuple(route_hostnames(res))
                    d.rivals.update((name, RIVAL_KINDS[k.kind], hosts) for name in _gateway_parents(res))
        elif gk == (CORE_GROUP, "Namespace"):
            d.own_namespaces.add(k.name)
            if _rivals_meet(old, new):  # its routes' attachments decide which of two rivals is accepted
                for state in (old, new):
                    for group, kind in _RIVALS:
                        for res in state.of_kind(group, kind):
                            if res.key.namespace == k.name:
                                d.rivals.update((name, RIVAL_KINDS[kind], None) for name in _gateway_parents(res))
            for state in (old, new):
                d.listener_sets_of.update(listener_set_parent(ls) for ls in _listener_sets(state)
                                          if ls.key.namespace == k.name)
        elif gk == (GATEWAY_GROUP, "ReferenceGrant"):
            d.namespaces.add(k.namespace)
            d.secret_namespaces.add(k.namespace)
        elif gk in LISTENER_SET_KINDS:
            d.listener_sets_of.update(listener_set_parent(res) for res in versions)
        elif gk == (GATEWAY_GROUP, "Gateway"):
            d.gateways.add(k)
        elif gk == BACKEND_TLS_POLICY:
            for res in versions:
                d.names.update((t.namespace, t.name) for t in tls_targets(res))
        if gk in _SECRET_SOURCES:
            d.secrets.add((k.namespace, k.name))
        if gk in PRODUCER_KINDS:
            for res in versions:
                d.secrets |= produced_names(res)
        if _plain_flipped(old, new, k):
            d.namespaces.add(k.namespace)
    return d


def _spread(old: State, new: State, d: _Dirty) -> None:
    """Turn dirty Gateways and certificates into the parent names whose routes must be re-resolved."""
    if d.secrets or d.secret_namespaces:
        def touches(res: Resource) -> bool:
            names = _certificates(res)
            return bool(names) and (not d.secrets.isdisjoint(names)
                                    or any(ns in d.secret_namespaces for ns, _ in names))

        def touches_ca(policy: Resource) -> bool:
            return not d.secrets.isdisjoint(ca_names(policy))
        for state in (old, new):
            d.gateways.update(gw.key for gw in state.of_kind(GATEWAY_GROUP, "Gateway") if touches(gw))
            d.listener_sets_of.update(listener_set_parent(ls) for ls in _listener_sets(state) if touches(ls))
            for policy in state.of_kind(*BACKEND_TLS_POLICY):
                if touches_ca(policy):
                    d.names.update((t.namespace, t.name) for t in tls_targets(policy))
    d.listener_sets_of |= d.gateways
    for gw in d.gateways:
        d.names.add((gw.namespace, gw.name))
    if d.listener_sets_of:
        for state in (old, new):
            for ls in _listener_sets(state):
                if listener_set_parent(ls) in d.listener_sets_of:
                    d.names.add((ls.key.namespace, ls.key.name))


class _Members:
    """The routes in one slot of the index: a shared set, and this version's few changes over it.

    The slots of a shared Gateway's name or namespace hold nearly every route, and
    a route enters or leaves them whenever one is added, deleted or retargeted:
    copying such a set each time would make a commit cost the size of the
    repository. A version shares its predecessor's set and keeps only the routes
    that came or went since; once those outgrow a fraction of the set, the next
    version is flat again, so the copying, spread over the commits, stays
    proportional to the change. Never mutated.
    """

    __slots__ = ("_base", "_came", "_went")

    def __init__(self, base: frozenset[ResourceKey], came: frozenset[ResourceKey] = frozenset(),
                 went: frozenset[ResourceKey] = frozenset()) -> None:
        self._base = base
        self._came = came  # not in the base
        self._went = went  # in the base

    def with_route(self, key: ResourceKey, present: bool) -> _Members:
        """This slot with the route in it (`present`) or not."""
        base, came, went = self._base, self._came, self._went
        if key in base:
            went = went - {key} if present else went | {key}
        else:
            came = came | {key} if present else came - {key}
        if len(came) + len(went) > max(8, len(base) >> 3):
            return _Members((base - went) | came)
        return _Members(base, came, went)

    def add_to(self, out: set[ResourceKey]) -> None:
        """Add the routes of this slot to `out`."""
        out |= self._base - self._went if self._went else self._base
        out |= self._came


_Table = Mapping[Any, _Members]


@dataclass
class _RouteIndex:
    """Routes by what they name, so a change finds its routes without scanning them all.

    Derived from the parent state's index by re-indexing only the routes that
    changed: the maps are overlays of the parent's, and a slot gets a new version
    (`_Members`) only when one of those routes enters or leaves it.
    """

    by_name: _Table  # Name -> routes naming it
    by_namespace: _Table  # namespace -> routes naming anything in it
    by_own_namespace: _Table  # namespace -> routes living in it
    by_service: _Table  # Name -> routes with that Service as a parent

    @classmethod
    def build(cls, state: State) -> _RouteIndex:
        tables: tuple[dict[Any, set[ResourceKey]], ...] = ({}, {}, {}, {})
        for group_kind in _ROUTE_GROUP_KINDS:
            for res in state.of_kind(*group_kind):
                for i, k in route_refs(res).slots:
                    tables[i].setdefault(k, set()).add(res.key)
        return cls(*(Overlay.adopt({k: _Members(frozenset(v)) for k, v in t.items()}) for t in tables))

    def derive(self, old: State, new: State, routes: Iterable[ResourceKey]) -> _RouteIndex:
        tables: tuple[_Table, ...] = (self.by_name, self.by_namespace, self.by_own_namespace, self.by_service)
        edits: tuple[dict[Any, _Members], ...] = ({}, {}, {}, {})
        for key in routes:
            before, after = old.get(key), new.get(key)
            if before is not None and after is not None and before.body is after.body:
                continue  # the same body names the same objects
            was = route_refs(before).slots if before is not None else frozenset()
            now = route_refs(after).slots if after is not None else frozenset()
            # Only where the route enters or leaves a slot: most edits name what they named before.
            for slots, present in ((was - now, False), (now - was, True)):
                for i, k in slots:
                    found = edits[i].get(k) or tables[i].get(k) or _EMPTY
                    edits[i][k] = found.with_route(key, present)

        def patched(table: _Table, edit: dict[Any, _Members]) -> _Table:
            return Overlay.of(table).derive(edit) if edit else table

        return _RouteIndex(*(patched(t, e) for t, e in zip(tables, edits, strict=True)))

    def routes(self, d: _Dirty, states: tuple[State, ...]) -> set[ResourceKey]:
        out: set[ResourceKey] = set()
        for table, wanted in ((self.by_own_namespace, d.own_namespaces), (self.by_namespace, d.namespaces),
                              (self.by_name, d.names), (self.by_service, d.services)):
            for k in wanted:
                found = table.get(k)
                if found is not None:
                    found.add_to(out)
        for name, kind, hosts in d.rivals:
            found = self.by_name.get(name)
            if found is not None and name not in d.names:
                on_parent: set[ResourceKey] = set()
                found.add_to(on_parent)
                out.update(key for key in on_parent if key.kind == kind and key.group == GATEWAY_GROUP
                           and (hosts is None or _meets_in(hosts, key, states)))
        return out


_EMPTY = _Members(frozenset())


# The index of the last few states, by identity (the state is held, so its id is not reused).
_indexes: dict[int, tuple[State, _RouteIndex]] = {}


def _index_of(old: State, new: State, changed: set[ResourceKey]) -> _RouteIndex:
    hit = _indexes.get(id(new))
    if hit is not None and hit[0] is new:
        return hit[1]
    parent = _indexes.get(id(old))
    if parent is not None and parent[0] is old:
        idx = parent[1].derive(old, new, (k for k in changed if is_route(k.group, k.kind)))
    else:
        idx = _RouteIndex.build(new)
    if len(_indexes) >= 4:
        _indexes.pop(next(iter(_indexes)))
    _indexes[id(new)] = (new, idx)
    return idx


def affected_routes(old: State, new: State, changed: set[ResourceKey]) -> set[ResourceKey] | None:
    """Routes of `new` to resolve again; None means all of them."""
    if any(k.kind in GLOBAL_KINDS for k in changed):
        return None
    direct: set[ResourceKey] = set()
    d = _collect(old, new, changed, direct)
    _spread(old, new, d)
    resources = new.resources
    return {k for k in direct | _index_of(old, new, changed).routes(d, (old, new)) if k in resources}


def merge(previous: Resolution, fresh: Resolution, new: State, resolved: set[ResourceKey],
          gone: Iterable[ResourceKey] | None = None) -> Resolution:
    """Statuses of `fresh` for the resolved routes, `previous` for the rest still present.

    With `gone` (the objects the change deleted) the previous maps are patched
    (as overlays of them, not copies) instead of filtered, and the previous issues
    kept as they are unless a resolved or deleted route had some, so a commit costs
    what it changed.
    """
    routes: Mapping[ResourceKey, RouteStatus]
    backends: Mapping[ResourceKey, tuple[BackendStatus, ...]]
    issues = Issues.of(previous.validation)
    if gone is None:
        routes = {k: v for k, v in previous.routes.items() if k in new.resources and k not in resolved}
        backends = {k: v for k, v in previous.backends.items() if k in new.resources and k not in resolved}
        routes.update(fresh.routes)
        backends.update(fresh.backends)
        left: Collection[ResourceKey] = {k for k in issues.routes if k not in new.resources}
    else:
        left = tuple(gone)
        drop = (*resolved, *left)
        routes = Overlay.of(previous.routes).derive(fresh.routes, drop)
        backends = Overlay.of(previous.backends).derive(fresh.backends, drop)
    validation = issues.replaced({*resolved, *left}, Issues.of(fresh.validation))
    return Resolution(routes, fresh.gateways, fresh.listener_sets, validation, backends, fresh.policies)
