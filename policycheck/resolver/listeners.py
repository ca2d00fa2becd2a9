"""Listeners as the resolver reads them, and the route kinds each protocol serves.

A listener belongs to a Gateway or to a ListenerSet (its `owner`); `Same` in
allowedRoutes means the owner's namespace. Default kinds follow the protocol:
HTTP/HTTPS serve HTTPRoute and GRPCRoute, TLS serves TLSRoute (Passthrough and
Terminate; TCPRoute only when terminating), TCP serves TCPRoute, UDP UDPRoute.
Any other core-looking protocol is unsupported; a domain-prefixed one is the
implementation's own, so which kinds it takes is not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from policycheck.model import GATEWAY_GROUP, ResourceKey
from policycheck.resolver.fields import as_dict, as_int, as_str, dicts
from policycheck.status import FALSE, TRUE, UNKNOWN, Condition

Kind = tuple[str, str]


def _gw(*kinds: str) -> tuple[Kind, ...]:
    return tuple((GATEWAY_GROUP, k) for k in kinds)


DEFAULT_KINDS: dict[str, tuple[Kind, ...]] = {
    "HTTP": _gw("HTTPRoute", "GRPCRoute"),
    "HTTPS": _gw("HTTPRoute", "GRPCRoute"),
    "TLS": _gw("TLSRoute"),
    "TCP": _gw("TCPRoute"),
    "UDP": _gw("UDPRoute"),
}


def allowed_kinds(protocol: str, tls_mode: str) -> tuple[Kind, ...]:
    """Every kind a listener of this protocol can serve when asked for it explicitly."""
    if protocol == "TLS" and tls_mode == "Terminate":
        return _gw("TLSRoute", "TCPRoute")
    return DEFAULT_KINDS.get(protocol, ())


@dataclass(frozen=True)
class Listener:
    owner: ResourceKey  # the Gateway or ListenerSet that declares it
    index: int
    name: str
    port: int | None
    protocol: str
    hostname: str | None
    raw: dict[str, Any]

    @property
    def tls(self) -> dict[str, Any]:
        return as_dict(self.raw.get("tls"))

    @property
    def tls_mode(self) -> str:
        return as_str(self.tls.get("mode")) or "Terminate"

    @property
    def allowed_routes(self) -> dict[str, Any]:
        return as_dict(self.raw.get("allowedRoutes"))

    @cached_property
    def namespaces_from(self) -> str:
        return as_str(as_dict(self.allowed_routes.get("namespaces")).get("from")) or "Same"

    @cached_property
    def namespace_selector(self) -> Any:
        return as_dict(self.allowed_routes.get("namespaces")).get("selector")

    def requested_kinds(self) -> list[Kind] | None:
        """allowedRoutes.kinds with the group defaulted, or None when unspecified or empty."""
        items = dicts(self.allowed_routes.get("kinds"))
        kinds = [(GATEWAY_GROUP if k.get("group") is None else as_str(k.get("group")) or "",
                  as_str(k.get("kind")) or "") for k in items]
        return kinds or None


def read_listeners(owner: ResourceKey, spec: dict[str, Any]) -> list[Listener]:
    """The listeners of a Gateway / ListenerSet spec; items without a name are skipped."""
    out: list[Listener] = []
    for index, raw in enumerate(dicts(spec.get("listeners"))):
        name = as_str(raw.get("name"))
        if not name:
            continue
        out.append(Listener(owner, index, name, as_int(raw.get("port")), as_str(raw.get("protocol")) or "",
                            as_str(raw.get("hostname")) or None, raw))
    return out


@dataclass(frozen=True)
class ListenerState:
    """A listener with its predicted status.

    Attachment does not read the status: "Successful attachment of a Route to a
    Listener is based solely on the combination of the AllowedRoutes field on the
    corresponding Listener and the Route's ParentRefs field" (ListenerStatus), so a
    route attaches by `attach_kinds` to a listener that is not accepted too;
    `serving` says whether such a listener carries its traffic.
    """

    listener: Listener
    accepted: bool
    resolved: bool
    supported_kinds: tuple[Kind, ...]  # status.supportedKinds
    conditions: tuple[Condition, ...]
    attach_kinds: tuple[Kind, ...] = ()  # the kinds its allowedRoutes admit, whatever its status
    kinds_known: bool = True  # False for an implementation-specific protocol: which kinds it takes is unknown

    @property
    def valid(self) -> bool:
        return self.accepted and self.resolved

    @cached_property
    def serving(self) -> tuple[str, str]:
        """(True / False / Unknown, why not): whether the listener serves the routes attached to it."""
        by_type = {c.type: c for c in self.conditions}
        name = self.listener.name
        for ctype, word in (("Accepted", "accepted"), ("Programmed", "programmed")):
            cond = by_type.get(ctype)
            if cond is not None and cond.status == FALSE:
                why = f" ({cond.reason}{': ' + cond.message if cond.message else ''})"
                return FALSE, f"listener {name} is not {word}{why}"
        programmed = by_type.get("Programmed")
        if programmed is not None and programmed.status == UNKNOWN:
            return UNKNOWN, f"listener {name}: {programmed.message}"
        return TRUE, ""
