"""Predicted status, as a controller would write it, in plain frozen records.

The resolver produces these; policies read them as facts; `policycheck status`
prints them. Condition status is "True", "False" or "Unknown": Unknown where
the repository cannot tell (an object a Helm chart creates, an external parent).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policycheck.model import ResourceKey, kind_text

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# Whether the object a reference names is there, as far as the repository shows.
PRESENT, MISSING, UNKNOWN_PRESENCE, EXTERNAL = "present", "missing", "unknown", "external"


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "status": self.status, "reason": self.reason, "message": self.message}


@dataclass(frozen=True, order=True)
class ParentRef:
    """A spec parentRef with the API defaults applied (compared by value)."""

    group: str
    kind: str
    namespace: str
    name: str
    section_name: str | None = None
    port: int | None = None

    @property
    def parent_key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "sectionName": self.section_name,
            "port": self.port,
        }

    def __str__(self) -> str:
        gk = kind_text(self.group, self.kind)
        extra = "".join(
            [f" sectionName={self.section_name}" if self.section_name is not None else "",
             f" port={self.port}" if self.port is not None else ""]
        )
        return f"{gk} {self.namespace}/{self.name}{extra}"


@dataclass(frozen=True)
class Presence:
    """Whether a referenced object exists, and why the answer is what it is."""

    state: str  # PRESENT | MISSING | UNKNOWN_PRESENCE | EXTERNAL
    reason: str = ""


@dataclass(frozen=True)
class ParentStatus:
    """One entry of a route's status.parents, plus the facts behind it."""

    index: int  # position in spec.parentRefs
    ref: ParentRef
    conditions: tuple[Condition, ...]
    presence: Presence = field(default_factory=lambda: Presence(PRESENT))
    # Listener names (Gateway / ListenerSet) or Service port names/numbers the
    # route attached to; empty when not accepted.
    attached_to: tuple[str, ...] = ()
    # Whether the implementation profile gives this parentRef any status at all
    # (Linkerd ignores Gateway parents).
    managed: bool = True
    # When accepted: whether a listener it attached to serves its traffic (True / False /
    # Unknown), and why not; None when not accepted.
    served: str | None = None
    unserved: str = ""

    def condition(self, ctype: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == ctype), None)

    @property
    def accepted(self) -> str:
        cond = self.condition("Accepted")
        return cond.status if cond else UNKNOWN


@dataclass(frozen=True)
class RouteStatus:
    key: ResourceKey
    parents: tuple[ParentStatus, ...]


@dataclass(frozen=True)
class ListenerStatus:
    name: str
    attached_routes: int
    supported_kinds: tuple[tuple[str, str], ...]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class GatewayStatus:
    key: ResourceKey
    conditions: tuple[Condition, ...]
    listeners: tuple[ListenerStatus, ...]
    attached_listener_sets: int = 0


@dataclass(frozen=True)
class PolicyStatus:
    """A policy's predicted conditions (BackendTLSPolicy) and the objects it targets."""

    key: ResourceKey
    conditions: tuple[Condition, ...]
    targets: tuple[ResourceKey, ...]
    # The Gateways whose routes reach a target (status.ancestors: one entry each, same conditions).
    ancestors: tuple[ResourceKey, ...] = ()


@dataclass(frozen=True)
class ValidationIssue:
    """A manifest the API server would reject (CRD validation), found statically."""

    key: ResourceKey
    path: tuple[str | int, ...]
    message: str
    rule: str  # short stable id, e.g. "too-many-parent-refs"


class Issues(tuple[ValidationIssue, ...]):
    """Validation issues (a tuple, in the order found) that know which routes they are about.

    A history resolves a few routes again per commit, and few routes have issues:
    with the routes at hand, a commit whose routes had and have none keeps its
    parent's issues as they are, rather than filtering them all every commit.
    """

    routes: frozenset[ResourceKey]

    def __new__(cls, issues: Iterable[ValidationIssue] = ()) -> Issues:
        out = super().__new__(cls, issues)
        out.routes = frozenset(issue.key for issue in out)
        return out

    @classmethod
    def of(cls, issues: Iterable[ValidationIssue]) -> Issues:
        """`issues` itself when it is an `Issues`."""
        return issues if isinstance(issues, Issues) else cls(issues)

    def replaced(self, routes: Collection[ResourceKey], fresh: Issues) -> Issues:
        """These issues without those of `routes`, then `fresh`; this very object when that changes nothing."""
        dropped = self.routes.intersection(routes)
        if not dropped and not fresh:
            return self
        return Issues((*(issue for issue in self if issue.key not in dropped), *fresh))


@dataclass(frozen=True)
class BackendStatus:
    """One backendRef of a route: whether it resolves, with the spec's reason."""

    path: tuple[str | int, ...]
    ref: str  # the reference after defaults, e.g. "Service default/web"
    status: str  # TRUE | FALSE | UNKNOWN
    reason: str
    message: str


@dataclass(frozen=True)
class Resolution:
    routes: Mapping[ResourceKey, RouteStatus]
    gateways: dict[ResourceKey, GatewayStatus] = field(default_factory=dict)
    listener_sets: dict[ResourceKey, GatewayStatus] = field(default_factory=dict)
    validation: tuple[ValidationIssue, ...] = ()  # an `Issues` when the resolver made it
    # Per route, one entry per backendRef (resolved routes only).
    backends: Mapping[ResourceKey, tuple[BackendStatus, ...]] = field(default_factory=dict)
    # BackendTLSPolicies, when Gateway statuses are asked too.
    policies: dict[ResourceKey, PolicyStatus] = field(default_factory=dict)
