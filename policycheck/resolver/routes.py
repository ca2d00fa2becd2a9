"""resolve_state: each route's status per parentRef, and Gateway/ListenerSet status.

Indexes (namespaces, grants, secret producers, ListenerSets by Gateway, routes
by parent, GAMMA precedence) are built at most once per call, lazily, so an
incremental call that resolves a few routes stays linear in the state size;
grants, producers, parsed parentRefs, validation issues and selector answers
are kept across calls while the objects they read are the same (memo.py), and
so are the Gateway and ListenerSet views while every answer they read is
(views.py), and each route's attachment to a view's listeners while its
parentRef, hostnames and Namespace are (attachment.py), so such a call costs
little more than the routes it resolves.

Parents by kind:
- Gateway / ListenerSet / XListenerSet: listener attachment (attachment.py);
  the linkerd profile gives them no status at all (`managed=False`);
- Service (core group, `core` accepted): GAMMA (services.py);
- policy.linkerd.io Server: Linkerd inbound routes (linkerd.py);
- anything else: no controller of the profile serves it, so no status.
A parent that the repository does not define is `NoMatchingParent` (missing)
or Accepted `Unknown` / `Pending` (unknown or external presence).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from policycheck.model import GATEWAY_GROUP, ROUTE_KINDS, Resource, ResourceKey, is_route
from policycheck.overlay import Overlay
from policycheck.resolver import services, views
from policycheck.resolver.attachment import AttachMemo, Attachment, route_hostnames
from policycheck.resolver.backends import backend_keys, backend_statuses, resolved_refs
from policycheck.resolver.backendtls import POLICY as BACKEND_TLS_POLICY
from policycheck.resolver.fields import creation_timestamp
from policycheck.resolver.gateways import LISTENER_SET_KINDS, GatewayView, ListenerSetView, listener_set_parent
from policycheck.resolver.hostnames import intersects
from policycheck.resolver.linkerd import attach_server, is_server_parent
from policycheck.resolver.listeners import ListenerState
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.memo import BodyMemo
from policycheck.resolver.refs import SpecParentRef, spec_parent_refs
from policycheck.resolver.validation import validate_route
from policycheck.state import State
from policycheck.status import (
    FALSE,
    MISSING,
    PRESENT,
    TRUE,
    UNKNOWN,
    BackendStatus,
    Condition,
    GatewayStatus,
    Issues,
    ListenerStatus,
    ParentRef,
    ParentStatus,
    Resolution,
    RouteStatus,
    ValidationIssue,
)

_VALIDATION: BodyMemo[tuple[ValidationIssue, ...]] = BodyMemo()
_ATTACHMENTS = AttachMemo()


def _parent_refs(route: Resource, profile: str) -> tuple[SpecParentRef, ...]:
    """A route's usable parentRefs, parsed once per body across resolutions."""
    return spec_parent_refs(route, profile)


def _validation(route: Resource, profile: str) -> tuple[ValidationIssue, ...]:
    """A route's validation issues: they read its body alone."""
    return _VALIDATION.get(route, profile, lambda: tuple(validate_route(route, profile)))


# Of an HTTPRoute and a GRPCRoute on one listener with a hostname in common, only the older is accepted.
RIVAL_KINDS = {"HTTPRoute": "GRPCRoute", "GRPCRoute": "HTTPRoute"}
# A route of the rival kind on a parent: its order (`_route_order`), itself, its parentRef there, its hostnames.
_Rival = tuple[tuple[int, str, str, str], Resource, SpecParentRef, Sequence[str]]


def _route_order(route: Resource) -> tuple[int, str, str, str]:
    """Older first (a route without a creationTimestamp after those with one), then namespace/name."""
    return _ORDER.get(route, None, lambda: _order_of(route))


def _order_of(route: Resource) -> tuple[int, str, str, str]:
    stamp = creation_timestamp(route.body)
    return (0 if stamp else 1, stamp, route.key.namespace, route.key.name)


_ORDER: BodyMemo[tuple[int, str, str, str]] = BodyMemo()


def hosts_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two routes' hostnames intersect (a route without hostnames takes every name)."""
    return not a or not b or any(intersects(x, y) for x in a for y in b)


def _is_gateway(ref: ParentRef) -> bool:
    return (ref.group, ref.kind) == (GATEWAY_GROUP, "Gateway")


def _is_listener_set(ref: ParentRef) -> bool:
    return (ref.group, ref.kind) in LISTENER_SET_KINDS


