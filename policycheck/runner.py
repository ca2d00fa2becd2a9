"""One check run: states in order, predicted status, policies, per-commit results.

Every commit is judged against its first parent. The findings of the parent
state are those of the parent judged against its own first parent, whether or
not the parent is part of the range, so a commit's report does not depend on
where the range starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from policycheck import verdict
from policycheck.collector import long_lived, paused
from policycheck.diagnostics import DUPLICATE, Diagnostic
from policycheck.engine import ByResource, Engine, Findings, Transition, suppressed_policies
from policycheck.findings import FAIL, PASS, CommitResult, Finding, PolicyInfo, Report, Suppression, ref_of
from policycheck.gitsource import Change
from policycheck.incremental import affected_routes, merge
from policycheck.model import ResourceKey
from policycheck.overlay import Overlay
from policycheck.policy import Policy
from policycheck.resolver import resolve
from policycheck.state import State
from policycheck.status import Resolution
from policycheck.unchecked import finding as unchecked_finding
from policycheck.unchecked import unreadable

EMPTY = State()
# How far back (first parents) a commit is derived from a snapshot, and from how far a derived
# commit is stored as a snapshot itself: storing costs about what deriving four commits does.
DERIVE_LIMIT = 16
STORE_DISTANCE = 4


@dataclass(frozen=True)
class Target:
    """A state to judge: a commit, the index or the working tree."""

    id: str  # full sha | STAGED | WORKTREE
    parent: str | None
    subject: str | None
    # Either the files that differ from the parent, or None (a commit, read by diff).
    changes: tuple[Change, ...] | None = None
    # Every parent of a merge commit, first parent first (empty otherwise): a merge is
    # not blamed for what one of its other parents already had.
    parents: tuple[str, ...] = ()


@dataclass
class Evaluated:
    state: State
    resolution: Resolution
    findings: Findings
    by_resource: ByResource = field(default_factory=dict)
    # Objects whose facts differ from the parent transition's (None: all of them).
    touched: set[ResourceKey] | None = None
    # `by_resource`'s findings by key, carried to the child and patched there.
    local: Findings | None = None
    # Keys of the findings that fail a commit although it does not list them (a policy that
    # could not run; with fail-on=all, any error), derived from the parent's (None: not yet known).
    alarms: set[tuple[str, ...]] | None = None
    # The findings not in `local` (None: not known): deletions, loader diagnostics, policies that
    # read the whole state. They are made anew every time rather than carried.
    extra: Findings | None = None


class Snapshots(Protocol):
    """Commits judged by earlier runs (see `policycheck.snapshot`)."""

    def fresh(self) -> bool:
        """Whether no state was built yet in this run."""

    def load(self, rev: str) -> Evaluated | None:
        """rev as a fresh run judged it, with the loader ready to derive its children; None on a miss."""

    def store(self, rev: str, ev: Evaluated) -> None:
        """Keep rev as this fresh run judged it."""

    def judged_first(self, state: State, parent: State) -> None:
        """Make the run remember `state` and its parent as a run that built them first remembers them."""

    def forget_states(self) -> None:
        """Make the run remember no state (the states derived next answer as if none came before)."""


class Runner:
    def __init__(self, policies: list[Policy], profile: str, *,
                 state_of: Callable[[str | None], State],
                 evolve: Callable[[State, str | None, Target], tuple[State, set[str]]],
                 parent_of: Callable[[str], str | None],
                 engine: Engine, fail_on: str = "new", list_all: bool = False,
                 progress: Callable[[int, int, str], None] | None = None,
                 snapshots: Snapshots | None = None,
                 broken_since: Callable[[str, str], str] | None = None, baseline: bool = False) -> None:
        self.policies = policies
        self.profile = profile
        self.state_of = state_of
        self.evolve = evolve
        self.parent_of = parent_of
        self.engine = engine
        self.fail_on = fail_on
        self.list_all = list_all
        self.progress = progress
        self.snapshots = snapshots
        # (path, rev) -> since when the file cannot be read at rev (see policycheck.unchecked).
        self.broken_since = broken_since
        self.baseline = baseline
        self._done: dict[str | None, Evaluated] = {}

    # -- states ------------------------------------------------------------
    def _evaluated(self, rev: str | None, depth: int = 0) -> Evaluated:
        """A revision outside the run, judged against its first parent (one level up)."""
        if rev in self._done:
            return self._done[rev]
        if rev is None:
            ev = Evaluated(EMPTY, Resolution({}), {}, {}, set(), {}, set(), {})
            self._done[None] = ev
            return ev
        # What a snapshot holds is a commit judged by a run that built nothing before it: the
        # presence oracle remembers every state a run built, so only then is it this very result.
        snapshots = self.snapshots if depth == 0 and self.snapshots is not None and self.snapshots.fresh() \
            else None
        if snapshots is not None:
            loaded = snapshots.load(rev)
            if loaded is None:
                derived = self._from_ancestor_snapshot(rev, snapshots)
                if derived is not None:
                    loaded, distance = derived
                    if distance >= STORE_DISTANCE:  # else the next run derives it again, for less than a store
                        snapshots.store(rev, loaded)
            if loaded is not None:
                self._done[rev] = loaded
                return loaded
        state = self.state_of(rev)
        resolution = resolve(state, self.profile, gateways=False)
        if depth >= 1:
            # Only its state is needed (as the grandparent of a judged commit).
            return Evaluated(state, resolution, {})
        parent = self._evaluated(self.parent_of(rev), depth + 1)
        ops = _operations(parent.state, state, None)
        findings, by_resource, local, extra = self._judge(
            Transition(state, parent.state, resolution, parent.resolution, ops, {"id": rev}), state)
        ev = Evaluated(state, resolution, findings, by_resource, set(ops) | _differing(parent.resolution, resolution),
                       local, extra=extra)
        self._done[rev] = ev
        if snapshots is not None:
            snapshots.store(rev, ev)
        return ev

    def _from_ancestor_snapshot(self, rev: str, snapshots: Snapshots) -> tuple[Evaluated, int] | None:
        """rev judged against its first parent exactly as a run that builds both does it, derived from
        the snapshot of its nearest first-parent ancestor (with how many commits it is from there);
        None when none of the last DERIVE_LIMIT has one.

        A hook's HEAD is most often a commit or a few made since the last run, whose HEAD
        was their ancestor. The states in between are derived as in a range, resolving
        again only the routes a commit can change; two things differ from a range. The
        presence oracle calls a missing parent "deleted earlier" from the states a run
        saw before, and a run judging rev from scratch has seen rev (first) and its parent
        (next) only: the states in between remember nothing, and the parent's routes that
        name what rev created are resolved again once the two are remembered as that run
        remembers them. Every object of rev is judged, as from scratch, unless the snapshot
        is its parent's: that holds the parent's own findings, which a range carries too.
        """
        chain = [rev]  # rev, its parent, ... up to the commit after the snapshot's
        ancestor = self.parent_of(rev)
        loaded = None
        while ancestor is not None and len(chain) <= DERIVE_LIMIT:
            loaded = snapshots.load(ancestor)
            if loaded is not None:
                break
            chain.append(ancestor)
            ancestor = self.parent_of(ancestor)
        if loaded is None or ancestor is None:
            return None
        parent_rev, parent, resolution = ancestor, loaded.state, loaded.resolution
        for commit in reversed(chain):
            state, changed_files = self.evolve(parent, parent_rev, Target(commit, parent_rev, None))
            ops = _operations(parent, state, changed_files)
            if commit == rev:
                break
            snapshots.forget_states()
            resolution = self._resolved(resolution, state, affected_routes(parent, state, set(ops)), _deleted(ops))
            parent.release()
            parent_rev, parent = commit, state
        snapshots.judged_first(state, parent)
        created = {k for k, op in ops.items() if op == "create"}
        parent_resolution = resolution
        if created:
            parent_resolution = self._resolved(resolution, parent, affected_routes(state, parent, created), [])
        ops = _operations(parent, state, None)  # every key, as from scratch
        new_resolution = self._resolved(resolution, state, affected_routes(parent, state, set(ops)), _deleted(ops))
        touched = set(ops) | _differing(parent_resolution, new_resolution)
        t = Transition(state, parent, new_resolution, parent_resolution, ops, {"id": rev})
        if len(chain) == 1 and loaded.touched is not None and loaded.local is not None and loaded.extra is not None:
            # The snapshot is the parent's own judgment: objects whose facts neither transition changed
            # keep their findings, as in a range.
            findings, by_resource, local, extra = self._judge(t, state, loaded, touched | loaded.touched)
        else:
            findings, by_resource, local, extra = self._judge(t, state)
        return Evaluated(state, new_resolution, findings, by_resource, touched, local, extra=extra), len(chain)

    def _resolved(self, previous: Resolution, state: State, affected: set[ResourceKey] | None,
                  gone: list[ResourceKey]) -> Resolution:
        """`previous`, the resolution of state's parent, with the affected routes of `state` resolved
        again (every route when None) and the objects `gone` dropped."""
        if affected is None:
            return resolve(state, self.profile, gateways=False)
        return merge(previous, resolve(state, self.profile, routes=affected, gateways=False), state, affected, gone)

    def _judge(self, t: Transition, state: State, base: Evaluated | None = None,
               dirty: set[ResourceKey] | None = None) -> tuple[Findings, ByResource, Findings, Findings]:
        if base is None:
            findings, by_resource, local, extra = self.engine.evaluate(t)
        else:
            findings, by_resource, local, extra = self.engine.evaluate(t, base.by_resource, dirty, base.local)
        diagnostics: dict[tuple[str, ...], Finding] = {f.key: f for f in map(_diagnostic_finding, state.diagnostics())}
        if diagnostics:
            findings = Overlay.of(findings).derive(diagnostics)
            extra = {**extra, **diagnostics}
        return findings, by_resource, local, extra

    # -- the run -----------------------------------------------------------
    def run(self, targets: Iterable[Target], policies_info: tuple[PolicyInfo, ...]) -> Report:
        results = []
        targets = list(targets)
        last: Evaluated | None = None
        # How many later targets still judge against each revision: a state nobody will read
        # again is dropped, so a long range holds a few states rather than one per commit.
        uses: dict[str | None, int] = {}
        for target in targets:
            for rev in {target.parent, *target.parents}:
                uses[rev] = uses.get(rev, 0) + 1
        ranged = {t.id for t in targets}
        with paused():
            for n, target in enumerate(targets):
                if self.progress:
                    self.progress(n, len(targets), target.id)
                result, last = self._step(target)
                results.append(result)
                for rev in {target.parent, *target.parents}:
                    uses[rev] -= 1
                    if not uses[rev] and rev in self._done and rev in ranged:
                        self._done.pop(rev).state.release()
        head_files = frozenset(last.state.files) if last else frozenset()
        head_objects = {}
        head_findings = base_findings = None
        if self.baseline and last is not None:
            start = self._done.get(targets[0].parent) or self._evaluated(targets[0].parent)
            head_findings = tuple(sorted((f.located() for f in last.findings.values()), key=_order))
            base_findings = tuple(sorted((f.located() for f in start.findings.values()), key=_order))
        if last:
            # Only objects some finding names: a line costs composing its file.
            named = {(f.resource.group, f.resource.kind, f.resource.namespace, f.resource.name)
                     for r in results for f in (*r.findings, *(r.all_findings or ())) if f.resource is not None}
            named.update((f.resource.group, f.resource.kind, f.resource.namespace, f.resource.name)
                         for f in base_findings or () if f.resource is not None)
            for gknn in named:
                res = last.state.get(ResourceKey(*gknn))
                if res is not None:
                    head_objects[gknn] = (res.file, res.line)
        from policycheck import __version__

        return Report(tuple(results), policies_info, self.fail_on, head_files, head_objects, __version__,
                      head_findings, base_findings)

    def _step(self, target: Target) -> tuple[CommitResult, Evaluated]:
        """Judge one target against its parent, derived from the parent's state and findings."""
        if target.parent in self._done:
            parent = self._done[target.parent]
        else:
            with long_lived():  # a whole state judged (the range's base), read by the commits after it
                parent = self._evaluated(target.parent)
        state, changed_files = self.evolve(parent.state, target.parent, target)
        ops = _operations(parent.state, state, changed_files)
        changed_keys = set(ops)
        affected = affected_routes(parent.state, state, changed_keys)
        resolution = self._resolved(parent.resolution, state, affected, _deleted(ops))
        commit = {"id": target.id, "parent": target.parent, "subject": target.subject}
        touched = None if affected is None else changed_keys | affected
        dirty = None if touched is None or parent.touched is None else touched | parent.touched
        findings, by_resource, local, extra = self._judge(
            Transition(state, parent.state, resolution, parent.resolution, ops, commit), state, parent, dirty)
        ev = Evaluated(state, resolution, findings, by_resource, touched, local, extra=extra)
        self._done[target.id] = ev
        known = self._known_to_other_parents(target, state, resolution, findings, commit)
        return self._result(target, parent, ev, ops, changed_files, known, dirty), ev

    def _known_to_other_parents(self, target: Target, state: State, resolution: Resolution,
                                findings: Findings,
                                commit: dict[str, str | None]) -> frozenset[tuple[str, ...]]:
        """Finding keys a merge commit must not be blamed for.

        Judged against another parent, a finding is not the merge's doing when that parent
        already had it, or when the merge does not cause it seen from that parent (the
        target branch's own changes, brought in by merging it, are no change from there).
        """
        known: set[tuple[str, ...]] = set()
        for rev in target.parents[1:]:
            other = self._evaluated(rev)
            ops = _operations(other.state, state, None)
            seen = self._judge(Transition(state, other.state, resolution, other.resolution, ops, commit), state)[0]
            known.update(key for key in findings if key in other.findings or key not in seen)
        return frozenset(known)

    def _result(self, target: Target, parent: Evaluated, ev: Evaluated, ops: dict[ResourceKey, str],
                changed_files: set[str], known: frozenset[tuple[str, ...]] = frozenset(),
                dirty: set[ResourceKey] | None = None) -> CommitResult:
        """List the new findings and those on changed objects; count the rest; pass or fail.

        Works on key sets rather than walking every finding of the state, so a
        commit's cost does not grow with the findings the repository already had.
        """
        findings = ev.findings
        volatile = _volatile(parent, ev, dirty)
        if volatile is None:
            new_keys = findings.keys() - parent.findings.keys() - known
        else:  # a key that is not volatile is the parent's
            new_keys = {k for k in volatile if k in findings and k not in parent.findings and k not in known}
        on_changed = set(_keys_on_changed(ev, ops, changed_files))
        # Kept for every commit (not only those that need it), so each is patched from its parent's.
        # A finding that fails the commit is listed, wherever it stands: a failing commit shows why.
        alarms = self._alarms(parent, ev, volatile)
        listed_keys = new_keys | on_changed | alarms
        failing = {k for k in listed_keys
                   if verdict.fails(findings[k], k in new_keys, self.fail_on)}
        shown = [findings[k].located(k in new_keys, k in failing) for k in listed_keys]
        # A file that could not be read before the change and still cannot: the change is not failed for
        # it, and a warning says that what it wrote there was not checked.
        unchecked = [self._unchecked(f, target.parent) for f in shown
                     if target.parent is not None and not f.new and f.file in changed_files and unreadable(f)]
        listed = sorted([*shown, *unchecked], key=_order)
        everything = None
        if self.list_all:
            everything = tuple(sorted([*(f.located(k in new_keys, k in failing) for k, f in findings.items()),
                                       *unchecked], key=_order))
        return CommitResult(
            commit=target.id, parent=target.parent, subject=target.subject,
            result=FAIL if failing else PASS, findings=tuple(listed), preexisting=len(findings) - len(listed_keys),
            changes=_count(ops), added_suppressions=_added_suppressions(parent.state, ev.state, ops),
            all_findings=everything,
        )


    def _unchecked(self, f: Finding, parent: str) -> Finding:
        return unchecked_finding(f, self.broken_since(f.file, parent) if self.broken_since is not None else "")

    def _alarming(self, f: Finding) -> bool:
        """Whether f fails any commit that holds it, new or not (so it is listed wherever it stands)."""
        return verdict.fails(f, False, self.fail_on)

    def _alarms(self, parent: Evaluated, ev: Evaluated,
                volatile: set[tuple[str, ...]] | None) -> set[tuple[str, ...]]:
        """`ev.alarms`, patched from the parent's where findings may differ from it."""
        if ev.alarms is not None:
            return ev.alarms
        findings = ev.findings
        if volatile is None or parent.alarms is None:
            ev.alarms = {k for k, f in findings.items() if self._alarming(f)}
            return ev.alarms
        alarms = {k for k in parent.alarms if k not in volatile}
        alarms.update(k for k in volatile if k in findings and self._alarming(findings[k]))
        ev.alarms = alarms
        return alarms


