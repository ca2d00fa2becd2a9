"""Service parents (GAMMA mesh routes), in the spec and linkerd profiles.

A Service is a valid parent only with a cluster IP: headless (`clusterIP:
None`) and `ExternalName` Services are rejected (NoMatchingParent). Under the
spec profile `port` must name a Service port number and `sectionName` a
Service port name (both, when both are given). A parentRef from another
namespace is a consumer route and needs no ReferenceGrant.

Route kinds on one Service port follow GEP-1426 precedence: GRPCRoute >
HTTPRoute > TLSRoute > TCPRoute; a route of lower precedence than another
accepted route on an overlapping port is not accepted, with reason
`Conflicted`, as GAMMA implementations (Linkerd among them) report it.
Producer and consumer routes are ranked separately (only routes in the same
namespace compete), since a consumer route only applies to its own namespace.

The linkerd profile does not check `port` or `sectionName` (Linkerd's
policy-controller accepts any Service with a cluster IP), so every route on
the Service competes, whatever its port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.attachment import Attachment
from policycheck.resolver.fields import as_int, as_str, dicts
from policycheck.resolver.lookups import Lookups
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN, ParentRef

PRECEDENCE = {"GRPCRoute": 4, "HTTPRoute": 3, "TLSRoute": 2, "TCPRoute": 1, "UDPRoute": 1}


def is_service_parent(ref: ParentRef) -> bool:
    return ref.group == CORE_GROUP and ref.kind == "Service"


def is_service_key(key: ResourceKey) -> bool:
    return key.group == CORE_GROUP and key.kind == "Service"


def _ports(svc: Resource) -> list[tuple[str | None, int | None]]:
    return [(as_str(p.get("name")), as_int(p.get("port"))) for p in dicts(svc.spec.get("ports"))]


def service_problem(svc: Resource) -> str | None:
    """Why a Service cannot be a mesh parent, or None."""
    spec: dict[str, Any] = svc.spec
    if as_str(spec.get("type")) == "ExternalName":
        return "is an ExternalName Service, which has no cluster IP"
    if as_str(spec.get("clusterIP")) == "None":
        return "is headless (clusterIP: None)"
    return None


@dataclass(frozen=True)
class ServiceAttachment:
    """A basic attachment plus the ports it covers (None: every port), for precedence."""

    attachment: Attachment
    ports: frozenset[int] | None


def basic(lookups: Lookups, ref: ParentRef) -> ServiceAttachment:
    """Attachment to a Service parent before route-kind precedence is applied."""
    key = ref.parent_key
    presence = lookups.state.presence(key)
    if presence.state == MISSING:
        return ServiceAttachment(Attachment(FALSE, "NoMatchingParent", f"{key} not found in the repository"), None)
    if presence.state != PRESENT:
        return ServiceAttachment(Attachment(UNKNOWN, "Pending", f"{key}: {presence.reason or presence.state}"), None)
    svc = lookups.state.get(key)
    if svc is None:  # present by the oracle's word but not a manifest: trust it
        return ServiceAttachment(Attachment(TRUE, "Accepted", f"attached to {key}"), None)
    problem = service_problem(svc)
    if problem:
        return ServiceAttachment(Attachment(FALSE, "NoMatchingParent", f"{key} {problem}"), None)
    ports = _ports(svc)
    if lookups.profile == "linkerd" or (ref.port is None and ref.section_name is None):
        names = tuple(name or str(num) for name, num in ports if name or num is not None)
        return ServiceAttachment(Attachment(TRUE, "Accepted", f"attached to {key}", names), None)
    chosen = [(name, num) for name, num in ports
              if (ref.port is None or num == ref.port) and (ref.section_name is None or name == ref.section_name)]
    if not chosen:
        what = " and ".join(x for x in (f"port {ref.port}" if ref.port is not None else "",
                                         f"port name {ref.section_name}" if ref.section_name else "") if x)
        return ServiceAttachment(Attachment(FALSE, "NoMatchingParent", f"{key} has no {what}"), None)
    names = tuple(name or str(num) for name, num in chosen)
    covered = frozenset(num for _, num in chosen if num is not None)
    return ServiceAttachment(Attachment(TRUE, "Accepted", f"attached to {key}", names), covered)


class Precedence:
    """Highest route-kind rank accepted on each Service, by route namespace and port."""

    def __init__(self) -> None:
        self._ranks: dict[ResourceKey, dict[tuple[str, int | None], tuple[int, str]]] = {}

    def add(self, service: ResourceKey, route: ResourceKey, ports: frozenset[int] | None) -> None:
        rank = PRECEDENCE.get(route.kind, 0)
        table = self._ranks.setdefault(service, {})
        for port in (ports if ports else (None,)):
            slot = (route.namespace, port)
            if table.get(slot, (0, ""))[0] < rank:
                table[slot] = (rank, route.kind)

    def winner_over(self, service: ResourceKey, route: ResourceKey, ports: frozenset[int] | None) -> str | None:
        """The kind of a higher-precedence route that takes the route's Service port, or None."""
        rank = PRECEDENCE.get(route.kind, 0)
        for (ns, port), (other_rank, kind) in self._ranks.get(service, {}).items():
            if ns != route.namespace or other_rank <= rank:
                continue
            if ports is None or port is None or port in ports:
                return kind
        return None