class _Resolver:
    def __init__(self, lookups: Lookups, whole: bool = False) -> None:
        self.lookups = lookups
        # Whether Gateway statuses are asked too: their listener counts read the index of every parent.
        self._whole = whole
        self.state = lookups.state
        self._ls_index: dict[ResourceKey, list[Resource]] | None = None
        self._views: dict[ResourceKey, GatewayView | None] = {}
        self._ls_views: dict[ResourceKey, ListenerSetView] = {}
        self._by_parent: Mapping[ResourceKey, list[tuple[Resource, SpecParentRef]]] | None = None
        self._by_service: Mapping[ResourceKey, list[tuple[Resource, SpecParentRef]]] | None = None
        self._precedence: dict[ResourceKey, services.Precedence] = {}
        self._attachments: dict[tuple[ResourceKey, int], Attachment] = {}
        self._own: dict[tuple[ResourceKey, int], Attachment | None] = {}
        self._hostnames: dict[ResourceKey, tuple[str, ...]] = {}  # read once per route, not per parentRef
        self._backends: dict[ResourceKey, tuple[BackendStatus, ...]] = {}
        # (parent, kind): the routes of that kind on the parent, oldest first (see `_older_rivals`).
        self._rivals: dict[tuple[ResourceKey, str], list[_Rival]] = {}

    # --- indexes -------------------------------------------------------------
    def by_parent(self) -> Mapping[ResourceKey, list[tuple[Resource, SpecParentRef]]]:
        if self._by_parent is None:
            self._by_parent = _PARENT_INDEX.get(_route_maps(self.state), self.lookups.profile)
        return self._by_parent

    def by_service(self) -> Mapping[ResourceKey, list[tuple[Resource, SpecParentRef]]]:
        """`by_parent` for Service parents alone: what GAMMA precedence reads, on every commit that
        re-resolves a mesh route (a Gateway's list holds most routes, and is patched for nothing)."""
        if self._by_service is None:
            if self._whole:  # the whole index is made anyway: its Service parents are these
                self._by_service = {k: v for k, v in self.by_parent().items() if services.is_service_key(k)}
            else:
                self._by_service = _SERVICE_PARENT_INDEX.get(_route_maps(self.state), self.lookups.profile)
        return self._by_service

    def view(self, key: ResourceKey) -> GatewayView | None:
        if key not in self._views:
            gw = self.state.get(key)
            if gw is None:
                self._views[key] = None
            else:
                if self._ls_index is None:
                    self._ls_index = views.listener_sets_of(self.lookups)
                v = views.gateway(self.lookups, gw, self._ls_index.get(key, ()))
                self._views[key] = v
                for ls in v.listener_sets:
                    self._ls_views[ls.resource.key] = ls
        return self._views[key]

    def listener_set_view(self, ls: Resource) -> ListenerSetView:
        if ls.key not in self._ls_views and self.view(listener_set_parent(ls)) is None:
            self._ls_views[ls.key] = views.orphan(self.lookups, ls)
        return self._ls_views[ls.key]

    def precedence(self, service: ResourceKey) -> services.Precedence:
        """Route-kind ranks on one Service, from every route that names it (built on first use)."""
        if service not in self._precedence:
            prec = services.Precedence()
            for route, spr in self.by_service().get(service, []):
                basic = services.basic(self.lookups, spr.ref)
                if basic.attachment.status == TRUE:
                    prec.add(service, route.key, None if self.lookups.profile == "linkerd" else basic.ports)
            self._precedence[service] = prec
        return self._precedence[service]

    # --- attachment ------------------------------------------------------------
    def _absent(self, key: ResourceKey) -> Attachment:
        presence = self.state.presence(key)
        if presence.state in (MISSING, PRESENT):
            return Attachment(FALSE, "NoMatchingParent", f"{key} not found in the repository")
        return Attachment(UNKNOWN, "Pending", f"{key}: {presence.reason or presence.state}")

    def attachment(self, route: Resource, spr: SpecParentRef) -> Attachment | None:
        """The Accepted outcome for one parentRef, or None when the profile gives it no status."""
        cache_key = (route.key, spr.index)
        if cache_key in self._attachments:
            return self._attachments[cache_key]
        result = self._own_attachment(route, spr)
        if (result is not None and result.status == TRUE and route.key.kind in RIVAL_KINDS
                and (_is_gateway(spr.ref) or _is_listener_set(spr.ref))):
            result = self._after_rivals(route, spr.ref, result)
        if result is not None:
            self._attachments[cache_key] = result
        return result

    def _own_attachment(self, route: Resource, spr: SpecParentRef) -> Attachment | None:
        """The outcome of one parentRef on its own, before routes of a rival kind on its listeners."""
        cache_key = (route.key, spr.index)
        if cache_key not in self._own:
            self._own[cache_key] = self._attach(route, spr.ref)
        return self._own[cache_key]

    def _after_rivals(self, route: Resource, ref: ParentRef, att: Attachment) -> Attachment:
        """HTTPRoute and GRPCRoute on one listener with intersecting hostnames: only the older is accepted.

        GRPCRoute hostnames: "If a Route (A) of type HTTPRoute or GRPCRoute is attached to a Listener and
        that listener already has another Route (B) of the other type attached and the intersection of the
        hostnames of A and B is non-empty, then the implementation MUST accept exactly one of these two
        routes" (the oldest, then the first by namespace/name); "The rejected Route MUST raise an
        'Accepted' condition with a status of 'False'".
        """
        rival_kind = RIVAL_KINDS[route.key.kind]
        if not self.state.of_kind(GATEWAY_GROUP, rival_kind):
            return att
        mine = self._hostnames.get(route.key) or route_hostnames(route)
        order = _route_order(route)
        taken: dict[str, ResourceKey] = {}
        for rival_order, rival, spr, hosts in self._older_rivals(ref.parent_key, rival_kind):
            if rival_order > order:
                break
            if not hosts_meet(mine, hosts):
                continue
            other = self._own_attachment(rival, spr)
            if other is None or other.status != TRUE:
                continue
            for name in other.listeners:
                taken.setdefault(name, rival.key)
        kept = tuple(n for n in att.listeners if n not in taken)
        if kept == att.listeners:
            return att
        if not kept:
            first = taken[att.listeners[0]]
            return Attachment(FALSE, "Conflicted", f"{first.kind} {first.namespace}/{first.name} is older and "
                              f"shares a listener and a hostname with this {route.key.kind}; only the older is "
                              "accepted")
        return replace(att, listeners=kept)

    def _older_rivals(self, parent: ResourceKey, kind: str) -> list[_Rival]:
        """The Gateway API routes of `kind` on `parent` with their hostnames, oldest first: sorted once per
        parent and kind, so that each route compares itself with the older ones only."""
        found = self._rivals.get((parent, kind))
        if found is None:
            found = sorted(((_route_order(r), r, spr, self._hostnames.get(r.key) or route_hostnames(r))
                            for r, spr in self.by_parent().get(parent, [])
                            if r.key.kind == kind and r.key.group == GATEWAY_GROUP), key=lambda e: e[0])
            self._rivals[(parent, kind)] = found
        return found

    def _attach(self, route: Resource, ref: ParentRef) -> Attachment | None:
        linkerd = self.lookups.profile == "linkerd"
        if _is_gateway(ref) or _is_listener_set(ref):
            if linkerd:
                return None
            return self._attach_listeners(route, ref)
        if services.is_service_parent(ref):
            basic = services.basic(self.lookups, ref)
            if basic.attachment.status != TRUE:
                return basic.attachment
            ports = None if linkerd else basic.ports
            winner = self.precedence(ref.parent_key).winner_over(ref.parent_key, route.key, ports)
            if winner:
                return Attachment(FALSE, "Conflicted",
                                  f"a {winner} on {ref.parent_key} takes precedence over {route.key.kind}s")
            return basic.attachment
        if is_server_parent(ref):
            return attach_server(self.lookups, route.key.kind, ref)
        return None

    def _attach_listeners(self, route: Resource, ref: ParentRef) -> Attachment:
        key = ref.parent_key
        res = self.state.get(key)
        if res is None:
            return self._absent(key)
        listeners: tuple[ListenerState, ...]
        if _is_gateway(ref):
            gateway = key
            v = self.view(key)
            listeners = v.listeners if v else ()
        else:
            lsv = self.listener_set_view(res)
            if lsv.accepted != TRUE:
                return Attachment(lsv.accepted, "NoMatchingParent" if lsv.accepted == FALSE else "Pending",
                                  f"{key} is not accepted by its Gateway {lsv.gateway}")
            gateway, listeners = lsv.gateway, lsv.listeners
        hostnames = self._hostnames.get(route.key)
        if hostnames is None:
            hostnames = self._hostnames[route.key] = route_hostnames(route)
        found = _ATTACHMENTS.get(self.lookups, route.key, hostnames, ref, listeners)
        if found.status == TRUE and found.served != FALSE:
            # "the route's availability is also subject to the Gateway's own status conditions"
            gv = self.view(gateway)
            down = next((c for c in gv.conditions if c.type in ("Accepted", "Programmed") and c.status == FALSE),
                        None) if gv else None
            if down is not None:
                return replace(found, served=FALSE, unserved=f"Gateway {gateway.namespace}/{gateway.name} is not "
                               f"{down.type.lower()} ({down.reason}: {down.message})")
        return found

    # --- status -------------------------------------------------------------
    def backends(self, route: Resource) -> tuple[BackendStatus, ...]:
        """Each backendRef's status, checked once for both ResolvedRefs and the per-backend statuses."""
        found = self._backends.get(route.key)
        if found is None:
            found = self._backends[route.key] = backend_statuses(self.lookups, route)
        return found

    def route_status(self, route: Resource) -> RouteStatus:
        parents: list[ParentStatus] = []
        refs_cond: Condition | None = None
        for spr in _parent_refs(route, self.lookups.profile):
            presence = self.state.presence(spr.ref.parent_key)
            att = self.attachment(route, spr)
            if att is None:
                parents.append(ParentStatus(spr.index, spr.ref, (), presence, (), managed=False))
                continue
            if refs_cond is None:
                refs_cond = resolved_refs(self.backends(route))
            accepted = Condition("Accepted", att.status, att.reason, att.message)
            ok = att.status == TRUE
            parents.append(ParentStatus(spr.index, spr.ref, (accepted, refs_cond), presence,
                                        att.listeners if ok else (), served=att.served if ok else None,
                                        unserved=att.unserved if ok else ""))
        return RouteStatus(route.key, tuple(parents))

    def _counts(self, owner: ResourceKey) -> dict[str, int]:
        counts: dict[str, set[ResourceKey]] = defaultdict(set)
        for route, spr in self.by_parent().get(owner, []):
            att = self.attachment(route, spr)
            if att is not None and att.status == TRUE:
                for name in att.listeners:
                    counts[name].add(route.key)
        return {name: len(keys) for name, keys in counts.items()}

    def _listener_statuses(self, owner: ResourceKey, states: Iterable[ListenerState]) -> tuple[ListenerStatus, ...]:
        counts = self._counts(owner)
        return tuple(ListenerStatus(s.listener.name, counts.get(s.listener.name, 0), s.supported_kinds, s.conditions)
                     for s in states)

    def gateway_status(self, gw: Resource) -> GatewayStatus:
        v = self.view(gw.key)
        assert v is not None
        return GatewayStatus(gw.key, v.conditions, self._listener_statuses(gw.key, v.listeners),
                             v.attached_listener_sets)

    def listener_set_status(self, ls: Resource) -> GatewayStatus:
        v = self.listener_set_view(ls)
        return GatewayStatus(ls.key, v.conditions, self._listener_statuses(ls.key, v.listeners))


