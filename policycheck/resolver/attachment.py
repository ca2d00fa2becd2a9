"""Whether a route attaches to a Gateway or ListenerSet, through which listeners.

The listeners a parentRef selects are narrowed stage by stage, and the stage
that leaves none gives the reason, as the spec orders them:
1. sectionName / port select no listener -> NoMatchingParent ("a Route ParentRef
   specifies a Port and/or SectionName that does not match any Listeners");
2. no selected listener takes the route's kind (an unsupported protocol takes
   none), or admits its namespace (allowedRoutes.namespaces Same / All /
   Selector) -> NotAllowedByListeners ("no Listener whose allowedRoutes criteria
   permit the route");
3. no remaining listener hostname intersects the route's hostnames
   -> NoMatchingListenerHostname.
A Selector on a namespace the repository does not define is undecided: when
only such listeners remain, Accepted is Unknown rather than False.

Listener status takes no part: "Listener or Route status does not impact
successful attachment". A route attached only to listeners that are not
accepted or not programmed is Accepted, with `served` False saying why its
traffic is not served.

Most routes a commit resolves again attach exactly as before (an edited backend
weight, a changed Service): `AttachMemo` keeps each outcome with everything it
was read from, so such a route costs a lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policycheck.gitops.substitute import helm_expressions, unresolved
from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.fields import as_list, as_str
from policycheck.resolver.hostnames import listener_accepts
from policycheck.resolver.listeners import ListenerState
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.memo import BodyMemo
from policycheck.status import FALSE, TRUE, UNKNOWN, ParentRef

HOSTNAME_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})


@dataclass(frozen=True)
class Attachment:
    status: str
    reason: str
    message: str
    listeners: tuple[str, ...] = ()
    # Whether a listener the route attached to serves its traffic (True / False / Unknown), and why not.
    served: str = TRUE
    unserved: str = ""


def _serving(attached: Sequence[ListenerState]) -> tuple[str, str]:
    """True when some listener serves, else Unknown when some may, else False, with every listener's reason."""
    answers = [s.serving for s in attached]
    for status in (TRUE, UNKNOWN):
        if any(a[0] == status for a in answers):
            return status, "" if status == TRUE else "; ".join(why for st, why in answers if st == UNKNOWN)
    return FALSE, "; ".join(why for _, why in answers)


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


def route_hostnames(route: Resource) -> tuple[str, ...]:
    """The hostnames a route of a kind that has them declares (others match any listener hostname).

    Read once per body: every route of the rival kind on a Gateway asks for them on each change there."""
    if route.key.kind not in HOSTNAME_KINDS:
        return ()
    return _HOSTNAMES.get(route, None, lambda: _declared(route))


def _declared(route: Resource) -> tuple[str, ...]:
    return tuple(h for h in (as_str(x) for x in as_list(route.spec.get("hostnames"))) if h)


_HOSTNAMES: BodyMemo[tuple[str, ...]] = BodyMemo()


MEMO_LIMIT = 100_000

# What `attach` reads besides the listeners and the route's Namespace object (compared by identity).
_Inputs = tuple[ParentRef, str, str, str, tuple[str, ...], int]


class AttachMemo:
    """Outcomes of `attach` by everything it reads, kept across resolutions.

    `attach` reads the parentRef, the route's group, kind and namespace and its
    hostnames (values), the listener states (one view's tuple, by identity: a kept
    view hands out the same tuple) and the labels of the route's Namespace (its
    object, by identity). Both objects are held with the outcome, so their ids are
    not reused while it lives; bounded so that a long history does not grow memory.
    """

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self._limit = limit
        self._entries: dict[_Inputs, tuple[tuple[ListenerState, ...], Resource | None, Attachment]] = {}

    def get(self, lookups: Lookups, key: ResourceKey, hostnames: tuple[str, ...], ref: ParentRef,
            listeners: tuple[ListenerState, ...]) -> Attachment:
        """`attach` of the route `key` with these hostnames, for `ref` to these listeners of its parent."""
        namespace = lookups.state.get(ResourceKey(CORE_GROUP, "Namespace", "", key.namespace))
        inputs = (ref, key.group, key.kind, key.namespace, hostnames, id(listeners))
        hit = self._entries.get(inputs)
        if hit is not None and hit[0] is listeners and hit[1] is namespace:
            return hit[2]
        found = attach(lookups, key, hostnames, ref, listeners, str(ref.parent_key))
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[inputs] = (listeners, namespace, found)
        return found


