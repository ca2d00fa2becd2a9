"""Linkerd `Server` parents of inbound routes (policy.linkerd.io and Gateway API HTTP/gRPC routes).

Linkerd's policy-controller accepts a route on a Server that exists in the
route's namespace; it does not look at sectionName or port of such a parent.
"""

from __future__ import annotations

from policycheck.model import LINKERD_POLICY_GROUP
from policycheck.resolver.attachment import Attachment
from policycheck.resolver.lookups import Lookups
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN, ParentRef

SERVER_ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute"})


def is_server_parent(ref: ParentRef) -> bool:
    return ref.group == LINKERD_POLICY_GROUP and ref.kind == "Server"


def attach_server(lookups: Lookups, route_kind: str, ref: ParentRef) -> Attachment:
    key = ref.parent_key
    if route_kind not in SERVER_ROUTE_KINDS:
        return Attachment(FALSE, "NotAllowedByListeners", f"a Server only takes HTTP and gRPC routes, not {route_kind}")
    presence = lookups.state.presence(key)
    if presence.state == PRESENT:
        return Attachment(TRUE, "Accepted", f"attached to {key}", (key.name,))
    if presence.state == MISSING:
        return Attachment(FALSE, "NoMatchingParent", f"{key} not found in the repository")
    return Attachment(UNKNOWN, "Pending", f"{key}: {presence.reason or presence.state}")
