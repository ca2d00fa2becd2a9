"""What could create objects the repository does not show, and the presence oracle.

Helm charts create Services, Gateways and more at deploy time: a Flux
`HelmRelease`, an Argo CD `Application` with a chart, or a kustomization's
`helmCharts`. When a reference names an object no manifest defines, the
oracle explains the absence, in this order:

1. `external`: `.policycheck.yaml` declares it under `externalParents` (globs);
2. `unknown`: its name or namespace still holds a `${VAR}` with no literal value, or a
   Helm template expression (`{{ ... }}`) that chart values hold (the chart renders it);
3. `missing`: an earlier state of this run defined it (it was deleted);
4. `unknown`: a generator deploys into that namespace (named in the reason), even when
   plain objects of that kind live there too (a chart's Service beside plain ones);
5. `missing`: objects of that kind in that namespace are plain manifests;
6. `missing`: nothing in the repository could generate it.

"Earlier" is what this run evaluated before: the loader numbers the states it
builds and records the first state each key appeared in, so history before
the first evaluated state is not consulted (`check --history` reads it all).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.gitops.kustomize import Kustomization
from policycheck.gitops.scopes import ARGO
from policycheck.gitops.substitute import helm_expressions, unresolved
from policycheck.model import ResourceKey
from policycheck.state import State
from policycheck.status import EXTERNAL, MISSING, UNKNOWN_PRESENCE, Presence

FLUX_HELM = "helm.toolkit.fluxcd.io"


@dataclass(frozen=True)
class Generator:
    """Something that renders objects into a namespace at deploy time."""

    what: str  # e.g. "HelmRelease flux-system/podinfo"
    namespace: str


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def generators(state: State, kustomizations: Iterable[Kustomization] = ()) -> dict[str, list[str]]:
    """Namespace -> descriptions of the generators deploying into it."""
    out: dict[str, list[str]] = {}
    for res in state.of_kind(FLUX_HELM, "HelmRelease"):
        ns = _str(res.spec.get("targetNamespace")) or res.key.namespace
        out.setdefault(ns, []).append(f"HelmRelease {res.key.namespace}/{res.key.name}")
    for res in state.of_kind(ARGO, "Application"):
        sources = res.spec.get("sources")
        sources = sources if isinstance(sources, list) else [res.spec.get("source")]
        if not any(isinstance(s, dict) and (s.get("chart") is not None or isinstance(s.get("helm"), dict))
                   for s in sources):
            continue
        dest = res.spec.get("destination")
        ns = (_str(dest.get("namespace")) if isinstance(dest, dict) else None) or res.key.namespace
        out.setdefault(ns, []).append(f"Argo CD Application {res.key.name}")
    for k in kustomizations:
        for chart in k.helm_charts:
            ns = _str(chart.get("namespace")) or k.namespace or "default"
            out.setdefault(ns, []).append(f"helmCharts {chart.get('name', '?')} in {k.path}")
    return out


def chart_expressions(state: State) -> set[str]:
    """The Helm template expressions chart values hold (a HelmRelease's `spec.values`, an Argo CD
    Application's `helm`, an ApplicationSet's template): only there does `{{ ... }}` stand for what
    the chart renders. The same text in any other string is a name like any other."""
    roots: list[Any] = [res.spec.get("values") for res in state.of_kind(FLUX_HELM, "HelmRelease")]
    for res in state.of_kind(ARGO, "Application"):
        sources = res.spec.get("sources")
        for source in [*(sources if isinstance(sources, list) else ()), res.spec.get("source")]:
            if isinstance(source, dict):
                roots.append(source.get("helm"))
    roots += [res.spec.get("template") for res in state.of_kind(ARGO, "ApplicationSet")]
    found: set[str] = set()
    while roots:
        node = roots.pop()
        if isinstance(node, str):
            found.update(helm_expressions(node))
        elif isinstance(node, dict):
            roots.extend(node.values())
        elif isinstance(node, list):
            roots.extend(node)
    return found


def matches_external(key: ResourceKey, patterns: Iterable[Mapping[str, str]]) -> bool:
    for p in patterns:
        if not fnmatch.fnmatchcase(key.kind, p.get("kind", "*")):
            continue
        group = p.get("group")
        if group is not None and not fnmatch.fnmatchcase(key.group, "" if group == "core" else group):
            continue
        if not fnmatch.fnmatchcase(key.namespace, p.get("namespace", "*")):
            continue
        if fnmatch.fnmatchcase(key.name, p.get("name", "*")):
            return True
    return False


class Absence:
    """The presence oracle of one state (bound after the state is built)."""

    def __init__(self, external: tuple[Mapping[str, str], ...], first_seen: Mapping[ResourceKey, int],
                 generation: int, kustomizations: tuple[Kustomization, ...] = ()) -> None:
        self.external = external
        self.first_seen = first_seen
        self.generation = generation
        self.kustomizations = kustomizations
        self.state: State | None = None
        self._generators: dict[str, list[str]] | None = None
        self._chart_expressions: set[str] | None = None
        # Namespaces holding plain manifests, per (group, kind): built per kind on demand.
        self._plain: dict[tuple[str, str], set[str]] = {}

    def bind(self, state: State) -> None:
        self.state = state

    def __call__(self, key: ResourceKey) -> Presence:
        if matches_external(key, self.external):
            return Presence(EXTERNAL, "declared external in .policycheck.yaml (externalParents)")
        names = unresolved(key.namespace) + unresolved(key.name)
        if names:
            listed = ", ".join(f"${{{n}}}" for n in dict.fromkeys(names))
            return Presence(UNKNOWN_PRESENCE, f"its name uses {listed}, which has no literal value in the repository")
        templated = helm_expressions(key.namespace) + helm_expressions(key.name)
        if templated and self.state is not None and self._chart_expressions is None:
            self._chart_expressions = chart_expressions(self.state)
        if templated and all(t in (self._chart_expressions or ()) for t in templated):
            return Presence(UNKNOWN_PRESENCE, f"its name holds the Helm template expression {templated[0]}, "
                                              "which the chart renders at deploy time")
        seen = self.first_seen.get(key)
        if seen is not None and seen < self.generation:
            return Presence(MISSING, "it was defined earlier in the evaluated history and has been deleted")
        if self.state is None:
            return Presence(MISSING, "no manifest in the repository defines it")
        plain = self._plain.get((key.group, key.kind))
        if plain is None:
            plain = self._plain[(key.group, key.kind)] = {
                r.key.namespace for r in self.state.of_kind(key.group, key.kind) if r.origin == "manifest"}
        if self._generators is None:
            self._generators = generators(self.state, self.kustomizations)
        assert self._generators is not None
        found = self._generators.get(key.namespace)
        if found:  # a chart may create it beside the plain objects of that kind
            more = f" and {len(found) - 1} more" if len(found) > 1 else ""
            return Presence(UNKNOWN_PRESENCE, f"no manifest defines it, but {found[0]}{more} deploys into "
                                              f"namespace {key.namespace} and may create it")
        if key.namespace in plain:
            return Presence(MISSING, f"the {key.kind} objects of namespace {key.namespace} are plain manifests "
                                     "and none has this name")
        return Presence(MISSING, "no manifest defines it and nothing in the repository could generate it")
