"""Turning the parsed files of one state into the objects a GitOps deployment creates.

The loader hands over every parsed file of a state (by path) and the
kustomization files among them; this module finds the scopes, places each
file (namespace, variables), lifts embedded routes, and attaches the presence
oracle. The plan of placements is recomputed only when something it depends
on changes (the listing, a kustomization, a Flux Kustomization, an Argo CD
Application, or a ConfigMap where a Flux Kustomization may substitute from it),
so an ordinary commit costs what it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from policycheck.config import Config
from policycheck.gitops.derive import UNPLACED, Deriver
from policycheck.gitops.extractors import configured
from policycheck.gitops.generators import Absence
from policycheck.gitops.kustomize import Kustomization, Tree, is_kustomization, parse_kustomization
from policycheck.gitops.repository import UNNAMED, Decision
from policycheck.gitops.scopes import (
    FLUX_KUSTOMIZE,
    ROOT_KINDS,
    Plan,
    Root,
    argo_roots,
    chains,
    cluster_of_path,
    declared_roots,
    deploying_here,
    discovery_enabled,
    flux_roots,
    plan,
    source_urls,
)
from policycheck.model import Resource, ResourceKey
from policycheck.overlay import Overlay
from policycheck.state import FileEntry, State

_FLUX = (FLUX_KUSTOMIZE, "Kustomization")
_CONFIGMAP = ("", "ConfigMap")
_INPUT_KINDS = {*ROOT_KINDS, _CONFIGMAP}
# States whose making is remembered: a run builds a commit, then its parent, then
# derives the next state from the commit, so the last one alone is not enough.
_RECENT = 4


@dataclass(frozen=True)
class Memory:
    """What deriving a child of `state` from the files that changed needs to know of it."""

    state: State
    raw: Mapping[str, FileEntry]  # the files as parsed (before placement), by path
    kusts: tuple[Kustomization, ...]  # its kustomizations, in path order; the plan was made from them
    inputs: dict[str, str]  # path -> blob of every file the plan reads
    plan: Plan
    # The inputs holding a Flux Kustomization: without any, the plan reads no ConfigMap.
    fluxes: frozenset[str] = frozenset()


class Layout:
    """Per-run memory of kustomizations, plans and the keys seen so far."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.discover = discovery_enabled(config.scopes)
        self.deriver = Deriver(config.default_namespace, tuple(configured(config.extractors, config.source or
                                                                          ".policycheck.yaml")),
                               tuple(sorted((str(k), str(v)) for k, v in config.variables.items())))
        self._kust: dict[tuple[str, str], Kustomization] = {}
        self._plan_key: Any = None
        self._plan: Plan = {}
        self._kusts: tuple[Kustomization, ...] = ()
        self._inputs: dict[int, bool] = {}
        self.first_seen: dict[ResourceKey, int] = {}
        self.generation = 0
        # The cluster judged on its own (placements of other clusters are left out), and every
        # cluster label the plans of this run have shown.
        self.unit = config.unit
        self.clusters: set[str] = set()
        self._recent: list[Memory] = []
        # Which URL is this repository's, and the rule that decided; the roots and the tree the last
        # plan was made from (for `inventory`).
        self.repository = Decision(frozenset(), UNNAMED)
        self.roots: list[Root] = []
        self.plan_made: Plan = {}
        # Reads a blob (set by the loader when it reads Git objects): with it, Flux Kustomizations a
        # kustomization emits are read as built (namespace, patches, replacements); without, as written.
        self.blob_reader: Callable[[str], bytes] | None = None
        self.tree = Tree(frozenset(), {})
        self._unprimed: Memory | None = None

    def kustomization(self, path: str, blob: str, read: Callable[[], bytes]) -> Kustomization:
        hit = self._kust.get((path, blob))
        if hit is None:
            hit = self._kust[(path, blob)] = parse_kustomization(path, read())
        return hit

    def _is_input(self, entry: FileEntry) -> bool:
        hit = self._inputs.get(id(entry))
        if hit is None:
            hit = any((r.key.group, r.key.kind) in _INPUT_KINDS for r in entry.resources)
            if len(self._inputs) > 200_000:
                self._inputs.clear()
            self._inputs[id(entry)] = hit
        return hit

    def _current_plan(self, raw: dict[str, FileEntry], kusts: list[Kustomization]) -> Plan:
        inputs = tuple((p, e.blob) for p, e in sorted(raw.items()) if self._is_input(e))
        return self._plan_for(raw, kusts, inputs)

    def _plan_for(self, raw: dict[str, FileEntry], kusts: list[Kustomization],
                  inputs: tuple[tuple[str, str], ...]) -> Plan:
        key = (frozenset(raw), tuple((k.path, id(k)) for k in kusts), inputs)
        if key == self._plan_key:
            return self._plan
        resources = [r for p, _ in inputs for r in raw[p].resources]
        configmaps: dict[tuple[str, str], dict[str, str]] = {}
        for r in resources:
            data = r.body.get("data")
            if r.key.kind == "ConfigMap" and isinstance(data, dict):
                configmaps[(r.key.namespace, r.key.name)] = {str(k): str(v) for k, v in data.items()}
        roots = declared_roots(self.config.scopes)
        tree = Tree.of(raw, kusts)
        if self.discover and kusts and self.blob_reader is not None:
            resources = as_built(resources, tree, raw, self.blob_reader)
        sources = source_urls(resources)
        self.deriver.sources = sources
        if self.discover:
            found, self.repository = deploying_here(flux_roots(resources, configmaps, sources)
                                                    + argo_roots(resources, frozenset(raw)),
                                                    self.config.repo_urls, self.config.remotes, sources)
            roots += found
        self.roots, self.tree = roots, tree
        full = plan(tree, roots, self.discover) if (roots or kusts) else {}
        self._note_clusters(full)
        self.plan_made = full
        self._plan = full if self.unit is None else for_unit(full, raw, self.unit)
        self._plan_key = key
        self._kusts = tuple(kusts)
        return self._plan

    def build(self, raw: dict[str, FileEntry], kusts: list[Kustomization]) -> State:
        """The state of these parsed files (path -> entry), placed and with its oracle."""
        placements = self._current_plan(raw, kusts)
        self._prime_deriver()
        entries = [self.deriver.derive(e, placements.get(p, UNPLACED)) for p, e in sorted(raw.items())]
        self.generation += 1
        oracle = Absence(tuple(self.config.external_parents), self.first_seen, self.generation, self._kusts)
        state = State.from_files(entries, absence=oracle)
        oracle.bind(state)
        for key in state.resources:
            self.first_seen.setdefault(key, self.generation)
        self._remember(raw, kusts, state)
        return state

    def _remember(self, raw: dict[str, FileEntry], kusts: list[Kustomization], state: State) -> None:
        inputs = self._inputs_of(raw)
        fluxes = frozenset(p for p in inputs if _has_flux(raw[p]))
        self._keep(Memory(state, raw, tuple(kusts), inputs, self._plan, fluxes))

    def _keep(self, memory: Memory) -> None:
        self._recent = [memory, *self._recent[:_RECENT - 1]]

    def memory_of(self, state: State) -> Memory | None:
        """How `state` was made, while it is among the last states built or derived."""
        return next((m for m in self._recent if m.state is state), None)

    def prime(self, memory: Memory, first_seen: dict[ResourceKey, int], generation: int,
              kust_blobs: dict[str, str]) -> None:
        """Continue from a state made by an earlier run (a snapshot), as if this run had just built it.

        `first_seen` and `generation` are those of the run that made it, so the presence
        oracle of every state derived from here answers as in that run.
        """
        self.first_seen = first_seen
        self.generation = generation
        for k in memory.kusts:
            self._kust[(k.path, kust_blobs[k.path])] = k
        inputs = tuple(sorted(memory.inputs.items()))
        self._plan_key = (frozenset(memory.raw), tuple((k.path, id(k)) for k in memory.kusts), inputs)
        self._plan, self._kusts = memory.plan, memory.kusts
        self.deriver.sources = source_urls(r for p in memory.inputs for r in memory.raw[p].resources)
        self._note_clusters(memory.plan)
        self._unprimed = memory  # the deriver learns its entries only if every file is placed again
        self._keep(memory)

    def forget_states(self) -> None:
        """Forget which keys earlier states had (in place: the oracles made from this layout share it),
        so the state derived last calls no missing parent "deleted earlier"."""
        self.first_seen.clear()

    def judged_first(self, state: State, parent: State) -> None:
        """Remember `state` and its parent as a run that built `state` first and its parent next does
        (generations 1 and 2), whatever this run built before: a commit derived from its parent's
        snapshot then answers presence questions as the run that judges it from scratch."""
        first_seen = self.first_seen  # in place: the oracles made from this layout share it
        first_seen.clear()
        first_seen.update(dict.fromkeys(state.resources, 1))
        for key in parent.resources:
            first_seen.setdefault(key, 2)
        for made, generation in ((state, 1), (parent, 2)):
            memory = self.memory_of(made)
            oracle = Absence(tuple(self.config.external_parents), first_seen, generation,
                             memory.kusts if memory is not None else ())
            made.absence = oracle
            oracle.bind(made)
        self.generation = 2

    def _prime_deriver(self) -> None:
        """Make `derive` give the primed state's own entries back (its files are then no change)."""
        memory, self._unprimed = self._unprimed, None
        if memory is not None:
            for path, entry in memory.raw.items():
                if entry.resources:
                    self.deriver.prime(entry, memory.plan.get(path, UNPLACED), memory.state.files[path])

    def _note_clusters(self, placements: Plan) -> None:
        if placements:
            self.clusters.update(p.cluster for ps in placements.values() for p in ps if p.cluster is not None)


    def _inputs_of(self, raw: dict[str, FileEntry]) -> dict[str, str]:
        return {p: e.blob for p, e in raw.items() if self._is_input(e)}

    def evolve(self, parent: State, removed: set[str], added: dict[str, FileEntry],
               kust_of: Callable[[str, str], Kustomization | None]) -> tuple[State, set[str]] | None:
        """The child of a state built or derived lately, from the files that changed; None when unknown.

        When neither the listing nor any input of the plan (kustomizations, Flux
        and Argo CD objects, ConfigMaps) changed, the placements are the parent's,
        and only the changed files are placed again. Returns the state and the
        paths whose objects changed although their blob did not.
        """
        last = self.memory_of(parent)
        if last is None:
            return None
        old_raw, old_kusts, old_inputs = last.raw, list(last.kusts), last.inputs
        raw = Overlay.of(old_raw).derive(added, removed)  # shares the parent's map: no copy per commit
        listing_changed = any(p not in old_raw for p in added) or any(p in old_raw for p in removed)
        inputs = old_inputs
        if any(p in old_inputs for p in removed) or any(p in old_inputs or self._is_input(e) for p, e in added.items()):
            inputs = dict(old_inputs)
            for path in removed:
                inputs.pop(path, None)
            for path, entry in added.items():
                inputs.pop(path, None)
                if self._is_input(entry):
                    inputs[path] = entry.blob
        fluxes = last.fluxes
        inputs_changed = False
        if inputs is not old_inputs and inputs != old_inputs:
            changed = [p for p in (*removed, *added) if p in old_inputs or p in inputs]
            fluxes = fluxes.difference(changed).union(p for p in changed if p in inputs and _has_flux(added[p]))
            # ConfigMaps are read only for the Flux Kustomizations substituting from them: a repository
            # without any (most) is not planned again for a ConfigMap.
            kinds = {(r.key.group, r.key.kind) for e in (*(old_raw.get(p) for p in changed), *(
                added.get(p) for p in changed)) if e is not None for r in e.resources}
            inputs_changed = bool(fluxes or last.fluxes or kinds & (_INPUT_KINDS - {_CONFIGMAP}))
        kusts_changed = any(is_kustomization(p) for p in (*removed, *added))
        plan_may_change = kusts_changed or inputs_changed or (
            listing_changed and (bool(last.plan) or self.unit is not None))
        if plan_may_change:
            kusts = [k for k in (kust_of(p, e.blob) for p, e in sorted(raw.items())) if k is not None]
            placements = self._plan_for(dict(raw), kusts, tuple(sorted(inputs.items())))
            self._prime_deriver()
            entries = {p: self.deriver.derive(e, placements.get(p, UNPLACED)) for p, e in raw.items()}
            swap = [e for p, e in entries.items() if parent.files.get(p) is not e]
            gone = [p for p in parent.files if p not in entries]
        else:
            kusts = old_kusts
            placements = last.plan
            if self._unprimed is not None and any(self._unprimed.raw.get(p) is e for p, e in added.items()):
                self._prime_deriver()  # a file put back as it was: derived as it was
            swap = [self.deriver.derive(e, placements.get(p, UNPLACED)) for p, e in added.items()]
            gone = [p for p in removed if p not in added]
        plan_kusts = self._kusts if plan_may_change else last.kusts
        self.generation += 1
        oracle = Absence(tuple(self.config.external_parents), self.first_seen, self.generation, plan_kusts)
        state = parent.evolve(gone, swap)
        state.absence = oracle
        oracle.bind(state)
        for entry in swap:
            for res in entry.resources:
                self.first_seen.setdefault(res.key, self.generation)
        rederived = {e.path for e in swap if e.path in parent.files and parent.files[e.path].blob == e.blob}
        self._keep(Memory(state, raw, tuple(kusts), inputs, placements, fluxes))
        return state, rederived



