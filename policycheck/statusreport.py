"""`policycheck status` output: the predicted status as JSON or as text.

The JSON is the shape the conformance harness reads (`routes`, `gateways`,
`listenerSets`, and `backendTLSPolicies` when there are any), with extra keys for people and policies: each object's
`group`, and per parent entry `index`, `presence`, `attachedTo` and `managed`;
plus the CRD `validation` problems. parentRefs carry the API defaults; the core group is
written `""`, as the Gateway API writes it in status. Parents a profile does
not manage (Gateway parents under `linkerd`) are listed with no conditions.
Each entry holds at most one condition of each type.
"""

from __future__ import annotations

import json
from typing import Any

from policycheck.model import ResourceKey
from policycheck.status import (
    Condition,
    GatewayStatus,
    ListenerStatus,
    ParentStatus,
    PolicyStatus,
    Resolution,
    RouteStatus,
)


def _conditions(conds: tuple[Condition, ...]) -> list[dict[str, str]]:
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for cond in conds:
        if cond.type not in seen:
            seen.add(cond.type)
            out.append(cond.as_dict())
    return out


def _parent(parent: ParentStatus) -> dict[str, Any]:
    return {
        "parentRef": parent.ref.as_dict(),
        "index": parent.index,
        "managed": parent.managed,
        "presence": {"state": parent.presence.state, "reason": parent.presence.reason},
        "attachedTo": list(parent.attached_to),
        "conditions": _conditions(parent.conditions),
    }


def _route(status: RouteStatus) -> dict[str, Any]:
    key = status.key
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name,
            "parents": [_parent(p) for p in status.parents]}


def _listener(status: ListenerStatus) -> dict[str, Any]:
    return {"name": status.name, "attachedRoutes": status.attached_routes,
            "supportedKinds": [{"group": g, "kind": k} for g, k in status.supported_kinds],
            "conditions": _conditions(status.conditions)}


def _gateway(status: GatewayStatus, with_sets: bool) -> dict[str, Any]:
    key = status.key
    out: dict[str, Any] = {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name,
                           "conditions": _conditions(status.conditions)}
    if with_sets:
        out["attachedListenerSets"] = status.attached_listener_sets
    out["listeners"] = [_listener(lst) for lst in status.listeners]
    return out


def _policy(status: PolicyStatus) -> dict[str, Any]:
    key = status.key
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name,
            "targets": [t.as_dict() for t in status.targets], "conditions": _conditions(status.conditions),
            "ancestors": [{"ancestorRef": a.as_dict(), "conditions": _conditions(status.conditions)}
                          for a in status.ancestors]}


def _sorted(keys: Any) -> list[ResourceKey]:
    return sorted(keys)


def as_data(resolution: Resolution) -> dict[str, Any]:
    return {
        "routes": [_route(resolution.routes[k]) for k in _sorted(resolution.routes)],
        "gateways": [_gateway(resolution.gateways[k], True) for k in _sorted(resolution.gateways)],
        "listenerSets": [_gateway(resolution.listener_sets[k], False) for k in _sorted(resolution.listener_sets)],
        "validation": [{"resource": issue.key.as_dict(), "path": list(issue.path), "rule": issue.rule,
                        "message": issue.message} for issue in resolution.validation],
        **({"backendTLSPolicies": [_policy(resolution.policies[k]) for k in _sorted(resolution.policies)]}
           if resolution.policies else {}),
    }


def render_json(resolution: Resolution) -> str:
    return json.dumps(as_data(resolution), indent=2) + "\n"


def _cond_text(conds: tuple[Condition, ...]) -> str:
    return ", ".join(f"{c.type}={c.status} ({c.reason})" for c in conds) or "no status (not managed by this profile)"


def render_text(resolution: Resolution) -> str:
    lines: list[str] = []
    for key in _sorted(resolution.routes):
        status = resolution.routes[key]
        lines.append(str(key))
        if not status.parents:
            lines.append("  (no parentRefs)")
        for parent in status.parents:
            via = f" via {', '.join(parent.attached_to)}" if parent.attached_to else ""
            lines.append(f"  -> {parent.ref}{via}: {_cond_text(parent.conditions)}")
            for cond in parent.conditions:
                if cond.status != "True" and cond.message:
                    lines.append(f"       {cond.type}: {cond.message}")
            if parent.served == "False":
                lines.append(f"       traffic not served: {parent.unserved}")
    for title, table in (("Gateway", resolution.gateways), ("ListenerSet", resolution.listener_sets)):
        for key in _sorted(table):
            gw = table[key]
            extra = f", {gw.attached_listener_sets} ListenerSets" if title == "Gateway" else ""
            lines.append(f"{key}{extra}: {_cond_text(gw.conditions)}")
            for lst in gw.listeners:
                lines.append(f"  listener {lst.name}: {lst.attached_routes} routes; {_cond_text(lst.conditions)}")
    for key in _sorted(resolution.policies):
        lines.append(f"{key}: {_cond_text(resolution.policies[key].conditions)}")
    for issue in resolution.validation:
        path = ".".join(str(p) for p in issue.path)
        lines.append(f"invalid {issue.key} {path}: {issue.message} [{issue.rule}]")
    return "\n".join(lines) + ("\n" if lines else "")