def _volatile(parent: Evaluated, ev: Evaluated, dirty: set[ResourceKey] | None) -> set[tuple[str, ...]] | None:
    """Keys whose finding may differ between the parent's and ev's (None: any of them).

    The findings of an object that is not dirty are carried from the parent as they are;
    the rest are those of dirty objects and those made anew every time (`extra`).
    """
    if dirty is None or parent.extra is None or ev.extra is None:
        return None
    out: set[tuple[str, ...]] = {f.key for k in dirty for f in (*parent.by_resource.get(k, ()),
                                                              *ev.by_resource.get(k, ()))}
    out.update(parent.extra)
    out.update(ev.extra)
    return out


def _order(f: Finding) -> tuple[str, int, str, str, tuple[str, ...]]:
    return (f.file, f.line, f.policy, f.message, f.key)


def _keys_on_changed(ev: Evaluated, ops: dict[ResourceKey, str], changed_files: set[str]) -> list[tuple[str, ...]]:
    """Keys of the findings on objects the commit changed, and on files it changed (loader diagnostics).

    Per-resource findings are looked up by object; only the rest (loader
    diagnostics, deletions, policies that read the whole state) are scanned.
    """
    out: list[tuple[str, ...]] = [f.key for k in ops for f in ev.by_resource.get(k, ())]
    rest = ev.extra if ev.extra is not None else ev.findings.keys() - ev.local.keys() if ev.local is not None \
        else ev.findings.keys()
    for k in rest:
        f = ev.findings[k]
        r = f.resource
        if (f.file in changed_files) if r is None or f.on_file else ((r.group, r.kind, r.namespace, r.name) in ops):
            out.append(k)
    return out