def _route_lists(state: State) -> tuple[list[Resource], ...]:
    return tuple(state.of_kind(group, kind) for group, kinds in ROUTE_KINDS.items() for kind in sorted(kinds))


def _all_routes(state: State) -> list[Resource]:
    return [res for routes in _route_lists(state) for res in routes]


ParentIndex = Mapping[ResourceKey, list[tuple[Resource, SpecParentRef]]]


class _ParentIndexMemo:
    """Routes by the parent each of their parentRefs names, patched from the last index built.

    Service parents (GAMMA) need every route that names the Service to rank
    route kinds, so a commit would otherwise walk every parentRef of the
    repository. A state's map of the objects of a kind is its parent state's
    while none of them changed, and is derived from it otherwise: the routes that
    left or came are found from the maps' own changes (`Overlay.differing`), and
    only the parents they name get new entry lists (lists are never mutated).
    The order of entries within a parent's list is not meaningful to any reader.
    """

    def __init__(self, services_only: bool = False) -> None:
        self._services_only = services_only  # only the parentRefs naming Services
        self._maps: tuple[Mapping[ResourceKey, Resource], ...] = ()
        self._profile = ""
        self._index: ParentIndex = {}

    def get(self, maps: tuple[Mapping[ResourceKey, Resource], ...], profile: str) -> ParentIndex:
        if profile == self._profile and len(maps) == len(self._maps):
            gone: list[Resource] = []
            came: list[Resource] = []
            for new, old in zip(maps, self._maps, strict=True):
                if new is old:
                    continue
                keys = new.differing(old) if isinstance(new, Overlay) and isinstance(old, Overlay) else None
                if keys is None:  # one was made flat since: compared whole, by identity
                    keys = {k for k, v in new.items() if old.get(k) is not v} | {k for k in old if k not in new}
                if len(keys) * 4 > len(new) + 8:
                    break  # too many changes: built anew
                for key in keys:
                    before, after = old.get(key), new.get(key)
                    if before is not after:
                        if before is not None:
                            gone.append(before)
                        if after is not None:
                            came.append(after)
            else:
                if gone or came:
                    self._index = self._patched(gone, came, profile)
                self._maps = maps
                return self._index
        index: dict[ResourceKey, list[tuple[Resource, SpecParentRef]]] = defaultdict(list)
        for routes in maps:
            for route in routes.values():
                for spr in self._refs(route, profile):
                    index[spr.ref.parent_key].append((route, spr))
        self._maps, self._profile, self._index = maps, profile, Overlay.adopt(dict(index))
        return self._index

    def _patched(self, gone: list[Resource], came: list[Resource], profile: str) -> ParentIndex:
        """The last index with only the entry lists of the parents these routes name replaced."""
        index = self._index
        lists: dict[ResourceKey, list[tuple[Resource, SpecParentRef]]] = {}
        for route in gone:
            for key in {spr.ref.parent_key for spr in self._refs(route, profile)}:
                lists[key] = [e for e in lists.get(key, index.get(key, ())) if e[0] is not route]
        for route in came:
            for spr in self._refs(route, profile):
                key = spr.ref.parent_key
                lists[key] = [*lists.get(key, index.get(key, ())), (route, spr)]
        return Overlay.of(index).derive({k: v for k, v in lists.items() if v}, [k for k, v in lists.items() if not v])


    def _refs(self, route: Resource, profile: str) -> Sequence[SpecParentRef]:
        refs = _parent_refs(route, profile)
        return [spr for spr in refs if services.is_service_parent(spr.ref)] if self._services_only else refs


