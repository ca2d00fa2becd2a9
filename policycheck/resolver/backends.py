"""backendRefs: the ResolvedRefs condition a route carries on each parent entry.

A backendRef defaults to the core group and kind Service; another group/kind
is `InvalidKind` (no implementation-specific backends are assumed). A Service in
another namespace needs a ReferenceGrant there (`RefNotPermitted`); a Service
no manifest defines is `BackendNotFound`, or Unknown when the presence oracle
says it may exist elsewhere. The first failing reference gives the reason.
Failing backends never make a route un-Accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.fields import as_dict, as_str, dicts
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.refs import normalize_group
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN, BackendStatus, Condition


def backend_refs(route: Resource) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(path, backendRef) for every backend the route sends or mirrors traffic to."""
    for r, rule in enumerate(dicts(route.spec.get("rules"))):
        for b, ref in enumerate(dicts(rule.get("backendRefs"))):
            yield ("spec", "rules", r, "backendRefs", b), ref
        for f, flt in enumerate(dicts(rule.get("filters"))):
            mirror = as_dict(flt.get("requestMirror")).get("backendRef")
            if isinstance(mirror, dict):
                yield ("spec", "rules", r, "filters", f, "requestMirror", "backendRef"), mirror


def backend_key(route: Resource, ref: dict[str, Any], profile: str) -> ResourceKey | None:
    name = as_str(ref.get("name"))
    if not name:
        return None
    group = normalize_group(as_str(ref.get("group")) or "", profile)
    kind = as_str(ref.get("kind")) or "Service"
    return ResourceKey(group, kind, as_str(ref.get("namespace")) or route.key.namespace, name)


def _check(lookups: Lookups, route: Resource, ref: dict[str, Any]) -> Condition | None:
    key = backend_key(route, ref, lookups.profile)
    if key is None:
        return Condition("ResolvedRefs", FALSE, "BackendNotFound", "a backendRef has no name")
    if (key.group, key.kind) != (CORE_GROUP, "Service"):
        return Condition("ResolvedRefs", FALSE, "InvalidKind", f"backend {key}: only core Services are supported")
    if not lookups.grants.permits(route.key, key):
        return Condition("ResolvedRefs", FALSE, "RefNotPermitted",
                         f"backend {key} is in another namespace and no ReferenceGrant there permits it")
    presence = lookups.state.presence(key)
    if presence.state == PRESENT:
        return None
    if presence.state == MISSING:
        return Condition("ResolvedRefs", FALSE, "BackendNotFound", f"backend {key} not found in the repository")
    return Condition("ResolvedRefs", UNKNOWN, "Pending", f"backend {key}: {presence.reason or presence.state}")


def resolved_refs(lookups: Lookups, route: Resource) -> Condition:
    problems = [c for c in (_check(lookups, route, ref) for _, ref in backend_refs(route)) if c is not None]
    first_false = next((c for c in problems if c.status == FALSE), None)
    if first_false is not None:
        return first_false
    if problems:
        return problems[0]
    return Condition("ResolvedRefs", TRUE, "ResolvedRefs", "all backend references resolve")


def backend_statuses(lookups: Lookups, route: Resource) -> tuple[BackendStatus, ...]:
    """Every backendRef on its own, so a finding can point at the one that fails."""
    out = []
    for path, ref in backend_refs(route):
        key = backend_key(route, ref, lookups.profile)
        text = str(key) if key is not None else "(no name)"
        cond = _check(lookups, route, ref)
        if cond is None:
            out.append(BackendStatus(path, text, TRUE, "ResolvedRefs", f"backend {text} resolves"))
        else:
            out.append(BackendStatus(path, text, cond.status, cond.reason, cond.message))
    return tuple(out)
