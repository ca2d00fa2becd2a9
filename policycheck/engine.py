"""Evaluating policies over the facts of one state against its parent state.

A commit pays only for what it changed. Objects whose facts cannot differ from
the parent transition's keep their findings; for the rest, each policy's outcome
is reused while the facts that policy reads (its expressions name them) compare
equal to those it last ran on: an object re-resolved because its Gateway changed,
or the commit after its own edit, usually runs no JMESPath at all; a policy that
reads nothing tied to the object's key also reuses what it found on another
object with equal facts (a route with nothing detached is like any other). When
nothing any policy reads has changed, one comparison stands for all. A finding's
line is read only when the finding is shown (composing a file's node tree is the
dearest part of it). Policies that read the whole state through lookup functions,
or the commit, are evaluated afresh every time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from jmespath.exceptions import JMESPathError

from policycheck.closures import Closures
from policycheck.diagnostics import POLICY_ERROR
from policycheck.facts import backend_facts, detached, orphaned, status_fact, validation_fact
from policycheck.findings import Finding, ResourceRef, ref_of
from policycheck.functions import make_options
from policycheck.mesh import mesh_fact
from policycheck.model import Resource, ResourceKey, is_route
from policycheck.overlay import Overlay
from policycheck.policy import Policy
from policycheck.state import State
from policycheck.status import ParentRef, Resolution, RouteStatus, ValidationIssue

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


ByResource = Mapping[ResourceKey, tuple[Finding, ...]]
Findings = Mapping[tuple[str, ...], Finding]


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
        # Every expression is evaluated through closures built once per expression (see
        # `closures`), not by walking its tree per search.
        self._visit = Closures(self.options).visit
        self.local = [p for p in self.policies if not p.global_]
        self.global_policies = [p for p in self.policies if p.global_]
        # What the engine remembers of each object a policy applied to (see `_Memory`).
        self._memory: dict[ResourceKey, _Memory] = {}
        # Per policy that reads nothing tied to the object's key: the facts it read last, on any
        # object, and what it found then. Its outcome is a function of those facts alone, and most
        # objects give it the same ones (nothing detached, nothing orphaned, no validation issue),
        # so an object it has not seen before rarely runs it.
        self._shared: dict[str, _Memo] = {}
        self._issues: tuple[tuple[ValidationIssue, ...], dict[ResourceKey, list[ValidationIssue]]] | None = None
        self._plans: dict[str, _Plan] = {}
        self._applicable: dict[tuple[int, str, str, str], _Applicable] = {}

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
                 base_local: Findings | None = None) -> tuple[Findings, ByResource, Findings, Findings]:
        """Every finding of the new state, keyed by identity, and the per-resource findings to carry on.

        With `base` (the parent transition's per-resource findings) and `dirty` (the
        objects whose facts may differ from that transition's: changed, re-resolved,
        or either of those in the parent transition), only dirty objects are
        evaluated; the rest keep their findings. Policies that read the whole state
        or the commit are evaluated on every object every time.

        Returns all findings, the per-resource findings, those same findings by key
        (`base_local` is the parent's: the new maps are overlays of the parent's, not
        copies), and the findings made anew every time (deletions, policies that read
        the whole state).
        """
        self._bind(t)
        validation = self._issues_by_route(t.new_res.validation)
        change = _Change.of(t)
        resources = t.new.resources
        keys: Iterable[ResourceKey] = resources if base is None or dirty is None else dirty
        found_by: dict[ResourceKey, tuple[Finding, ...]] = {}
        found: dict[tuple[str, ...], Finding] = {}
        for key in keys:
            res = resources.get(key)
            if res is None:
                continue  # dirty, but deleted
            op = t.operations.get(key, "none")
            old = t.old.get(key) if op != "create" else None
            made = self._evaluate_one(t, key, res, old, op, validation.get(key, []), change, self.local)
            if made:
                found_by[key] = made
                for f in made:
                    found[f.key] = f
        by_resource: ByResource
        local: Findings
        if base is None or dirty is None:
            by_resource, local = Overlay.adopt(found_by), Overlay.adopt(found)
        else:
            # The parent's maps with the dirty objects' findings swapped, sharing what is carried.
            if base_local is None:
                base_local = {f.key: f for v in base.values() for f in v}
            by_resource = Overlay.of(base).derive(found_by, dirty)  # (keys it lacks are skipped)
            local = Overlay.of(base_local).derive(found, [f.key for k in dirty for f in base.get(k, ())])
        extra: dict[tuple[str, ...], Finding] = {}
        for key, op in t.operations.items():
            if op == "delete":
                old_res = t.old.get(key)
                if old_res is not None:
                    for f in self._evaluate_one(t, key, old_res, old_res, "delete", [], change, self.policies):
                        extra[f.key] = f
        if self.global_policies:
            for key, res in resources.items():
                op = t.operations.get(key, "none")
                old = t.old.get(key) if op != "create" else None
                for f in self._evaluate_one(t, key, res, old, op, validation.get(key, []), change,
                                            self.global_policies):
                    extra[f.key] = f
        return (Overlay.of(local).derive(extra) if extra else local), by_resource, local, extra

    def document(self, t: Transition, key: ResourceKey) -> dict[str, Any]:
        """Every fact a policy can read about the object `key` in `t`, as a policy reading the context
        whole sees it (`policycheck facts`); `params` and `item` are each policy's own."""
        self._bind(t)
        res, op = t.new.get(key), t.operations.get(key, "none")
        if res is None:
            res, op = t.old.get(key), "delete"
        if res is None:
            raise KeyError(key)
        old = t.old.get(key) if op != "create" else None
        issues = self._issues_by_route(t.new_res.validation).get(key, []) if op != "delete" else []
        return _Facts(self, t, key, res, old, op, issues, _Change.of(t)).context(_FACTS)

    def _issues_by_route(self, issues: tuple[ValidationIssue, ...]) -> dict[ResourceKey, list[ValidationIssue]]:
        """Validation issues by route; the last commit's grouping while its issues are the very same
        tuple (most commits re-resolve no route that has or had one)."""
        last = self._issues
        if last is not None and last[0] is issues:
            return last[1]
        grouped: dict[ResourceKey, list[ValidationIssue]] = {}
        for issue in issues:
            grouped.setdefault(issue.key, []).append(issue)
        self._issues = (issues, grouped)
        return grouped

    def _evaluate_one(self, t: Transition, key: ResourceKey, res: Resource, old: Resource | None, op: str,
                      issues: list[ValidationIssue], change: _Change, policies: list[Policy]) -> tuple[Finding, ...]:
        applicable = self._matching(policies, key, op)
        if not applicable.policies:
            return ()
        facts = _Facts(self, t, key, res, old, op, issues, change)
        found: list[Finding] = []
        for policy, outcomes in zip(applicable.policies, self._all_outcomes(applicable, facts), strict=True):
            if not outcomes:  # nothing found (most objects under most policies)
                continue
            if isinstance(outcomes, str):
                found.append(self._failure(policy, res, op, outcomes))
                continue
            # The findings of a reused outcome on the very same object are the ones made before.
            made = facts.memory.made.get(policy.id)
            if made is not None and made[0] is outcomes and made[1] is res and made[2] == op:
                found.extend(made[3])
                continue
            these = self._findings(policy, res, op, outcomes, facts.memory)
            if not policy.global_:
                facts.memory.made[policy.id] = (outcomes, res, op, these)
            found.extend(these)
        return tuple(found)

    def _failure(self, policy: Policy, res: Resource, op: str, why: str) -> Finding:
        # A deleted object is not in the new state, whose files a stored evaluation keeps: its
        # lines are read now. Any other finding's line is read when the finding is shown.
        lazy = op != "delete"
        ref = ref_of(res)
        return Finding(res.file, 0 if lazy else res.line, POLICY_ERROR, f"policy {policy.id} failed on {ref}: {why}",
                       "error", ref, op, policy.id, where=(res, ()) if lazy else None)

    def _findings(self, policy: Policy, res: Resource, op: str, outcomes: tuple[_Outcome, ...],
                  memory: _Memory) -> tuple[Finding, ...]:
        lazy = op != "delete"  # as in `_failure`
        ref, ignore, reason = memory.marks(res)
        is_suppressed = (policy.id in ignore or "*" in ignore) and policy.id not in self.forbid
        return tuple(Finding(res.file, 0 if lazy else res.line_of(*o.path), policy.id, o.message, o.severity, ref, op,
                             o.ref, suppressed=is_suppressed, suppression_reason=reason if is_suppressed else "",
                             where=(res, o.path) if lazy else None)
                     for o in outcomes)

    def _matching(self, policies: list[Policy], key: ResourceKey, op: str) -> _Applicable:
        """The policies of `policies` that apply to an object of key's kind and an operation (one
        of the engine's own lists, asked about for every object evaluated)."""
        slot = (id(policies), key.group, key.kind, op)
        found = self._applicable.get(slot)
        if found is None:
            matching = tuple(p for p in policies if _matches(p, key, op))
            plans = [self._plan_of(p) for p in matching]
            reads = None if any(plan[0] is None for plan in plans) else \
                tuple(n for n in _VARYING if any(n in (plan[0] or ()) for plan in plans))
            found = self._applicable[slot] = _Applicable(matching, tuple(p.id for p in matching), reads)
        return found

    def _all_outcomes(self, applicable: _Applicable, facts: _Facts) -> tuple[tuple[_Outcome, ...] | str, ...]:
        """What each applicable policy finds on one object (see `_outcomes`).

        While none of the facts any of them reads has changed since the object was last
        evaluated by the same policies, those outcomes stand, found by one comparison
        rather than one per policy (an object is most often evaluated again for the
        commit after its own change, or with another operation).
        """
        memory = facts.memory
        if applicable.reads is None:
            return tuple(self._outcomes(p, facts) for p in applicable.policies)
        inputs = tuple(map(facts.proxy, applicable.reads))
        last = memory.last
        if last is not None and last[0] == applicable.ids and last[1] == inputs:
            return last[2]
        outcomes = tuple(self._outcomes(p, facts) for p in applicable.policies)
        # A failure is not kept (as in `_outcomes`): it is run again next time.
        memory.last = None if any(isinstance(o, str) for o in outcomes) else (applicable.ids, inputs, outcomes)
        return outcomes

    def _outcomes(self, policy: Policy, facts: _Facts) -> tuple[_Outcome, ...] | str:
        """What a policy finds on one object, reused while the facts it reads are unchanged; a string
        says why the policy failed."""
        reads, names, shared = self._plan_of(policy)
        if reads is not None:
            inputs = tuple(map(facts.proxy, reads))
            memos = facts.memory.outcomes
            hit = memos.get(policy.id)
            if hit is not None and hit[0] == inputs:
                return hit[1]
            if shared:
                hit = self._shared.get(policy.id)
                if hit is not None and hit[0] == inputs:
                    memos[policy.id] = hit
                    return hit[1]
        try:
            outcomes = self._run(policy, facts.context(names))
        except (JMESPathError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            return f"{type(exc).__name__}: {exc}"
        if reads is not None:
            memos[policy.id] = (inputs, outcomes)
            if shared:
                self._shared[policy.id] = (inputs, outcomes)
        return outcomes

    def _plan_of(self, policy: Policy) -> _Plan:
        """A policy's plan (see `_plan`), made once."""
        plan = self._plans.get(policy.id)
        if plan is None:
            plan = self._plans[policy.id] = self._plan(policy)
        return plan

    @staticmethod
    def _plan(policy: Policy) -> _Plan:
        """The varying facts whose stand-ins key a policy's memo (None: not memoized, it reads the
        whole state or the commit), the facts its context holds (all when its reads are unknown),
        and whether its outcome may be shared between objects (it reads nothing tied to the key)."""
        if policy.reads is None:
            return (None if policy.global_ else _VARYING), _FACTS, False
        reads = None if policy.global_ else tuple(n for n in _VARYING if n in policy.reads)
        shared = reads is not None and not (policy.reads & _PER_KEY)
        return reads, tuple(n for n in _FACTS if n in policy.reads), shared

    def _run(self, policy: Policy, ctx: dict[str, Any]) -> tuple[_Outcome, ...]:
        ctx["params"] = {**policy.params, **_policy_params(self.params, policy.id)}
        items: list[Any]
        if policy.for_each is not None:
            value = self._visit(policy.for_each.parsed, ctx)
            items = value if isinstance(value, list) else ([] if value is None else [value])
        else:
            items = [None]
        outcomes = []
        for item in items:
            ctx["item"] = item
            if policy.when is not None and not _truthy(self._visit(policy.when.parsed, ctx)):
                continue
            outcomes.append(self._outcome(policy, ctx))
        return tuple(outcomes)

    def _outcome(self, policy: Policy, ctx: dict[str, Any]) -> _Outcome:
        message = policy.message.render(ctx, self.options, self._visit)
        severity = policy.severity
        if policy.severity_from is not None:
            value = self._visit(policy.severity_from.parsed, ctx)
            if value is not None:
                if value not in SEVERITY_VALUES:
                    raise ValueError(f"severityFrom gave {value!r}, not one of {', '.join(SEVERITY_VALUES)}")
                severity = value
        severity = self.overrides.get(policy.id, severity)
        path: tuple[str | int, ...] = ()
        if policy.location is not None:
            found = self._visit(policy.location.parsed, ctx)
            if isinstance(found, list) and all(isinstance(p, (str, int)) for p in found):
                path = tuple(found)
        ref_text = ""
        if policy.ref is not None:
            value = self._visit(policy.ref.parsed, ctx)
            ref_text = "" if value is None else (value if isinstance(value, str) else _canon(value))
        return _Outcome(message, severity, path, ref_text)


@dataclass(frozen=True)
class _Change:
    """What a transition changed, as the facts of its objects ask about it."""

    changed: set[ResourceKey]  # created, updated or deleted
    deleted: set[ResourceKey]
    names: frozenset[str]  # of the changed objects: an object named otherwise did not change

    @staticmethod
    def of(t: Transition) -> _Change:
        return _Change(set(t.operations), {k for k, op in t.operations.items() if op == "delete"},
                       frozenset(k.name for k in t.operations))


class _Applicable(NamedTuple):
    """The policies applying to objects of one kind under one operation."""

    policies: tuple[Policy, ...]
    ids: tuple[str, ...]
    reads: tuple[str, ...] | None  # the varying facts any of them reads (None: one is not memoized)


# The stand-ins of the facts a policy read, and what it found on them.
_Memo = tuple[tuple[Any, ...], tuple["_Outcome", ...]]


class _Memory:
    """What the engine remembers of one object from the commits that evaluated it.

    Kept per object rather than per (policy, object), so an object evaluated again is
    looked up once, not once per policy.
    """

    __slots__ = ("_marks", "_status", "last", "made", "outcomes")

    def __init__(self) -> None:
        # Per policy: the stand-ins of the facts it read last and what it found then. Bodies
        # are kept alongside, so an equal body of a later commit compares equal and the
        # policy is not run.
        self.outcomes: dict[str, _Memo] = {}
        # Per policy: the outcome last turned into findings, on which object and operation,
        # and those findings (a memo hit on the same object makes none anew).
        self.made: dict[str, tuple[tuple[_Outcome, ...], Resource, str, tuple[Finding, ...]]] = {}
        # The policies that last evaluated the object together, the stand-ins of every fact
        # they read, and what each found (see `Engine._all_outcomes`).
        self.last: tuple[tuple[str, ...], tuple[Any, ...], tuple[tuple[_Outcome, ...] | str, ...]] | None = None
        # The status object the stand-ins use, and the last other object found equal to it.
        self._status: tuple[RouteStatus, RouteStatus] | None = None
        # The object its reference and suppressions were read from, and those.
        self._marks: tuple[Resource, tuple[ResourceRef, set[str], str]] | None = None

    def status(self, status: RouteStatus | None) -> RouteStatus | None:
        """`status`, or the equal status object this route's stand-ins used before.

        A re-resolved route gets a fresh status, usually equal to the one before:
        compared once here, every memo comparison after it is by identity.
        """
        if status is None:
            return None
        held = self._status
        if held is not None:
            if status is held[0] or status is held[1]:
                return held[0]
            if status == held[0]:
                self._status = (held[0], status)
                return held[0]
        self._status = (status, status)
        return status

    def marks(self, res: Resource) -> tuple[ResourceRef, set[str], str]:
        """The object's reference and the policies it suppresses (with the reason), read once
        per object rather than per finding: an object keeps its findings commit after commit."""
        held = self._marks
        if held is not None and held[0] is res:
            return held[1]
        ignore, reason = suppressed_policies(res)
        marks = (ref_of(res), ignore, reason)
        self._marks = (res, marks)
        return marks


@dataclass(frozen=True)
class _Outcome:
    """One finding of a policy on an object, before it is tied to the object's file and line."""

    message: str
    severity: str
    path: tuple[str | int, ...]  # where in the object (empty: the object itself)
    ref: str


# Facts that differ from object to object or commit to commit (the rest are fixed per policy and
# object key: key, isRoute, mesh, params).
_VARYING = ("resource", "old", "operation", "apiVersion", "file", "status", "backends", "oldStatus", "detached",
            "orphaned", "validation", "commit")


# Facts fixed per object key (besides `mesh` and `params`, fixed per engine and policy): a policy
# reading none of them finds the same on any two objects whose varying facts are equal.
_PER_KEY = frozenset({"key", "isRoute"})

# The varying facts keying a policy's memo (None: not memoized), the facts its context holds, and
# whether its outcome may be shared between objects.
_Plan = tuple[tuple[str, ...] | None, tuple[str, ...], bool]


# Every fact of a context, in the order a policy reading the context whole sees them (`params` is
# added last by the run).
_FACTS = ("resource", "old", "operation", "key", "apiVersion", "file", "isRoute", "status", "backends", "mesh",
          "oldStatus", "detached", "orphaned", "validation", "commit")


class _Facts:
    """The facts of one object in one transition: stand-ins to compare cheaply, and a policy's
    context, built only when that policy has to run and holding only the facts it reads."""

    def __init__(self, engine: Engine, t: Transition, key: ResourceKey, res: Resource, old: Resource | None,
                 op: str, issues: list[ValidationIssue], change: _Change) -> None:
        self.engine, self.t, self.key, self.res, self.old, self.op = engine, t, key, res, old, op
        self.issues, self.change = issues, change
        self.route = is_route(key.group, key.kind)
        memory = engine._memory.get(key)
        if memory is None:
            memory = engine._memory[key] = _Memory()
        self.memory = memory
        # The old status first: it is usually the object the route's stand-ins used last time.
        self.old_status = memory.status(t.old_res.routes.get(key)) if self.route else None
        self.new_status = memory.status(t.new_res.routes.get(key)) if self.route and op != "delete" else None
        self._proxies: dict[str, Any] = {}
        self._facts: dict[str, Any] = {}
        self._detached: list[dict[str, Any]] | None = None
        self._orphaned: list[dict[str, Any]] | None = None

    def proxy(self, name: str) -> Any:
        """A value equal between two transitions whenever the fact `name` is (bodies compare by value)."""
        proxies = self._proxies
        if name in proxies:
            return proxies[name]
        res, op = self.res, self.op
        value: Any
        if name == "resource":
            value = res.body if op != "delete" else None
        elif name == "old":
            value = self.old.body if self.old is not None and op != "create" else None
        elif name == "operation":
            value = op
        elif name == "apiVersion":
            value = res.api_version
        elif name == "file":
            value = res.file
        elif name == "status":
            status = self.new_status
            value = None if status is None else (status, tuple(
                _hint(self.t, p.ref) for p in status.parents if p.presence.state == "missing"))
        elif name == "backends":
            value = self.t.new_res.backends.get(self.key, ()) if op != "delete" else ()
        elif name == "oldStatus":
            value = self.old_status
        elif name == "detached":
            value = self.detached()
        elif name == "orphaned":
            value = self.orphaned()
        elif name == "validation":
            value = tuple(self.issues)
        else:
            value = self.t.commit
        proxies[name] = value
        return value

    def detached(self) -> list[dict[str, Any]]:
        if self._detached is None:
            new, old, op = self.new_status, self.old_status, self.op
            # An equal status attaches to the same parents: nothing left (the usual edit).
            if self.route and op in ("update", "none") and old is not new and old != new:
                refs = {p.ref.parent_key for p in new.parents} if new else set()
                self._detached = detached(old, new, refs, self.change.changed)
            else:
                self._detached = []
        return self._detached

    def orphaned(self) -> list[dict[str, Any]]:
        if self._orphaned is None:
            new, names = self.new_status, self.change.names
            # Only a parent this change touched can be orphaned: most routes name none (checked by
            # name, which costs no key).
            touched = new is not None and any(p.ref.name in names for p in new.parents)
            self._orphaned = orphaned(self.old_status, new, self.change.deleted, self.change.changed) \
                if touched and self.route and self.op != "delete" else []
        return self._orphaned

    def context(self, names: tuple[str, ...]) -> dict[str, Any]:
        """A fresh context holding the facts `names` (each built once per object, on first use);
        `params` and `item` are the caller's."""
        facts = self._facts
        out: dict[str, Any] = {}
        for name in names:
            if name in facts:
                out[name] = facts[name]
            else:
                out[name] = facts[name] = self._fact(name)
        return out

    def _fact(self, name: str) -> Any:
        t, key, op = self.t, self.key, self.op
        if name == "resource":
            return self.res.body if op != "delete" else None
        if name == "old":
            return self.old.body if self.old is not None and op != "create" else None
        if name == "operation":
            return op
        if name == "key":
            return key.as_dict()
        if name == "apiVersion":
            return self.res.api_version
        if name == "file":
            return self.res.file
        if name == "isRoute":
            return self.route
        if name == "status":
            status = status_fact(self.new_status)
            if status is not None:
                parents = self.new_status.parents if self.new_status else ()
                for parent, p in zip(status["parents"], parents, strict=True):
                    parent["hint"] = _hint(t, p.ref) if parent["presence"]["state"] == "missing" else ""
            return status
        if name == "backends":
            return backend_facts(t.new_res.backends.get(key, ())) if op != "delete" else []
        if name == "mesh":
            return self.engine.mesh
        if name == "oldStatus":
            return status_fact(self.old_status)
        if name == "detached":
            return self.detached()
        if name == "orphaned":
            return self.orphaned()
        if name == "validation":
            return validation_fact(self.issues)
        return t.commit


def _hint(t: Transition, ref: ParentRef) -> str:
    """A likely fix: the name exists as another kind (the defaulted-kind mistake), or an object of that
    kind and namespace has a close name, one this change created first (a rename)."""
    state = t.new
    for group, kind in (("", "Service"), ("gateway.networking.k8s.io", "Gateway")):
        if (group, kind) == (ref.group, ref.kind):
            continue
        if state.get(ResourceKey(group, kind, ref.namespace, ref.name)) is not None:
            spelled = "group: core (or \"\"), kind: Service" if kind == "Service" else \
                "kind: Gateway, group: gateway.networking.k8s.io"
            return f"; a {kind} of that name exists: did you mean {spelled}?"
    # The objects of that kind and namespace, not the change's operations: a range's first state
    # creates every object, and this runs once per missing parent.
    names = [r.key.name for r in state.of_kind(ref.group, ref.kind) if r.key.namespace == ref.namespace]
    created = [n for n in names if t.operations.get(ResourceKey(ref.group, ref.kind, ref.namespace, n)) == "create"]
    close = difflib.get_close_matches(ref.name, created, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(ref.name, names, n=1, cutoff=0.75)
    if close:
        return f"; did you mean {ResourceKey(ref.group, ref.kind, ref.namespace, close[0])}?"
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
