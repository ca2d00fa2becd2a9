"""From a file as parsed to the objects it contributes once placed by its scopes.

A parsed file (`FileEntry`, shared by every commit with that blob) holds its
objects with the namespace they say, or the configured default. Placing it
gives each object the namespace its scope imposes, applies the scope's
variables, and adds the routes extractors lift out of it. The result depends
only on the parsed entry and its placements, so it is cached on those: a
commit that changes neither gets the very same entry (and object bodies)
back, which keeps the change detection and the policy cache cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from policycheck.diagnostics import Diagnostic
from policycheck.gitops.charts import FLUX_HELM, identity
from policycheck.gitops.extractors import ExtractionError, Extractor, extract
from policycheck.gitops.scopes import Placement
from policycheck.gitops.substitute import has_variables, substitute
from policycheck.model import Resource, ResourceKey, is_cluster_scoped, is_route
from policycheck.state import FileEntry

EXTRACTOR_ERROR = "extractor-error"
NOT_DEPLOYED = "not-deployed"
UNPLACED = (Placement(""),)


@dataclass
class Deriver:
    default_namespace: str
    extractors: tuple[Extractor, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()  # `.policycheck.yaml` variables, for every file

    def __post_init__(self) -> None:
        self._cache: dict[tuple[Any, ...], FileEntry] = {}
        # Flux source objects of the state (kind, namespace, name) -> url: what a HelmRelease's chart is.
        self.sources: Mapping[tuple[str, str, str], str] = {}

    def _charts(self, raw: FileEntry) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The chart identity of each HelmRelease of the file (part of what its derivation depends on)."""
        if not self.extractors:
            return ()
        return tuple(tuple(sorted((c or {}).items())) for r in raw.resources if r.key.group == FLUX_HELM
                     for c in (identity(r, self.sources),))

    def derive(self, raw: FileEntry, placements: tuple[Placement, ...] = UNPLACED) -> FileEntry:
        if not raw.resources:
            return raw
        charts = self._charts(raw)
        ck = (raw.path, raw.blob, id(raw), placements, charts) if charts else (raw.path, raw.blob, id(raw), placements)
        hit = self._cache.get(ck)
        if hit is not None:
            return hit
        if placements and placements[0].excluded:
            entry = FileEntry(raw.path, raw.blob, (), raw.diagnostics + _not_deployed(raw, placements[0].excluded))
            self._cache[ck] = entry
            return entry
        out: list[Resource] = []
        seen: set[ResourceKey] = set()
        problems: list[Diagnostic] = []
        for placement in placements:
            variables = dict(self.variables)
            variables.update(placement.variables)
            # An object the file itself writes twice stays twice (the state reports the copy);
            # only what another placement of the file already gave is dropped.
            earlier = set(seen)
            for res in raw.resources:
                placed = self._place(res, placement, variables)
                if placed is None:
                    continue  # a patch of its kustomization deletes it
                if placed.key not in earlier:
                    seen.add(placed.key)
                    out.append(placed)
                for ex in self.extractors:
                    if not ex.applies(placed, identity(placed, self.sources)):
                        continue
                    try:
                        lifted = extract(ex, placed)
                    except ExtractionError as exc:
                        problems.append(Diagnostic(res.file, res.line, EXTRACTOR_ERROR, "error", str(exc)))
                        continue
                    for item in lifted:
                        if item.key not in seen:
                            seen.add(item.key)
                            out.append(item)
        same = len(out) == len(raw.resources) and all(a is b for a, b in zip(out, raw.resources, strict=True))
        if same and not problems:
            entry = raw
        else:
            entry = FileEntry(raw.path, raw.blob, tuple(out), raw.diagnostics + tuple(problems))
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[ck] = entry
        return entry

    def prime(self, raw: FileEntry, placements: tuple[Placement, ...], derived: FileEntry) -> None:
        """Remember what `derive(raw, placements)` gave in an earlier run, so that it gives the same entry."""
        charts = self._charts(raw)
        self._cache[(raw.path, raw.blob, id(raw), placements, charts) if charts
                    else (raw.path, raw.blob, id(raw), placements)] = derived

    def _place(self, res: Resource, placement: Placement, variables: dict[str, str]) -> Resource | None:
        body = res.body
        if placement.steps and res.origin == "manifest":
            from policycheck.build.steps import apply_steps  # loaded only for kustomizations that transform

            stepped = apply_steps(body, placement.steps)
            if stepped is None:
                return None
            body = stepped
        if variables and has_variables(body):
            body = substitute(body, variables)
        key = res.key
        if key.group == "" and key.kind == "Namespace" and placement.override and key.name != placement.override:
            # kustomize's namespace transformer (and Flux's targetNamespace) renames Namespace objects.
            body = {**body, "metadata": {**(body.get("metadata") or {}), "name": placement.override}}
            key = key._replace(name=placement.override)
        elif body is not res.body and is_cluster_scoped(key.group, key.kind):
            md = body.get("metadata")
            name = md.get("name") if isinstance(md, dict) else None
            key = key._replace(name=name if isinstance(name, str) and name else key.name)
        if not is_cluster_scoped(key.group, key.kind):
            md = body.get("metadata")
            written = md.get("namespace") if isinstance(md, dict) else None
            written = written if isinstance(written, str) and written else None
            ns = placement.override or written or placement.fallback or self.default_namespace
            name = md.get("name") if isinstance(md, dict) else None
            key = ResourceKey(key.group, key.kind, ns, name if isinstance(name, str) and name else key.name)
        if key == res.key and body is res.body:
            return res
        return replace(res, key=key, body=body)


def _not_deployed(raw: FileEntry, reason: str) -> tuple[Diagnostic, ...]:
    """The note on a route file nothing deploys (its objects are in no state); other files go silently."""
    routes = [r for r in raw.resources if is_route(r.key.group, r.key.kind)]
    if not routes:
        return ()
    return (Diagnostic(raw.path, routes[0].line, NOT_DEPLOYED, "info", reason),)