def _route_maps(state: State) -> tuple[Mapping[ResourceKey, Resource], ...]:
    return tuple(state.kind_map(group, kind) for group, kinds in ROUTE_KINDS.items() for kind in sorted(kinds))


_PARENT_INDEX = _ParentIndexMemo()
_SERVICE_PARENT_INDEX = _ParentIndexMemo(services_only=True)


def _gateways_by_backend(lookups: Lookups, statuses: Mapping[ResourceKey, RouteStatus]
                         ) -> dict[ResourceKey, set[ResourceKey]]:
    """The Gateways each backend Service is reached through: a BackendTLSPolicy's status ancestors."""
    out: dict[ResourceKey, set[ResourceKey]] = defaultdict(set)
    for key, status in statuses.items():
        route = lookups.state.get(key)
        if route is None:
            continue
        gateways = set()
        for p in status.parents:
            if _is_gateway(p.ref):
                gateways.add(p.ref.parent_key)
            elif _is_listener_set(p.ref):
                ls = lookups.state.get(p.ref.parent_key)
                if ls is not None:
                    gateways.add(listener_set_parent(ls))
        if gateways:
            for service in backend_keys(route, lookups.profile):
                out[service] |= gateways
    return out


def resolve_state(state: State, profile: str = "spec", routes: Iterable[ResourceKey] | None = None,
                  gateways: bool = True) -> Resolution:
    """Predict status for every route of `state` (or only `routes`), and Gateways/ListenerSets when asked."""
    lookups = Lookups(state, profile)
    if routes is None:
        wanted = _all_routes(state)
    else:
        found = (state.get(k) for k in routes if is_route(k.group, k.kind))
        wanted = [r for r in found if r is not None]
    resolver = _Resolver(lookups, whole=gateways)
    route_statuses = {r.key: resolver.route_status(r) for r in wanted}
    validation = Issues(issue for r in wanted for issue in _validation(r, profile))
    gw_statuses: dict[ResourceKey, GatewayStatus] = {}
    ls_statuses: dict[ResourceKey, GatewayStatus] = {}
    if gateways:
        for gw in state.of_kind(GATEWAY_GROUP, "Gateway"):
            gw_statuses[gw.key] = resolver.gateway_status(gw)
        for group, kind in LISTENER_SET_KINDS:
            for ls in state.of_kind(group, kind):
                ls_statuses[ls.key] = resolver.listener_set_status(ls)
    backends = {r.key: resolver.backends(r) for r in wanted}
    policies = {}
    if gateways and state.of_kind(*BACKEND_TLS_POLICY):
        policies = lookups.backend_tls.statuses(_gateways_by_backend(lookups, route_statuses))
    return Resolution(route_statuses, gw_statuses, ls_statuses, validation, backends, policies)

