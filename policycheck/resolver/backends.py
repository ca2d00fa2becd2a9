"""backendRefs: the ResolvedRefs condition a route carries on each parent entry.

A backendRef defaults to the core group and kind Service; another group/kind
is `InvalidKind` (no implementation-specific backends are assumed). A Service in
another namespace needs a ReferenceGrant there (`RefNotPermitted`); a Service
no manifest defines is `BackendNotFound`, or Unknown when the presence oracle
says it may exist elsewhere. The first failing reference gives the reason.
A Service that a BackendTLSPolicy the implementation cannot meet targets is
False too (backendtls.py). Failing backends never make a route un-Accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.backendtls import POLICY
from policycheck.resolver.fields import as_dict, as_int, as_str, dicts
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.memo import BodyMemo
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


def _check(lookups: Lookups, route: Resource, key: ResourceKey | None, port: int | None) -> Condition | None:
    if key is None:
        return Condition("ResolvedRefs", FALSE, "BackendNotFound", "a backendRef has no name")
    if (key.group, key.kind) != (CORE_GROUP, "Service"):
        return Condition("ResolvedRefs", FALSE, "InvalidKind", f"backend {key}: only core Services are supported")
    if not lookups.grants.permits(route.key, key):
        return Condition("ResolvedRefs", FALSE, "RefNotPermitted",
                         f"backend {key} is in another namespace and no ReferenceGrant there permits it")
    presence = lookups.state.presence(key)
    if presence.state == PRESENT:
        return lookups.backend_tls.problem(lookups, key, port) if lookups.state.of_kind(*POLICY) else None
    if presence.state == MISSING:
        return Condition("ResolvedRefs", FALSE, "BackendNotFound", f"backend {key} not found in the repository")
    return Condition("ResolvedRefs", UNKNOWN, "Pending", f"backend {key}: {presence.reason or presence.state}")


_Keys = tuple[tuple[tuple[str | int, ...], ResourceKey | None, int | None], ...]
_KEYS: BodyMemo[_Keys] = BodyMemo()


def _keys(route: Resource, profile: str) -> _Keys:
    """(path, key, port) of every backendRef: they read the body alone, so are parsed once per body."""
    return _KEYS.get(route, profile, lambda: tuple(
        (path, backend_key(route, ref, profile), as_int(ref.get("port"))) for path, ref in backend_refs(route)))


def backend_keys(route: Resource, profile: str) -> set[ResourceKey]:
    """Every object a route's backendRefs name."""
    return {key for _, key, _ in _keys(route, profile) if key is not None}


def backend_statuses(lookups: Lookups, route: Resource) -> tuple[BackendStatus, ...]:
    """Every backendRef on its own, so a finding can point at the one that fails."""
    out = []
    for path, key, port in _keys(route, lookups.profile):
        text = str(key) if key is not None else "(no name)"
        cond = _check(lookups, route, key, port)
        if cond is None:
            out.append(BackendStatus(path, text, TRUE, "ResolvedRefs", f"backend {text} resolves"))
        else:
            out.append(BackendStatus(path, text, cond.status, cond.reason, cond.message))
    return tuple(out)


def resolved_refs(statuses: tuple[BackendStatus, ...]) -> Condition:
    """The route's ResolvedRefs condition, from its backends' statuses (one pass over its backendRefs serves both)."""
    problems = [s for s in statuses if s.status != TRUE]
    first = next((s for s in problems if s.status == FALSE), problems[0] if problems else None)
    if first is not None:
        return Condition("ResolvedRefs", first.status, first.reason, first.message)
    return Condition("ResolvedRefs", TRUE, "ResolvedRefs", "all backend references resolve")
