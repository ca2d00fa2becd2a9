"""Entry points of a GitOps repository, and where each manifest file is deployed.

A *scope* is one thing that deploys manifests: a Flux `Kustomization` (its
`spec.path`, `targetNamespace` and `postBuild.substitute`), an Argo CD
`Application` (`spec.source.path`, `destination.namespace`), a folder declared
under `scopes:` in `.policycheck.yaml`, or a kustomization no other one
includes (what a user would `kustomize build`).

How scopes map onto the state: a file is *placed* once per scope that deploys
it, and each placement yields the file's objects with the namespace (and
variables) that scope gives them. All placements share one state, keyed as
before by (group, kind, namespace, name): the same object deployed by two
scopes with the same namespace is one object, not a duplicate, and a base
deployed into two namespaces gives two objects. Keeping one state keeps every
key, finding and report free of scope names; the price is that references
resolve across scopes (a route of one cluster may find its parent in another
cluster). Judging each scope as a separate state is not done.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policycheck.gitops.kustomize import Tree
from policycheck.model import Resource

FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
ARGO = "argoproj.io"


@dataclass(frozen=True, order=True)
class Placement:
    """How one scope deploys one file."""

    scope: str
    override: str | None = None  # replaces metadata.namespace (kustomize namespace:, Flux targetNamespace)
    fallback: str | None = None  # for objects without one (Argo CD destination.namespace)
    variables: tuple[tuple[str, str], ...] = ()  # Flux postBuild.substitute, literal values only


@dataclass(frozen=True)
class Root:
    """One scope's entry folder."""

    scope: str
    folder: str
    override: str | None = None
    fallback: str | None = None
    variables: tuple[tuple[str, str], ...] = ()
    recurse: bool = True  # for a folder without kustomization


Plan = dict[str, tuple[Placement, ...]]


def _clean(path: Any) -> str | None:
    if not isinstance(path, str):
        return None
    norm = posixpath.normpath(path.strip().lstrip("/"))
    return "" if norm == "." else norm


def _cluster_of(file: str, fallback: str) -> str:
    parts = file.split("/")
    if len(parts) > 2 and parts[0] == "clusters":
        return f"clusters/{parts[1]}"
    return fallback


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def flux_roots(resources: Iterable[Resource], configmaps: dict[tuple[str, str], dict[str, str]]) -> list[Root]:
    roots = []
    for res in resources:
        if res.key.group != FLUX_KUSTOMIZE or res.key.kind != "Kustomization":
            continue
        folder = _clean(res.spec.get("path", "")) or ""
        variables: dict[str, str] = {}
        post = res.spec.get("postBuild")
        if isinstance(post, dict):
            for ref in post.get("substituteFrom") or []:
                if isinstance(ref, dict) and ref.get("kind") == "ConfigMap" and isinstance(ref.get("name"), str):
                    variables.update(configmaps.get((res.key.namespace, ref["name"]), {}))
            sub = post.get("substitute")
            if isinstance(sub, dict):  # substitute wins over substituteFrom, as Flux applies it
                variables.update({str(k): str(v) for k, v in sub.items() if v is not None})
        scope = _cluster_of(res.file, f"flux:{res.key.namespace}/{res.key.name}")
        roots.append(Root(scope, folder, _str(res.spec.get("targetNamespace")), None,
                          tuple(sorted(variables.items()))))
    return roots


def argo_roots(resources: Iterable[Resource]) -> list[Root]:
    roots = []
    for res in resources:
        if res.key.group != ARGO or res.key.kind != "Application":
            continue
        dest = res.spec.get("destination")
        ns = _str(dest.get("namespace")) if isinstance(dest, dict) else None
        sources = res.spec.get("sources")
        sources = sources if isinstance(sources, list) else [res.spec.get("source")]
        for src in sources:
            if not isinstance(src, dict) or src.get("chart") is not None:
                continue
            folder = _clean(src.get("path"))
            if folder is None:
                continue
            directory = src.get("directory")
            recurse = bool(directory.get("recurse")) if isinstance(directory, dict) else False
            roots.append(Root(f"argocd:{res.key.name}", folder, None, ns, (), recurse))
    return roots


def declared_roots(scopes: Iterable[Any]) -> list[Root]:
    roots = []
    for item in scopes:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            name = _str(item.get("name")) or item["path"]
            roots.append(Root(name, _clean(item["path"]) or "", _str(item.get("namespace"))))
    return roots


def discovery_enabled(scopes: Iterable[Any]) -> bool:
    return not any(isinstance(item, dict) and item.get("discover") is False for item in scopes)


def plan(tree: Tree, roots: list[Root], discover: bool = True) -> Plan:
    """Placements of every file some scope deploys; files no scope reaches are absent."""
    out: dict[str, set[Placement]] = {}
    covered: set[str] = set()
    all_roots = list(roots)
    if discover:
        inner = tree.included()
        reached = {r.folder for r in roots}
        for r in roots:
            covered |= {f for f in tree.by_folder if _inside(f, r.folder)} if r.folder not in tree.by_folder else set()
        for folder in sorted(tree.by_folder):
            if folder not in inner and folder not in reached and folder not in covered:
                all_roots.append(Root(folder or ".", folder))
    for root in all_roots:
        for file, ns in _files(tree, root):
            placement = Placement(root.scope, ns or root.override, root.fallback, root.variables)
            out.setdefault(file, set()).add(placement)
    return {f: tuple(sorted(p)) for f, p in out.items()}


def _inside(folder: str, top: str) -> bool:
    return top == "" or folder == top or folder.startswith(top + "/")


def _files(tree: Tree, root: Root) -> list[tuple[str, str | None]]:
    if root.folder in tree.by_folder:
        return [(f, root.override or ns) for f, ns in tree.build(root.folder)]
    out: list[tuple[str, str | None]] = [(f, root.override) for f in tree.folder_files(root.folder, root.recurse)]
    if root.recurse:  # sub-folders with their own kustomization are built and included
        for folder in sorted(tree.by_folder):
            if _inside(folder, root.folder) and folder != root.folder and not _nested_in_kust(tree, folder, root):
                out += [(f, root.override or ns) for f, ns in tree.build(folder)]
    return out


def _nested_in_kust(tree: Tree, folder: str, root: Root) -> bool:
    """Whether a kustomization sits between the root and this folder (then it is reached through that one)."""
    parent = posixpath.dirname(folder)
    while parent and _inside(parent, root.folder) and parent != root.folder:
        if parent in tree.by_folder:
            return True
        parent = posixpath.dirname(parent)
    return False