def _differing(old: Resolution, new: Resolution) -> set[ResourceKey]:
    """Routes whose predicted facts differ between two resolutions (compared by value)."""
    out = {k for k, v in new.routes.items() if old.routes.get(k) != v}
    out |= {k for k, v in new.backends.items() if old.backends.get(k) != v}
    issues_old: dict[ResourceKey, list[object]] = {}
    issues_new: dict[ResourceKey, list[object]] = {}
    for v in old.validation:
        issues_old.setdefault(v.key, []).append(v)
    for v in new.validation:
        issues_new.setdefault(v.key, []).append(v)
    out |= {k for k in issues_old.keys() | issues_new.keys() if issues_old.get(k) != issues_new.get(k)}
    return out


def _deleted(ops: dict[ResourceKey, str]) -> list[ResourceKey]:
    return [k for k, op in ops.items() if op == "delete"]


def _count(ops: dict[ResourceKey, str]) -> dict[str, int]:
    out = {"created": 0, "updated": 0, "deleted": 0}
    for op in ops.values():
        out[{"create": "created", "update": "updated", "delete": "deleted"}[op]] += 1
    return out


def _operations(old: State, new: State, changed_files: set[str] | None) -> dict[ResourceKey, str]:
    """create / update / delete per object; moving a manifest between files is no change."""
    if changed_files is None:
        keys = set(old.resources) | set(new.resources)
    else:
        keys = set()
        for state in (old, new):
            for path in changed_files:
                entry = state.files.get(path)
                if entry is not None:
                    keys.update(r.key for r in entry.resources)
    ops: dict[ResourceKey, str] = {}
    for key in keys:
        o, n = old.get(key), new.get(key)
        if o is None and n is not None:
            ops[key] = "create"
        elif n is None and o is not None:
            ops[key] = "delete"
        elif o is not None and n is not None and o.body is not n.body and o.body != n.body:
            ops[key] = "update"
    return ops


def _diagnostic_finding(d: Diagnostic) -> Finding:
    ref = d.message.split(" is already defined")[0] if d.id == DUPLICATE else (d.ref or d.id)
    return Finding(d.file, d.line, d.id, d.message, d.severity, d.resource, "none", ref)


def _added_suppressions(old: State, new: State, ops: dict[ResourceKey, str]) -> tuple[Suppression, ...]:
    out = []
    for key, op in sorted(ops.items()):
        if op == "delete":
            continue
        res = new.get(key)
        if res is None:
            continue
        now, reason = suppressed_policies(res)
        before: set[str] = set()
        if op == "update":
            prev = old.get(key)
            before = suppressed_policies(prev)[0] if prev else set()
        added = now - before
        if added:
            out.append(Suppression(res.file, res.line_of("metadata", "annotations"), ref_of(res),
                                   tuple(sorted(added)), reason))
    return tuple(out)
