"""What the route CRDs' schemas and CEL rules reject, found statically.

The API server would refuse such a manifest, so it never gets a status; the
resolver still predicts what it can from the well-formed parts and reports
each problem here (as findings of a built-in policy):
- `wrong-type`: a field of the wrong type (parentRefs as a string or a map,
  a port that is not an integer, ...);
- `parent-ref-not-mapping`, `parent-ref-name-required`;
- `too-many-parent-refs` (more than 32);
- `parent-refs-not-distinct`: references to one parent must all set, or all
  leave unset, sectionName and port, and must differ in them;
- `port-out-of-range` (1-65535) on parentRefs and backendRefs;
- `backend-port-required`: a backendRef to a Service without a port.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from policycheck.model import CORE_GROUP, Resource
from policycheck.resolver.backends import backend_refs
from policycheck.resolver.fields import as_dict, as_int, as_str
from policycheck.resolver.refs import normalize_group, spec_parent_refs
from policycheck.status import ParentRef, ValidationIssue

MAX_PARENT_REFS = 32
Path = tuple[str | int, ...]

_STRING_FIELDS = ("group", "kind", "namespace", "name", "sectionName")


def _types(res: Resource, path: Path, raw: dict[str, Any], out: list[ValidationIssue]) -> None:
    for name in _STRING_FIELDS:
        if name in raw and not isinstance(raw[name], str):
            out.append(ValidationIssue(res.key, (*path, name), f"{name} must be a string", "wrong-type"))
    if "port" in raw:
        port = as_int(raw["port"])
        if port is None:
            out.append(ValidationIssue(res.key, (*path, "port"), "port must be an integer", "wrong-type"))
        elif not 1 <= port <= 65535:
            out.append(ValidationIssue(res.key, (*path, "port"), f"port {port} is outside 1-65535",
                                       "port-out-of-range"))


def _parent_refs(res: Resource, profile: str, out: list[ValidationIssue]) -> None:
    spec = res.spec
    if "parentRefs" not in spec or spec["parentRefs"] is None:
        return
    raw_refs = spec["parentRefs"]
    if not isinstance(raw_refs, list):
        out.append(ValidationIssue(res.key, ("spec", "parentRefs"),
                                   f"parentRefs must be a list, not a {type(raw_refs).__name__}", "wrong-type"))
        return
    if len(raw_refs) > MAX_PARENT_REFS:
        out.append(ValidationIssue(res.key, ("spec", "parentRefs"),
                                   f"{len(raw_refs)} parentRefs; at most {MAX_PARENT_REFS} are allowed",
                                   "too-many-parent-refs"))
    by_parent: dict[tuple[str, str, str, str], list[tuple[int, ParentRef]]] = defaultdict(list)
    for i, raw in enumerate(raw_refs):
        path: Path = ("spec", "parentRefs", i)
        if not isinstance(raw, dict):
            out.append(ValidationIssue(res.key, path, "a parentRef must be a mapping", "parent-ref-not-mapping"))
            continue
        _types(res, path, raw, out)
        if not as_str(raw.get("name")):
            out.append(ValidationIssue(res.key, path, "a parentRef needs a name", "parent-ref-name-required"))
    for spr in spec_parent_refs(res, profile):  # the items above that have a name, with defaults applied
        ref = spr.ref
        by_parent[(ref.group, ref.kind, ref.namespace, ref.name)].append((spr.index, ref))
    for refs in by_parent.values():
        if len(refs) < 2:
            continue
        shapes = {(r.section_name is None, r.port is None) for _, r in refs}
        seen: set[tuple[str | None, int | None]] = set()
        for i, r in refs:
            sel = (r.section_name, r.port)
            if len(shapes) > 1:
                out.append(ValidationIssue(res.key, ("spec", "parentRefs", i),
                                           f"references to {r.parent_key} must all set, or all leave unset, "
                                           "sectionName and port", "parent-refs-not-distinct"))
            elif sel in seen:
                out.append(ValidationIssue(res.key, ("spec", "parentRefs", i),
                                           f"{r} is referenced more than once", "parent-refs-not-distinct"))
            seen.add(sel)


def _backends(res: Resource, profile: str, out: list[ValidationIssue]) -> None:
    spec = res.spec
    rules = spec.get("rules")
    if rules is not None and not isinstance(rules, list):
        out.append(ValidationIssue(res.key, ("spec", "rules"), "rules must be a list", "wrong-type"))
        return
    for r, rule in enumerate(rules or []):
        if not isinstance(rule, dict):
            out.append(ValidationIssue(res.key, ("spec", "rules", r), "a rule must be a mapping", "wrong-type"))
            continue
        refs = rule.get("backendRefs")
        if refs is not None and not isinstance(refs, list):
            out.append(ValidationIssue(res.key, ("spec", "rules", r, "backendRefs"), "backendRefs must be a list",
                                       "wrong-type"))
    for path, raw in backend_refs(res):
        _types(res, path, raw, out)
        group = normalize_group(as_str(raw.get("group")) or "", profile)
        kind = as_str(raw.get("kind")) or "Service"
        if (group, kind) == (CORE_GROUP, "Service") and raw.get("port") is None:
            out.append(ValidationIssue(res.key, path, "a backendRef to a Service must have a port",
                                       "backend-port-required"))


def validate_route(res: Resource, profile: str) -> list[ValidationIssue]:
    out: list[ValidationIssue] = []
    if "spec" in res.body and not isinstance(res.body["spec"], dict) and res.body["spec"] is not None:
        return [ValidationIssue(res.key, ("spec",), "spec must be a mapping", "wrong-type")]
    hostnames = as_dict(res.spec).get("hostnames")
    if hostnames is not None and not isinstance(hostnames, list):
        out.append(ValidationIssue(res.key, ("spec", "hostnames"), "hostnames must be a list", "wrong-type"))
    _parent_refs(res, profile, out)
    _backends(res, profile, out)
    return out
