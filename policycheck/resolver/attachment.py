"""Whether a route attaches to a Gateway or ListenerSet, through which listeners.

The listeners a parentRef selects are narrowed stage by stage, and the stage
that leaves none gives the reason, as the spec orders them:
1. sectionName / port select no listener that can take routes -> NoMatchingParent;
2. no selected listener serves the route's kind, or admits its namespace
   (allowedRoutes.namespaces Same / All / Selector) -> NotAllowedByListeners;
3. no remaining listener hostname intersects the route's hostnames
   -> NoMatchingListenerHostname.
A Selector on a namespace the repository does not define is undecided: when
only such listeners remain, Accepted is Unknown rather than False.
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.model import Resource
from policycheck.resolver.fields import as_list, as_str
from policycheck.resolver.hostnames import listener_accepts
from policycheck.resolver.listeners import ListenerState
from policycheck.resolver.lookups import Lookups
from policycheck.status import FALSE, TRUE, UNKNOWN, ParentRef

HOSTNAME_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})


@dataclass(frozen=True)
class Attachment:
    status: str
    reason: str
    message: str
    listeners: tuple[str, ...] = ()


def _namespace_allowed(lookups: Lookups, state: ListenerState, namespace: str) -> bool | None:
    lst = state.listener
    source = lst.namespaces_from
    if source == "All":
        return True
    if source == "Same":
        return namespace == lst.owner.namespace
    if source == "Selector":
        return lookups.namespaces.selects(lst.namespace_selector, namespace)
    return False


def route_hostnames(route: Resource) -> list[str]:
    if route.key.kind not in HOSTNAME_KINDS:
        return []
    return [h for h in (as_str(x) for x in as_list(route.spec.get("hostnames"))) if h]


def attach(lookups: Lookups, route: Resource, ref: ParentRef, listeners: tuple[ListenerState, ...],
           parent_label: str) -> Attachment:
    selected = [s for s in listeners
                if (ref.section_name is None or s.listener.name == ref.section_name)
                and (ref.port is None or s.listener.port == ref.port)]
    what = " ".join(x for x in (f"sectionName {ref.section_name}" if ref.section_name else "",
                                f"port {ref.port}" if ref.port is not None else "") if x) or "any listener"
    if not selected:
        return Attachment(FALSE, "NoMatchingParent", f"{parent_label} has no listener matching {what}")
    usable = [s for s in selected if s.accepted]
    if not usable:
        return Attachment(FALSE, "NoMatchingParent", f"{parent_label}: the listener matching {what} is not accepted")
    kind = (route.key.group, route.key.kind)
    usable = [s for s in usable if kind in s.supported_kinds]
    if not usable:
        return Attachment(FALSE, "NotAllowedByListeners",
                          f"no listener of {parent_label} matching {what} allows kind {route.key.kind}")
    sure, maybe = [], []
    for s in usable:
        allowed = _namespace_allowed(lookups, s, route.key.namespace)
        if allowed is True:
            sure.append(s)
        elif allowed is None:
            maybe.append(s)
    if not sure and not maybe:
        return Attachment(FALSE, "NotAllowedByListeners",
                          f"no listener of {parent_label} matching {what} allows routes from namespace "
                          f"{route.key.namespace}")
    hosts = route_hostnames(route)
    sure = [s for s in sure if listener_accepts(s.listener.hostname, hosts)]
    maybe = [s for s in maybe if listener_accepts(s.listener.hostname, hosts)]
    if sure:
        return Attachment(TRUE, "Accepted", f"attached to {parent_label}", tuple(s.listener.name for s in sure))
    if maybe:
        return Attachment(UNKNOWN, "Pending",
                          f"namespace {route.key.namespace} has no manifest in the repository; whether the listener "
                          f"selector admits it depends on labels set elsewhere")
    return Attachment(FALSE, "NoMatchingListenerHostname",
                      f"no hostname of the route intersects a listener hostname of {parent_label}")
