"""Evaluating policies over the facts of one state against its parent state.

Findings of a resource are cached by a fingerprint of everything its facts are
built from (the bodies' identities, the operation, both predicted statuses), so
a commit pays only for what it changed. Policies that read the whole state
through lookup functions are evaluated afresh every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jmespath.exceptions import JMESPathError

from policycheck.diagnostics import POLICY_ERROR
from policycheck.facts import backend_facts, detached, orphaned, status_fact, validation_fact
from policycheck.findings import Finding, ResourceRef
from policycheck.functions import make_options
from policycheck.mesh import mesh_fact
from policycheck.model import Resource, ResourceKey, is_route
from policycheck.policy import Policy
from policycheck.state import State
from policycheck.status import Resolution, RouteStatus, ValidationIssue

IGNORE_ANNOTATION = "policycheck.io/ignore"
IGNORE_REASON_ANNOTATION = "policycheck.io/ignore-reason"
SEVERITY_VALUES = ("error", "warning", "info")


@dataclass(frozen=True)
class Transition:
    """One state and the state it is judged against, with their predicted status."""

    new: State
    old: State
    new_res: Resolution
    old_res: Resolution
    operations: dict[ResourceKey, str]  # create | update | delete for changed objects
    commit: dict[str, Any]


ByResource = dict[ResourceKey, tuple[Finding, ...]]
Findings = dict[tuple[str, ...], Finding]


def ref_of(res: Resource) -> ResourceRef:
    return ResourceRef(res.key.kind, res.key.namespace, res.key.name, res.api_version, res.key.group)


def suppressed_policies(res: Resource) -> tuple[set[str], str]:
    ann = res.annotations
    raw = ann.get(IGNORE_ANNOTATION, "")
    ids = {p.strip() for p in raw.split(",") if p.strip()}
    return ids, ann.get(IGNORE_REASON_ANNOTATION, "")


class Engine:
    def __init__(self, policies: Iterable[Policy], severity_overrides: dict[str, str] | None = None,
                 forbid_suppressing: Iterable[str] = (), params: dict[str, Any] | None = None,
                 mesh: dict[str, str] | None = None) -> None:
        self.policies = list(policies)
        self.overrides = dict(severity_overrides or {})
        self.forbid = set(forbid_suppressing)
        self.params = dict(params or {})
        self.mesh = mesh_fact(mesh or {})
        self.options, self.funcs = make_options()
        self.local = [p for p in self.policies if not p.global_]
        self.global_policies = [p for p in self.policies if p.global_]

    # -- facts -------------------------------------------------------------
    def _bind(self, t: Transition) -> None:
        def finder(state: State) -> Any:
            def lookup(kind: str, namespace: str, name: str, group: str | None) -> Any:
                for res in _by_kind_name(state, kind, group):
                    if res.key.namespace == namespace and res.key.name == name:
                        return res.body
                return None
            return lookup

        def lister(state: State) -> Any:
            def objects(kind: str, namespace: str | None, group: str | None) -> list[Any]:
                return [r.body for r in _by_kind_name(state, kind, group)
                        if namespace is None or r.key.namespace == namespace]
            return objects

        self.funcs.lookup, self.funcs.lookup_old = finder(t.new), finder(t.old)
        self.funcs.objects, self.funcs.objects_old = lister(t.new), lister(t.old)

    def evaluate(self, t: Transition, base: ByResource | None = None, dirty: set[ResourceKey] | None = None,
                 base_local: Findings | None = None) -> tuple[Findings, ByResource, Findings]:
        """Every finding of the new state, keyed by identity, and the per-resource findings to carry on.

        With `base` (the parent transition's per-resource findings) and `dirty` (the
        objects whose facts may differ from that transition's: changed, re-resolved,
        or either of those in the parent transition), only dirty objects are
        evaluated; the rest keep their findings. Policies that read the whole state
        or the commit are evaluated on every object every time.

        Returns all findings, the per-resource findings, and those same findings by
        key (`base_local` is the parent's: it is copied and patched, not rebuilt).
        """
        self._bind(t)
        validation: dict[ResourceKey, list[ValidationIssue]] = {}
        for issue in t.new_res.validation:
            validation.setdefault(issue.key, []).append(issue)
        changed = set(t.operations)
        deleted = {k for k, op in t.operations.items() if op == "delete"}
        resources = t.new.resources
        local: Findings
        if base is None or dirty is None:
            by_resource: ByResource = {}
            local = {}
            keys: Iterable[ResourceKey] = resources
        else:
            by_resource = dict(base)
            local = dict(base_local) if base_local is not None else {f.key: f for v in base.values() for f in v}
            for k in dirty:
                for f in by_resource.pop(k, ()):
                    local.pop(f.key, None)
            keys = [k for k in dirty if k in resources]
        for key in keys:
            res = resources[key]
            op = t.operations.get(key, "none")
            old = t.old.get(key) if op != "create" else None
            found = self._evaluate_one(t, key, res, old, op, validation.get(key, []), changed, deleted, self.local)
            if found:
                by_resource[key] = found
                for f in found:
                    local[f.key] = f
        out = dict(local)
        for key, op in t.operations.items():
            if op == "delete":
                old_res = t.old.get(key)
                if old_res is not None:
                    for f in self._evaluate_one(t, key, old_res, old_res, "delete", [], changed, deleted,
                                                self.policies):
                        out[f.key] = f
        if self.global_policies:
            for key, res in resources.items():
                op = t.operations.get(key, "none")
                old = t.old.get(key) if op != "create" else None
                for f in self._evaluate_one(t, key, res, old, op, validation.get(key, []), changed, deleted,
                                            self.global_policies):
                    out[f.key] = f
        return out, by_resource, local

    def _evaluate_one(self, t: Transition, key: ResourceKey, res: Resource, old: Resource | None, op: str,
                      issues: list[ValidationIssue], changed: set[ResourceKey], deleted: set[ResourceKey],
                      policies: list[Policy]) -> tuple[Finding, ...]:
        route = is_route(key.group, key.kind)
        new_status: RouteStatus | None = t.new_res.routes.get(key) if route and op != "delete" else None
        old_status: RouteStatus | None = t.old_res.routes.get(key) if route else None
        context: dict[str, Any] | None = None
        ignore, reason = suppressed_policies(res)
        found: list[Finding] = []
        for policy in policies:
            if not _matches(policy, key, op):
                continue
            if context is None:
                context = self._context(t, key, res, old, op, new_status, old_status, issues, changed, deleted)
            found.extend(self._run(policy, context, res, op, ignore, reason))
        return tuple(found)

    def _context(self, t: Transition, key: ResourceKey, res: Resource, old: Resource | None, op: str,
                 new_status: RouteStatus | None, old_status: RouteStatus | None,
                 issues: list[ValidationIssue], changed: set[ResourceKey], deleted: set[ResourceKey]) -> dict[str, Any]:
        route = is_route(key.group, key.kind)
        refs = {p.ref.parent_key for p in new_status.parents} if new_status else set()
        status = status_fact(new_status)
        if status is not None:
            for parent in status["parents"]:
                parent["hint"] = _hint(t.new, parent) if parent["presence"]["state"] == "missing" else ""
        return {
            "resource": res.body if op != "delete" else None,
            "old": old.body if old is not None and op != "create" else None,
            "operation": op,
            "key": key.as_dict(),
            "apiVersion": res.api_version,
            "file": res.file,
            "isRoute": route,
            "status": status,
            "backends": backend_facts(t.new_res.backends.get(key, ())) if op != "delete" else [],
            "mesh": self.mesh,
            "oldStatus": status_fact(old_status),
            "detached": detached(old_status, new_status, refs, changed) if (route and op == "update") or (
                route and op == "none" and old_status != new_status) else [],
            "orphaned": orphaned(old_status, new_status, deleted, changed) if route and op != "delete" else [],
            "validation": validation_fact(issues),
            "commit": t.commit,
            "params": self.params,
        }

    def _run(self, policy: Policy, context: dict[str, Any], res: Resource, op: str,
             ignore: set[str], reason: str) -> list[Finding]:
        ref = ref_of(res)
        try:
            ctx = dict(context)
            ctx["params"] = {**policy.params, **_policy_params(self.params, policy.id)}
            items: list[Any]
            if policy.for_each is not None:
                value = policy.for_each.search(ctx, options=self.options)
                items = value if isinstance(value, list) else ([] if value is None else [value])
            else:
                items = [None]
            findings = []
            for item in items:
                ctx["item"] = item
                if policy.when is not None and not _truthy(policy.when.search(ctx, options=self.options)):
                    continue
                findings.append(self._finding(policy, ctx, res, ref, op, ignore, reason))
            return findings
        except (JMESPathError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            return [Finding(res.file, res.line, POLICY_ERROR,
                            f"policy {policy.id} failed on {ref}: {type(exc).__name__}: {exc}", "error",
                            ref, op, policy.id)]

    def _finding(self, policy: Policy, ctx: dict[str, Any], res: Resource, ref: ResourceRef, op: str,
                 ignore: set[str], reason: str) -> Finding:
        message = policy.message.render(ctx, self.options)
        severity = policy.severity
        if policy.severity_from is not None:
            value = policy.severity_from.search(ctx, options=self.options)
            if value is not None:
                if value not in SEVERITY_VALUES:
                    raise ValueError(f"severityFrom gave {value!r}, not one of {', '.join(SEVERITY_VALUES)}")
                severity = value
        severity = self.overrides.get(policy.id, severity)
        line = res.line
        if policy.location is not None:
            path = policy.location.search(ctx, options=self.options)
            if isinstance(path, list) and all(isinstance(p, (str, int)) for p in path):
                line = res.line_of(*path)
        ref_text = ""
        if policy.ref is not None:
            value = policy.ref.search(ctx, options=self.options)
            ref_text = "" if value is None else (value if isinstance(value, str) else _canon(value))
        is_suppressed = (policy.id in ignore or "*" in ignore) and policy.id not in self.forbid
        return Finding(res.file, line, policy.id, message, severity, ref, op, ref_text,
                       suppressed=is_suppressed, suppression_reason=reason if is_suppressed else "")


def _hint(state: State, parent: dict[str, Any]) -> str:
    """A likely fix when the name exists as another kind (the defaulted-kind mistake)."""
    ref = parent["ref"]
    for group, kind in (("", "Service"), ("gateway.networking.k8s.io", "Gateway")):
        if (group, kind) == (ref["group"], ref["kind"]):
            continue
        if state.get(ResourceKey(group, kind, ref["namespace"], ref["name"])) is not None:
            spelled = "group: core (or \"\"), kind: Service" if kind == "Service" else \
                "kind: Gateway, group: gateway.networking.k8s.io"
            return f"; a {kind} of that name exists: did you mean {spelled}?"
    return ""


def _canon(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _truthy(value: Any) -> bool:
    # JMESPath truthiness: false, null, "", [], {} are false.
    return value not in (False, None, "", [], {})


def _matches(policy: Policy, key: ResourceKey, op: str) -> bool:
    if op not in policy.operations:
        return False
    if policy.routes_only and not is_route(key.group, key.kind):
        return False
    if policy.kinds is not None and key.kind not in policy.kinds:
        return False
    return policy.groups is None or key.group in policy.groups


def _policy_params(params: dict[str, Any], pid: str) -> dict[str, Any]:
    value = params.get(pid)
    return value if isinstance(value, dict) else {}


def _by_kind_name(state: State, kind: str, group: str | None) -> list[Resource]:
    if group is not None:
        return state.of_kind(group, kind)
    return [r for r in state.resources.values() if r.key.kind == kind]