def deployed_by(layout: Layout) -> dict[str, tuple[str, ...]]:
    """File -> the chain deploying it (root, kustomizations, file), as of the last plan made."""
    roots = layout.roots
    if not roots and layout.discover:
        inner = layout.tree.included()
        roots = [Root(folder or ".", folder) for folder in sorted(layout.tree.by_folder) if folder not in inner]
    return chains(layout.tree, roots)


def not_deployed(layout: Layout, raw: Mapping[str, FileEntry]) -> list[tuple[str, str]]:
    """(file, why) of every file with objects that the last plan leaves out."""
    out = []
    for path, placements in sorted(layout.plan_made.items()):
        entry = raw.get(path)
        if placements and placements[0].excluded and entry is not None and entry.resources:
            out.append((path, placements[0].excluded.removeprefix("not deployed: ")))
    return out


def as_built(resources: list[Resource], tree: Tree, raw: Mapping[str, FileEntry],
             read: Callable[[str], bytes]) -> list[Resource]:
    """The Flux Kustomizations among `resources` as the kustomization emitting them builds them.

    A namespace's kustomization often sets its Flux Kustomizations' `targetNamespace` by a
    `replacements` entry from its Namespace, or patches them all: what Flux applies is the
    built object. Each kustomization no other includes that lists a file holding one is built
    (one build per plan); an object the build does not emit, or a build that fails, stays as written.
    """
    from policycheck.build.files import TreeFiles
    from policycheck.build.kustomize import Builder
    from policycheck.errors import PolicycheckError

    holders = {r.file for r in resources if (r.key.group, r.key.kind) == _FLUX}
    if not holders:
        return resources
    inner = tree.included()
    tops = [f for f in sorted(tree.by_folder) if f not in inner
            and any(file in holders for file, _ in tree.build(f))]
    if not tops:
        return resources

    def read_path(path: str) -> bytes | None:
        entry = raw.get(path)
        if entry is None:
            return None
        try:
            return read(entry.blob)
        except PolicycheckError:
            return None

    builder = Builder(TreeFiles(raw, read_path))
    built: dict[tuple[str, int], tuple[str | None, dict[str, Any]]] = {}
    for folder in tops:
        try:
            result = builder.build(folder)
        except (PolicycheckError, RecursionError, ValueError, TypeError, KeyError):
            continue
        for obj in result.objects:
            if obj.file in holders and obj.kind == "Kustomization" and not obj.unknown:
                built.setdefault((obj.file, obj.doc_index), (obj.namespace, obj.body))
    out = []
    for r in resources:
        hit = built.get((r.file, r.doc_index)) if (r.key.group, r.key.kind) == _FLUX else None
        if hit is not None and isinstance(hit[1].get("spec"), dict):
            ns, body = hit
            r = replace(r, key=r.key._replace(namespace=ns or r.key.namespace), body=body)
        out.append(r)
    return out


def _has_flux(entry: FileEntry) -> bool:
    return any((r.key.group, r.key.kind) == _FLUX for r in entry.resources)


def for_unit(full: Plan, paths: Iterable[str], unit: str) -> Plan:
    """The plan of one cluster: its placements and the shared ones.

    A file only other clusters deploy is placed nowhere (`()`: its objects are
    absent). In a Flux cluster's unit (`clusters/<name>`), so are the files below
    another cluster's folder that nothing deploys.
    """
    out = {f: tuple(p for p in ps if p.cluster is None or p.cluster == unit) for f, ps in full.items()}
    if unit.startswith("clusters/"):
        for path in paths:
            if path not in out and path.count("/") >= 2 and cluster_of_path(path) not in (None, unit):
                out[path] = ()
    return out
