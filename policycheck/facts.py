"""The facts a policy sees: plain JSON built from resources and predicted status.

Spec semantics end here: everything below is data (what attaches where and
why not, what the previous state had); judging it is the policies' business.
"""

from __future__ import annotations

from typing import Any

from policycheck.model import CORE_GROUP, ResourceKey
from policycheck.status import PRESENT, TRUE, BackendStatus, ParentStatus, RouteStatus, ValidationIssue


def parent_type(status: ParentStatus) -> str:
    """Service (mesh), Gateway, ListenerSet, Server (Linkerd) or the kind as written."""
    return status.ref.kind


def parent_fact(p: ParentStatus) -> dict[str, Any]:
    accepted = p.condition("Accepted")
    resolved = p.condition("ResolvedRefs")
    return {
        "index": p.index,
        "ref": p.ref.as_dict(),
        "refText": str(p.ref),
        "parentKey": _key_text(p.ref.parent_key),
        "parentType": parent_type(p),
        "mesh": p.ref.kind == "Service" and p.ref.group == CORE_GROUP,
        "accepted": accepted.status if accepted else None,
        "reason": accepted.reason if accepted else None,
        "message": accepted.message if accepted else None,
        "resolvedRefs": resolved.status if resolved else None,
        "resolvedRefsReason": resolved.reason if resolved else None,
        "resolvedRefsMessage": resolved.message if resolved else None,
        "conditions": [c.as_dict() for c in p.conditions],
        "presence": {"state": p.presence.state, "reason": p.presence.reason},
        "attachedTo": list(p.attached_to),
        "managed": p.managed,
        "served": p.served,
        "unservedMessage": p.unserved,
        "path": ["spec", "parentRefs", p.index],
    }


def _key_text(key: ResourceKey) -> str:
    return f"{key.group}/{key.kind}/{key.namespace}/{key.name}"


def status_fact(status: RouteStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    return {"parents": [parent_fact(p) for p in status.parents]}


def attached(status: RouteStatus | None) -> dict[ResourceKey, ParentStatus]:
    """Parents the route is attached to (Accepted True), by parent key; first entry wins."""
    out: dict[ResourceKey, ParentStatus] = {}
    if status is None:
        return out
    for p in status.parents:
        if p.accepted == TRUE:
            out.setdefault(p.ref.parent_key, p)
    return out


def detached(old: RouteStatus | None, new: RouteStatus | None, new_refs: set[ResourceKey],
             parent_changed: set[ResourceKey]) -> list[dict[str, Any]]:
    """Parents the route was attached to in the parent state and is not any more.

    `how` says why: the parentRef was removed or retargeted (`ref-removed`), or it
    is still there but no longer accepted (`not-accepted`). A parent deleted or
    changed by the same commit is reported as `parent-changed`.
    """
    before, after = attached(old), attached(new)
    facts = []
    for key, p in sorted(before.items()):
        if key in after:
            continue
        how = "ref-removed"
        if key in new_refs:
            how = "parent-changed" if key in parent_changed else "not-accepted"
        fact = parent_fact(p)
        fact["how"] = how
        fact["mesh"] = key.kind == "Service" and key.group == CORE_GROUP
        facts.append(fact)
    return facts


def orphaned(old: RouteStatus | None, new: RouteStatus | None, deleted: set[ResourceKey],
             changed: set[ResourceKey]) -> list[dict[str, Any]]:
    """parentRefs still in the route whose parent this change deleted or cut away.

    A parent counts as cut away when the route was attached through a listener or
    Service port in the parent state, the parent object changed in this commit,
    and the route is not attached to it any more.
    """
    if new is None or old is None or not (deleted or changed):
        return []
    before: dict[ResourceKey, ParentStatus] | None = None  # built once a parent of this change is met
    facts = []
    for p in new.parents:
        key = p.ref.parent_key
        if key in deleted:
            what = "deleted"
        elif key in changed and p.presence.state == PRESENT:
            what = "listener-removed"
        else:
            continue
        if before is None:
            before = attached(old)
        was = before.get(key)
        if was is None or p.accepted == TRUE:
            continue
        fact = parent_fact(p)
        fact["what"] = what
        fact["was"] = list(was.attached_to)
        facts.append(fact)
    return facts


def backend_facts(backends: tuple[BackendStatus, ...]) -> list[dict[str, Any]]:
    """One fact per backendRef, with the reason the controller would give."""
    return [{"refText": b.ref, "refKey": f"{b.ref}@{'/'.join(str(p) for p in b.path[:3])}", "resolved": b.status,
             "reason": b.reason, "message": b.message, "path": list(b.path)} for b in backends]


def validation_fact(issues: list[ValidationIssue]) -> list[dict[str, Any]]:
    return [{"rule": v.rule, "message": v.message, "path": list(v.path)} for v in issues]