def attach(lookups: Lookups, route: ResourceKey, hostnames: Sequence[str], ref: ParentRef,
           listeners: tuple[ListenerState, ...], parent_label: str) -> Attachment:
    """The outcome for a route (its key and hostnames) on one parentRef to these listeners."""
    selected = [s for s in listeners
                if (ref.section_name is None or s.listener.name == ref.section_name)
                and (ref.port is None or s.listener.port == ref.port)]
    if not selected:
        what = _what(ref)
        return Attachment(FALSE, "NoMatchingParent", f"{parent_label} has no listener matching {what}" if what
                          else f"{parent_label} has no listeners")
    kind = (route.group, route.kind)
    usable = [s for s in selected if kind in s.attach_kinds]
    undecided = [s.listener.name for s in selected if not s.kinds_known]
    if undecided:
        found = _decided(lookups, route, hostnames, ref, usable, parent_label)
        if found.status != FALSE:
            return found
        return Attachment(UNKNOWN, "Pending", f"listener {', '.join(undecided)} of {parent_label} uses an "
                          "implementation-specific protocol: whether it takes the route is the implementation's call")
    return _decided(lookups, route, hostnames, ref, usable, parent_label)


def _decided(lookups: Lookups, route: ResourceKey, hostnames: Sequence[str], ref: ParentRef,
             usable: list[ListenerState], parent_label: str) -> Attachment:
    """The outcome over the listeners that take the route's kind."""
    if not usable:
        return Attachment(FALSE, "NotAllowedByListeners",
                          f"no listener of {parent_label}{_matching(ref)} allows kind {route.kind}")
    sure, maybe = [], []
    for s in usable:
        allowed = _namespace_allowed(lookups, s, route.namespace)
        if allowed is True:
            sure.append(s)
        elif allowed is None:
            maybe.append(s)
    if not sure and not maybe:
        return Attachment(FALSE, "NotAllowedByListeners",
                          f"no listener of {parent_label}{_matching(ref)} allows routes from namespace "
                          f"{route.namespace}")
    sure = [s for s in sure if listener_accepts(s.listener.hostname, hostnames)]
    maybe = [s for s in maybe if listener_accepts(s.listener.hostname, hostnames)]
    if sure:
        served, why = _serving(sure)
        return Attachment(TRUE, "Accepted", f"attached to {parent_label}", tuple(s.listener.name for s in sure),
                          served, why)
    if maybe:
        return Attachment(UNKNOWN, "Pending",
                          f"namespace {route.namespace} has no manifest in the repository; whether the listener "
                          f"selector admits it depends on labels set elsewhere")
    rendered = [h for h in hostnames if helm_expressions(h) or unresolved(h)]
    if rendered:  # a hostname the chart renders, or a variable with no value fills, is not known here
        return Attachment(UNKNOWN, "Pending",
                          f"the route's hostname {rendered[0]} is rendered at deploy time; whether it matches a "
                          f"listener hostname of {parent_label} cannot be told")
    return Attachment(FALSE, "NoMatchingListenerHostname",
                      f"no hostname of the route intersects a listener hostname of {parent_label}")


def _matching(ref: ParentRef) -> str:
    """` matching port 80` for a parentRef that selects listeners, nothing for one that takes them all."""
    what = _what(ref)
    return f" matching {what}" if what else ""


def _what(ref: ParentRef) -> str:
    """Which listeners a parentRef selects, in words (for the messages of a refusal)."""
    return " ".join(x for x in (f"sectionName {ref.section_name}" if ref.section_name else "",
                                f"port {ref.port}" if ref.port is not None else "") if x)
