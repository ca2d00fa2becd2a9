"""Gateway, ListenerSet and listener status: what a controller writes on the parents.

Everything here is decided from the manifests alone:
- listener Accepted: False for an unsupported protocol (`UnsupportedProtocol`;
  a domain-prefixed one is implementation-specific: Accepted Unknown),
  HTTPS with Passthrough (`UnsupportedValue`), a conflict with a listener of
  higher precedence (`ProtocolConflict` / `HostnameConflict`), or no usable CA
  certificate for frontend validation (`NoValidCACertificate`);
- listener ResolvedRefs: False for `InvalidRouteKinds`, certificate references
  (`InvalidCertificateRef`, `RefNotPermitted`) and CA references
  (`InvalidCACertificateRef`, `InvalidCACertificateKind`, `RefNotPermitted`);
- Gateway Accepted: `ListenersNotValid` (True when some listener is valid,
  False when none is), False `InvalidParameters` for a parametersRef to an
  object that does not exist, Unknown for an address of an implementation-specific
  type (NamedAddress, domain-prefixed); ResolvedRefs for `tls.backend.clientCertificateRef`;
- ListenerSets: allowed by the parent's `allowedListeners` (`NotAllowed`),
  `ListenersNotValid`, and the Gateway's `attachedListenerSets`.

Listeners are distinct per protocol (`conflict`); listeners of different
protocols among HTTP, HTTPS and TLS on one port are distinct, and whether one
address can serve them ("compatible listeners") is the implementation's call:
they stay Accepted, with Programmed Unknown saying so (`compatibility`).
Conflict precedence follows GEP-1713: Gateway listeners first, then ListenerSets
by creationTimestamp and namespace/name; a listener loses to an accepted one of
an earlier resource it conflicts with, and conflicts within one resource mark
every listener involved. Routes attach to listeners whatever their status
(attachment.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from policycheck.model import GATEWAY_GROUP, Resource, ResourceKey
from policycheck.resolver import certificates as certs
from policycheck.resolver.fields import as_dict, as_int, as_str, creation_timestamp, dicts
from policycheck.resolver.listeners import Kind, Listener, ListenerState, allowed_kinds, read_listeners
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.namespaces import selector_problem
from policycheck.resolver.reads import Reads
from policycheck.resolver.refs import normalize_group
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN, Condition

X_GROUP = "gateway.networking.x-k8s.io"
LISTENER_SET_KINDS: tuple[Kind, ...] = ((GATEWAY_GROUP, "ListenerSet"), (X_GROUP, "XListenerSet"))
SUPPORTED_PROTOCOLS = frozenset({"HTTP", "HTTPS", "TLS", "TCP", "UDP"})
PENDING = "Pending"


@dataclass(frozen=True)
class ListenerSetView:
    resource: Resource
    gateway: ResourceKey
    accepted: str  # TRUE / FALSE / UNKNOWN: whether the Gateway takes it
    conditions: tuple[Condition, ...]
    listeners: tuple[ListenerState, ...]


@dataclass(frozen=True)
class GatewayView:
    resource: Resource
    conditions: tuple[Condition, ...]
    listeners: tuple[ListenerState, ...]
    listener_sets: tuple[ListenerSetView, ...]

    @property
    def attached_listener_sets(self) -> int:
        return sum(1 for ls in self.listener_sets if ls.accepted == TRUE)


def listener_set_parent(res: Resource) -> ResourceKey:
    """The Gateway a ListenerSet names, defaults applied."""
    ref = as_dict(res.spec.get("parentRef"))
    return ResourceKey(as_str(ref.get("group")) or GATEWAY_GROUP, as_str(ref.get("kind")) or "Gateway",
                       as_str(ref.get("namespace")) or res.key.namespace, as_str(ref.get("name")) or "")


def listener_sets_by_gateway(lookups: Lookups) -> dict[ResourceKey, list[Resource]]:
    index: dict[ResourceKey, list[Resource]] = defaultdict(list)
    for group, kind in LISTENER_SET_KINDS:
        for res in lookups.state.of_kind(group, kind):
            index[listener_set_parent(res)].append(res)
    return index


def _cond(ctype: str, ok: bool, reason: str, message: str = "") -> Condition:
    return Condition(ctype, TRUE if ok else FALSE, reason, message)


HOSTNAME_PROTOCOLS = frozenset({"HTTP", "HTTPS", "TLS"})


def conflict(a: Listener, b: Listener) -> str | None:
    """Why two listeners are not distinct, or None when they are.

    "The set of listeners that all share a protocol value MUST have different values
    for at least one of these fields to be distinct: HTTP, HTTPS, TLS: Port, Hostname;
    TCP, UDP: Port", and "all the Listeners that share a port with the TCP Listener are
    not distinct". UDP is another transport: it shares no port with the others.
    """
    if a.port is None or a.port != b.port:
        return None
    if a.protocol == b.protocol:
        return "HostnameConflict" if (a.hostname or "").lower() == (b.hostname or "").lower() else None
    if "UDP" in (a.protocol, b.protocol):
        return None
    if "TCP" in (a.protocol, b.protocol):
        return "ProtocolConflict"
    return None


def compatibility(a: Listener, b: Listener) -> str | None:
    """Why serving two distinct listeners together is up to the implementation, or None when it is not.

    Listeners of different protocols among HTTP, HTTPS and TLS on one port are distinct, but
    whether they are compatible ("The implementation can serve them in compliance with the
    Addresses requirement") varies: "A combination that is compatible for one implementation
    may not be compatible for another".
    """
    if a.port is None or a.port != b.port or a.protocol == b.protocol:
        return None
    if a.protocol in HOSTNAME_PROTOCOLS and b.protocol in HOSTNAME_PROTOCOLS:
        first, second = sorted((a.protocol, b.protocol))
        return (f"{first} and {second} listeners share port {a.port}: whether an implementation can serve them "
                "on one address (compatible listeners) is implementation-specific")
    return None


@dataclass(frozen=True)
class _Basic:
    """A listener's own status, before conflicts with other listeners are considered."""

    listener: Listener
    accept_problem: tuple[str, str] | None  # (reason, message)
    refs: certs.RefCheck
    supported: tuple[Kind, ...]


def _frontend_validation(gateway: Resource | None, port: int | None) -> dict[str, Any] | None:
    frontend = as_dict(as_dict(as_dict(gateway.spec if gateway else {}).get("tls")).get("frontend"))
    for item in dicts(frontend.get("perPort")):
        if as_int(item.get("port")) == port:
            return as_dict(as_dict(item.get("tls")).get("validation"))
    default = as_dict(as_dict(frontend.get("default")).get("validation"))
    return default or None


def _allowed_routes_problem(listener: Listener) -> tuple[str, str] | None:
    """An allowedRoutes namespace selector that cannot select: RouteNamespaces says "Selector must be
    specified when From is set to Selector", and an invalid LabelSelector selects nothing."""
    if listener.namespaces_from != "Selector":
        return None
    selector = listener.namespace_selector
    if selector is None:
        return ("UnsupportedValue", "allowedRoutes.namespaces.selector must be specified when from is Selector")
    why = selector_problem(selector)
    return None if why is None else ("UnsupportedValue", f"allowedRoutes.namespaces.selector is invalid: {why}")


def _basic(reads: Reads, listener: Listener, gateway: Resource | None) -> _Basic:
    protocol = listener.protocol
    if "/" in protocol:  # "Any protocol defined by implementations will fall under Implementation-specific"
        return _Basic(listener, (PENDING, f"protocol {protocol} is implementation-specific: whether the "
                                 "implementation supports it, and which routes it takes, the repository cannot tell"),
                      certs.OK, ())
    if protocol not in SUPPORTED_PROTOCOLS:
        return _Basic(listener, ("UnsupportedProtocol", f"protocol {protocol or '(none)'} is not supported"),
                      certs.OK, ())
    if protocol == "HTTPS" and listener.tls_mode == "Passthrough":
        return _Basic(listener, ("UnsupportedValue", "HTTPS listeners cannot use tls.mode Passthrough"),
                      certs.OK, ())
    allowed = allowed_kinds(protocol, listener.tls_mode)
    requested = listener.requested_kinds()
    checks: list[certs.RefCheck] = []
    if requested is None:
        supported = tuple(k for k in allowed if not (protocol == "TLS" and k[1] == "TCPRoute"))
    else:
        supported = tuple(dict.fromkeys(k for k in requested if k in allowed))
        bad = [k for k in requested if k not in allowed]
        if bad:
            names = ", ".join(f"{k}.{g}" if g else k for g, k in bad)
            checks.append(certs.RefCheck(FALSE, "InvalidRouteKinds", f"{names} cannot attach to a {protocol} listener"))
    problem = _allowed_routes_problem(listener)
    terminates = protocol == "HTTPS" or (protocol == "TLS" and listener.tls_mode == "Terminate")
    if terminates:
        refs = listener.tls.get("certificateRefs")
        items = refs if isinstance(refs, list) else []
        if not items and not as_dict(listener.tls.get("options")):
            checks.append(certs.RefCheck(FALSE, "InvalidCertificateRef", "no certificateRefs to terminate TLS with"))
        checks.extend(certs.check_ref(reads, listener.owner, raw, certs.LISTENER_CERT) for raw in items)
    if protocol == "HTTPS":
        validation = _frontend_validation(gateway, listener.port)
        ca_refs = validation.get("caCertificateRefs") if validation else None
        if isinstance(ca_refs, list) and ca_refs:
            ca = [certs.check_ref(reads, gateway.key if gateway else listener.owner, raw, certs.CA_CERT)
                  for raw in ca_refs]
            checks.extend(ca)
            if all(c.status == FALSE for c in ca):
                problem = ("NoValidCACertificate", "no CA certificate reference for client validation resolves")
    return _Basic(listener, problem, certs.worst(checks), supported)


def _listener_state(basic: _Basic, conflicted: str | None, compat: str | None = None) -> ListenerState:
    """A listener's conditions; `compat` says why its compatibility with another is the implementation's call."""
    problem = basic.accept_problem
    if conflicted and problem is None:
        problem = (conflicted, "conflicts with another listener on the same port")
    accepted = problem is None
    refs = basic.refs
    resolved_cond = Condition("ResolvedRefs", refs.status, refs.reason, refs.message)
    accepted_cond = _cond("Accepted", accepted, "Accepted" if accepted else problem[0] if problem else "",
                          "" if problem is None else problem[1])
    if problem and problem[0] == PENDING:  # the implementation's call
        undecided = Condition("Accepted", UNKNOWN, PENDING, problem[1])
        return ListenerState(basic.listener, False, refs.status == TRUE, (),
                             (undecided, resolved_cond, replace(undecided, type="Programmed"),
                              Condition("Conflicted", FALSE, "NoConflicts")), (), kinds_known=False)
    if not accepted and problem:
        programmed = Condition("Programmed", FALSE, problem[0] if conflicted else "Invalid", problem[1])
    elif refs.status != TRUE:
        programmed = Condition("Programmed", refs.status, "Invalid" if refs.status == FALSE else "Pending",
                               refs.message)
    elif compat:
        programmed = Condition("Programmed", UNKNOWN, "Pending", compat)
    else:
        programmed = Condition("Programmed", TRUE, "Programmed")
    conflicted_cond = (Condition("Conflicted", TRUE, conflicted) if conflicted
                       else Condition("Conflicted", FALSE, "NoConflicts"))
    kinds = basic.supported if accepted or conflicted is None else ()
    if not accepted and basic.accept_problem and basic.accept_problem[0] in ("UnsupportedProtocol", "UnsupportedValue"):
        kinds = ()
    return ListenerState(basic.listener, accepted, refs.status == TRUE, kinds,
                         (accepted_cond, resolved_cond, programmed, conflicted_cond), basic.supported)


def _listener_set_allowed(reads: Reads, gateway: Resource, ls: Resource) -> tuple[str, str]:
    """(status, message): whether the Gateway's allowedListeners admits the ListenerSet."""
    namespaces = as_dict(as_dict(gateway.spec.get("allowedListeners")).get("namespaces"))
    source = as_str(namespaces.get("from")) or "None"
    if source == "All":
        return TRUE, ""
    if source == "Same":
        ok = ls.key.namespace == gateway.key.namespace
        return (TRUE, "") if ok else (FALSE, "the Gateway only allows ListenerSets from its own namespace")
    if source == "Selector":
        selected = reads.selects(namespaces.get("selector"), ls.key.namespace)
        if selected is None:
            return UNKNOWN, f"namespace {ls.key.namespace} has no manifest; its labels are unknown"
        return (TRUE, "") if selected else (FALSE, "the namespace is not selected by the Gateway's allowedListeners")
    return FALSE, "the Gateway does not allow ListenerSets (allowedListeners)"


def _ls_order(res: Resource) -> tuple[int, str, str, str]:
    stamp = creation_timestamp(res.body)
    return (0 if stamp else 1, stamp, res.key.namespace, res.key.name)


def _compare(groups: Sequence[Sequence[_Basic]]) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
    """Conflict reasons and compatibility notes by (group, index), over listeners in precedence order.

    Group 0 is the Gateway's own listeners, then each ListenerSet the Gateway admits, oldest
    first. A listener that conflicts with an accepted listener of an earlier group loses to
    it ("the first Listener in the precedence list MUST be accepted"); among the rest of one
    group "The implementation MUST NOT pick one conflicting Listener as the winner" (and
    ListenerSet listeners "follow the same rules of Listeners on a Gateway resource"), so
    every listener of a conflict is marked.
    """
    conflicts: dict[tuple[int, int], str] = {}
    taken: list[tuple[int, int, Listener]] = []
    for g, group in enumerate(groups):
        rest: list[tuple[int, Listener]] = []
        for i, basic in enumerate(group):
            if basic.accept_problem is not None:
                continue
            reason = next((r for r in (conflict(t, basic.listener) for _, _, t in taken) if r), None)
            if reason:
                conflicts[(g, i)] = reason
            else:
                rest.append((i, basic.listener))
        for x, (i, a) in enumerate(rest):
            for j, b in rest[x + 1:]:
                reason = conflict(a, b)
                if reason:
                    conflicts.setdefault((g, i), reason)
                    conflicts.setdefault((g, j), reason)
        taken.extend((g, i, lst) for i, lst in rest if (g, i) not in conflicts)
    compat: dict[tuple[int, int], str] = {}
    for x, (ga, ia, a) in enumerate(taken):
        for gb, ib, b in taken[x + 1:]:
            note = compatibility(a, b)
            if note:
                compat.setdefault((ga, ia), note)
                compat.setdefault((gb, ib), note)
    return conflicts, compat


def gateway_view(reads: Reads, gateway: Resource, listener_sets: Sequence[Resource]) -> GatewayView:
    """A Gateway's listener states and its ListenerSets', from what `reads` answers (views.py keeps them)."""
    own = [_basic(reads, lst, gateway) for lst in read_listeners(gateway.key, gateway.spec)]
    sets = []
    for ls in sorted(listener_sets, key=_ls_order):
        allowed, why = _listener_set_allowed(reads, gateway, ls)
        sets.append((ls, allowed, why, [_basic(reads, lst, gateway) for lst in read_listeners(ls.key, ls.spec)]))
    admitted = [own] + [basics for _, allowed, _, basics in sets if allowed == TRUE]
    conflicts, compat = _compare(admitted)
    states = [_listener_state(b, conflicts.get((0, i)), compat.get((0, i))) for i, b in enumerate(own)]
    ls_views: list[ListenerSetView] = []
    group = 0
    for ls, allowed, why, basics in sets:
        if allowed == TRUE:
            group += 1
            ls_states = tuple(_listener_state(b, conflicts.get((group, i)), compat.get((group, i)))
                              for i, b in enumerate(basics))
        else:
            ls_states = tuple(_listener_state(b, None) for b in basics)
        ls_views.append(_listener_set_view(ls, gateway.key, allowed, why, ls_states))
    return GatewayView(gateway, _gateway_conditions(reads, gateway, states), tuple(states), tuple(ls_views))


def _listener_set_view(ls: Resource, gateway: ResourceKey, allowed: str, why: str,
                       states: tuple[ListenerState, ...]) -> ListenerSetView:
    if allowed != TRUE:
        reason = "NotAllowed" if allowed == FALSE else "Pending"
        conds = (Condition("Accepted", allowed, reason, why), Condition("Programmed", allowed, reason, why))
        return ListenerSetView(ls, gateway, allowed, conds, states)
    valid = sum(1 for s in states if s.valid)
    if states and valid == 0 and any(not s.kinds_known for s in states):
        msg = "no listener is valid unless the implementation supports the implementation-specific protocols"
        conds = (Condition("Accepted", UNKNOWN, PENDING, msg), Condition("Programmed", UNKNOWN, PENDING, msg))
        return ListenerSetView(ls, gateway, UNKNOWN, conds, states)
    if states and valid == 0:
        msg = "no listener of the ListenerSet is valid"
        conds = (Condition("Accepted", FALSE, "ListenersNotValid", msg),
                 Condition("Programmed", FALSE, "ListenersNotValid", msg))
        return ListenerSetView(ls, gateway, FALSE, conds, states)
    reason = "Accepted" if valid == len(states) else "ListenersNotValid"
    conds = (Condition("Accepted", TRUE, reason), Condition("Programmed", TRUE, "Programmed"))
    return ListenerSetView(ls, gateway, TRUE, conds, states)


def missing_parent_listener_set(reads: Reads, ls: Resource) -> ListenerSetView:
    """Status of a ListenerSet whose parent Gateway is not in the repository."""
    parent = listener_set_parent(ls)
    presence = reads.presence(parent)
    if presence.state in (MISSING, PRESENT):
        status, reason, msg = FALSE, "NotAllowed", f"parent {parent} not found in the repository"
    else:
        status, reason, msg = UNKNOWN, "Pending", f"parent {parent}: {presence.reason or presence.state}"
    states = tuple(_listener_state(_basic(reads, lst, None), None) for lst in read_listeners(ls.key, ls.spec))
    return ListenerSetView(ls, parent, status,
                           (Condition("Accepted", status, reason, msg), Condition("Programmed", status, reason, msg)),
                           states)


def _gateway_conditions(reads: Reads, gateway: Resource, states: list[ListenerState]) -> tuple[Condition, ...]:
    spec = gateway.spec
    conds: list[Condition] = []
    params = as_dict(as_dict(spec.get("infrastructure")).get("parametersRef"))
    accepted: Condition | None = None
    if params:
        pkey = ResourceKey(normalize_group(as_str(params.get("group")) or "", "spec"), as_str(params.get("kind")) or "",
                           gateway.key.namespace, as_str(params.get("name")) or "")
        presence = reads.presence(pkey)
        if presence.state == MISSING:
            accepted = Condition("Accepted", FALSE, "InvalidParameters", f"parametersRef {pkey} not found")
        elif presence.state != PRESENT:
            accepted = Condition("Accepted", UNKNOWN, "Pending", f"parametersRef {pkey}: {presence.reason}")
    valid = sum(1 for s in states if s.valid)
    if accepted is None:
        if states and valid == 0 and any(not s.kinds_known for s in states):
            accepted = Condition("Accepted", UNKNOWN, PENDING, "no listener is valid unless the implementation "
                                 "supports the implementation-specific protocols of the others")
        elif states and valid == 0:
            accepted = Condition("Accepted", FALSE, "ListenersNotValid", "no listener is valid")
        elif valid < len(states):
            accepted = Condition("Accepted", TRUE, "ListenersNotValid", "some listeners are not valid")
        else:
            accepted = Condition("Accepted", TRUE, "Accepted")
    undecided = _implementation_specific_address(spec)
    if accepted.status == TRUE and undecided:
        accepted = Condition("Accepted", UNKNOWN, "Pending", undecided)
    conds.append(accepted)
    if accepted.status == TRUE:
        conds.append(Condition("Programmed", TRUE, "Programmed"))
    else:
        conds.append(Condition("Programmed", accepted.status, "Invalid" if accepted.status == FALSE else "Pending",
                               accepted.message))
    backend = as_dict(as_dict(spec.get("tls")).get("backend"))
    if "clientCertificateRef" in backend:
        ref = certs.check_ref(reads, gateway.key, backend.get("clientCertificateRef"), certs.CLIENT_CERT)
        conds.append(Condition("ResolvedRefs", ref.status, ref.reason, ref.message))
    else:
        conds.append(Condition("ResolvedRefs", TRUE, "ResolvedRefs"))
    if _insecure_fallback(spec):
        conds.append(Condition("InsecureFrontendValidationMode", TRUE, "ConfigurationChanged",
                               "client certificate validation allows insecure fallback"))
    return tuple(conds)


STANDARD_ADDRESS_TYPES = ("IPAddress", "Hostname")


def _implementation_specific_address(spec: dict[str, Any]) -> str:
    """Why the Gateway's addresses leave Accepted to the implementation, or "".

    IPAddress and Hostname are Extended (supported by the profiles); a NamedAddress is
    "Support: Implementation-specific", as is a domain-prefixed type: whether the
    implementation supports it (else Accepted False, `UnsupportedAddress`) and can use
    it (else Programmed False, `AddressNotUsable`) the repository cannot tell.
    """
    for item in dicts(spec.get("addresses")):
        kind = as_str(item.get("type")) or "IPAddress"
        if kind not in STANDARD_ADDRESS_TYPES:
            value = as_str(item.get("value")) or ""
            return (f"address {value} of type {kind}: whether the implementation supports and can use it "
                    "is implementation-specific")
    return ""


def _insecure_fallback(spec: dict[str, Any]) -> bool:
    frontend = as_dict(as_dict(spec.get("tls")).get("frontend"))
    validations = [as_dict(as_dict(frontend.get("default")).get("validation"))]
    validations += [as_dict(as_dict(p.get("tls")).get("validation")) for p in dicts(frontend.get("perPort"))]
    return any(as_str(v.get("mode")) == "AllowInsecureFallback" for v in validations)
