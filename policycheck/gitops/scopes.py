"""Entry points of a GitOps repository, and where each manifest file is deployed.

A *scope* is one thing that deploys manifests: a Flux `Kustomization` (its
`spec.path`, `targetNamespace` and `postBuild.substitute`), an Argo CD
`Application` (`spec.source.path`, `destination.namespace`), a folder declared
under `scopes:` in `.policycheck.yaml`, or a kustomization no other one
includes (what a user would `kustomize build`).

How scopes map onto the state: a file is *placed* once per scope that deploys
it, and each placement yields the file's objects with the namespace (and
variables) that scope gives them. Within one state, keys are as before
(group, kind, namespace, name): the same object deployed by two scopes with
the same namespace is one object, not a duplicate, and a base deployed into
two namespaces gives two objects. Keys, findings and reports stay free of
scope names.

Clusters: many independent scopes deploy into the same cluster and must see
each other (a plain Kustomize repository's `apps/foo` and `infra/gateway`), so
states are separated by *cluster*, not by scope. A root, and each placement it
makes, carries a cluster label: a Flux Kustomization defined under
`clusters/<name>/` deploys to `clusters/<name>`; an Argo CD Application to its
`destination` (`name` or `server`, the in-cluster address and `in-cluster` being
one); a declared scope to its `cluster:`; a kustomization no other includes to
its `clusters/<name>` folder, or, when it shares a built file with another such
root (overlays of one base), to its folder's last component (`prod`). A Flux
Kustomization or Application with no cluster of its own inherits the clusters
of the roots that deploy the file defining it. Placements without a label are
shared infrastructure. When a run sees two or more labels, each cluster is
judged as its own *unit* (`Layout` with `Config.unit`): its state holds the
placements of that cluster and every unlabelled one; see `gitops.units`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from policycheck.gitops.appsets import expand
from policycheck.gitops.charts import lookup
from policycheck.gitops.kustomize import MANIFEST_SUFFIXES, Tree, is_kustomization
from policycheck.gitops.repository import Decision, decide, normalise
from policycheck.model import Resource

FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
ARGO = "argoproj.io"
IN_CLUSTER = "in-cluster"
_IN_CLUSTER_NAMES = frozenset({IN_CLUSTER, "https://kubernetes.default.svc", "https://kubernetes.default.svc/"})
# Rounds of cluster inheritance (a Flux Kustomization deploying one that deploys one...): deeper chains stay unlabelled.
_MAX_INHERIT = 16


@dataclass(frozen=True)
class Placement:
    """How one scope deploys one file."""

    scope: str
    override: str | None = None  # replaces metadata.namespace (kustomize namespace:, Flux targetNamespace)
    fallback: str | None = None  # for objects without one (Argo CD destination.namespace)
    variables: tuple[tuple[str, str], ...] = ()  # Flux postBuild.substitute, literal values only
    cluster: str | None = None  # the cluster the scope deploys to; None: shared by every cluster
    # Why the file is not deployed at all ("" for a placement that deploys it); such a placement is alone.
    excluded: str = ""
    # What the kustomizations on the way do to each object on its own (policycheck.build.steps), innermost first.
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Root:
    """One scope's entry folder."""

    scope: str
    folder: str
    override: str | None = None
    fallback: str | None = None
    variables: tuple[tuple[str, str], ...] = ()
    recurse: bool = True  # for a folder without kustomization
    cluster: str | None = None
    # The file defining the Flux Kustomization or Argo CD Application (its cluster is inherited
    # from the roots deploying that file when it has none of its own); "" for other roots.
    origin: str = ""
    repo: str | None = None  # the repository it deploys from (normalised URL); None: not said, this one
    bootstrap: bool = False  # a Flux bootstrap (flux-system Kustomization, FluxInstance)


Plan = dict[str, tuple[Placement, ...]]


def _order(p: Placement) -> tuple[Any, ...]:
    """Sort key of placements: None before any text, so that optional fields never compare None with str."""
    return (p.scope, _opt(p.override), _opt(p.fallback), p.variables, _opt(p.cluster), p.excluded, p.steps)


def _opt(value: str | None) -> tuple[bool, str]:
    return (value is not None, value or "")


def _clean(path: Any) -> str | None:
    if not isinstance(path, str):
        return None
    norm = posixpath.normpath(path.strip().lstrip("/"))
    return "" if norm == "." else norm


def cluster_of_path(path: str) -> str | None:
    """`clusters/<name>` for a file or folder below `clusters/<name>/` (a folder may be that one), else None."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] == "clusters" and parts[1]:
        return f"clusters/{parts[1]}"
    return None


def _cluster_of(file: str, fallback: str) -> str:
    parts = file.split("/")
    if len(parts) > 2 and parts[0] == "clusters":
        return f"clusters/{parts[1]}"
    return fallback


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


FLUX_SOURCE = "source.toolkit.fluxcd.io"
FLUX_OPERATOR = "fluxcd.controlplane.io"
SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "HelmRepository", "Bucket"})
# What the plan reads besides kustomizations: the roots and the sources they name.
ROOT_KINDS = frozenset({(FLUX_KUSTOMIZE, "Kustomization"), (ARGO, "Application"), (ARGO, "ApplicationSet"),
                        (FLUX_OPERATOR, "FluxInstance"),
                        *((FLUX_SOURCE, k) for k in SOURCE_KINDS)})
_BOOTSTRAP = "flux-system"


def source_urls(resources: Iterable[Resource]) -> dict[tuple[str, str, str], str]:
    """(kind, namespace, name) -> url of every Flux source object."""
    out = {}
    for res in resources:
        if res.key.group == FLUX_SOURCE and res.key.kind in SOURCE_KINDS:
            url = _str(res.spec.get("url"))
            if url is not None:
                out[(res.key.kind, res.key.namespace, res.key.name)] = url
    return out


def _flux_repo(res: Resource, sources: dict[tuple[str, str, str], str]) -> str | None:
    ref = res.spec.get("sourceRef")
    if not isinstance(ref, dict):
        return None
    kind = _str(ref.get("kind")) or "GitRepository"
    url = lookup(sources, kind, _str(ref.get("namespace")) or res.key.namespace, _str(ref.get("name")) or "")
    return normalise(url) if url is not None else None


def flux_roots(resources: Iterable[Resource], configmaps: dict[tuple[str, str], dict[str, str]],
               sources: dict[tuple[str, str, str], str] | None = None) -> list[Root]:
    roots = []
    for res in resources:
        if res.key.group == FLUX_OPERATOR and res.key.kind == "FluxInstance":
            sync = res.spec.get("sync")
            if isinstance(sync, dict) and isinstance(sync.get("path"), str):
                folder = _clean(sync["path"]) or ""
                url = _str(sync.get("url"))
                roots.append(Root(f"flux:{res.key.namespace}/{res.key.name}", folder,
                                  cluster=cluster_of_path(res.file) or folder or ".", origin=res.file,
                                  repo=normalise(url) if url else None, bootstrap=True))
            continue
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
        cluster = scope if scope.startswith("clusters/") else None
        bootstrap = res.key.name == _BOOTSTRAP
        if bootstrap and cluster is None:  # a bootstrap is a cluster wherever it lives
            cluster = folder or "."
        roots.append(Root(scope, folder, _str(res.spec.get("targetNamespace")), None,
                          tuple(sorted(variables.items())), cluster=cluster, origin=res.file,
                          repo=_flux_repo(res, sources or {}), bootstrap=bootstrap))
    return roots


def argo_cluster(destination: Any) -> str | None:
    """The cluster an Argo CD destination names (`name`, else `server`); the local cluster is `in-cluster`."""
    if not isinstance(destination, dict):
        return None
    named = _str(destination.get("name")) or _str(destination.get("server"))
    if named is None:
        return None
    return IN_CLUSTER if named in _IN_CLUSTER_NAMES else named


def argo_roots(resources: Iterable[Resource], paths: frozenset[str] = frozenset()) -> list[Root]:
    """Roots of Argo CD Applications, and of the Applications ApplicationSets' git generators make
    from the listing `paths` (each root says its repoURL; other repositories' are dropped later)."""
    roots = []
    for res in resources:
        if res.key.group != ARGO:
            continue
        if res.key.kind == "Application":
            roots += application_roots(res.key.name, res.spec, res.file)
        elif res.key.kind == "ApplicationSet":
            for name, spec in expand(res.spec, frozenset(), paths):
                roots += application_roots(name, spec, res.file)
    return roots


def application_roots(name: str, spec: dict[str, Any], origin: str) -> list[Root]:
    """The roots of one Argo CD Application spec: one per source with a path (multi-source included)."""
    dest = spec.get("destination")
    ns = _str(dest.get("namespace")) if isinstance(dest, dict) else None
    cluster = argo_cluster(dest)
    sources = spec.get("sources")
    sources = sources if isinstance(sources, list) else [spec.get("source")]
    roots = []
    for src in sources:
        if not isinstance(src, dict) or src.get("chart") is not None:
            continue
        folder = _clean(src.get("path"))
        if folder is None:
            continue
        directory = src.get("directory")
        recurse = bool(directory.get("recurse")) if isinstance(directory, dict) else False
        url = _str(src.get("repoURL"))
        roots.append(Root(f"argocd:{name}", folder, None, ns, (), recurse, cluster, origin,
                          repo=normalise(url) if url else None))
    return roots


def deploying_here(roots: list[Root], declared: Iterable[str], remotes: Iterable[str],
                   sources: dict[tuple[str, str, str], str]) -> tuple[list[Root], Decision]:
    """The roots that deploy from this repository, and the rule that said which repository this is."""
    boots = [url for (kind, _, name), url in sources.items() if kind == "GitRepository" and name == _BOOTSTRAP]
    boots += [r.repo for r in roots if r.bootstrap and r.repo is not None and r.scope.startswith("flux:")]
    argo = [r for r in roots if r.scope.startswith("argocd:")]
    boots += [r.repo for r in argo if r.repo is not None
              and not any(o.origin != r.origin and _inside(posixpath.dirname(r.origin), o.folder) for o in argo)]
    decision = decide((r.repo for r in roots if r.repo is not None), declared, remotes, boots)
    if not decision.urls:
        return roots, decision
    return [r for r in roots if r.repo is None or r.repo in decision.urls], decision


def declared_roots(scopes: Iterable[Any]) -> list[Root]:
    roots = []
    for item in scopes:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            name = _str(item.get("name")) or item["path"]
            roots.append(Root(name, _clean(item["path"]) or "", _str(item.get("namespace")),
                              cluster=_str(item.get("cluster"))))
    return roots


def discovery_enabled(scopes: Iterable[Any]) -> bool:
    return not any(isinstance(item, dict) and item.get("discover") is False for item in scopes)


def plan(tree: Tree, roots: list[Root], discover: bool = True) -> Plan:
    """Placements of every file some scope deploys, and of the files left out (one `excluded` placement).

    With roots (Flux, Argo CD, declared), a file none reaches is not deployed. Without,
    each kustomization no other includes is a root. Either way, a file inside the folder
    tree of a kustomization is deployed only when reached (that kustomization must list
    it); other files no root reaches are deployed as written when there are no roots
    (absent from the plan), and with `discover: false` nothing is left out.
    """
    out: dict[str, set[Placement]] = {}
    built = _Built(tree)
    live = _live(roots, built)
    dead = {r.folder: r.origin for r in roots if r not in live}
    roots = live
    all_roots = list(roots)
    if discover and not roots:
        inner = tree.included()
        auto = [Root(folder or ".", folder) for folder in sorted(tree.by_folder) if folder not in inner]
        all_roots += _label_auto(auto, built)
    for root in _inherit(_bootstrapped(_entry_points(all_roots, built), built), built):
        steps = built.steps(root)
        for file, ns in built(root):
            placement = Placement(root.scope, ns or root.override, root.fallback, root.variables, root.cluster,
                                  steps=steps.get(file, ()))
            out.setdefault(file, set()).add(placement)
    placed = {f: tuple(sorted(p, key=_order)) for f, p in out.items()}
    if discover:
        placed.update(_left_out(tree, all_roots, placed, rooted=bool(roots) or bool(dead), dead=dead))
    return placed


def _live(roots: list[Root], built: _Built) -> list[Root]:
    """The roots something deploys.

    A Flux Kustomization or Argo CD Application is a root only while its own file is deployed:
    by a live root, or, where no other root reaches that file, by whatever applies it from
    outside the repository (a bootstrap) -- unless the kustomization governing its folder leaves
    it out. Commenting `./app/ks.yaml` out of the parent kustomization switches the whole
    application off, so its folder is no longer deployed either.
    """
    if not any(r.origin for r in roots):
        return roots
    deployers = _deployers(roots, built)
    governing: dict[str, str | None] = {}
    live = {""}  # declared and automatic roots: nothing in the repository deploys them
    for origin in {r.origin for r in roots if r.origin}:
        if deployers.get(origin, set()) <= {origin}:
            folder = _governing(posixpath.dirname(origin), built.tree, governing)
            if folder is None or any(f == origin for f, _ in built(Root(folder, folder))):
                live.add(origin)
    while fresh := {r.origin for r in roots if r.origin not in live and deployers.get(r.origin, set()) & live}:
        live |= fresh
    return [r for r in roots if r.origin in live]


def _deployers(roots: list[Root], built: _Built) -> dict[str, set[str]]:
    """The origins of the roots that build each file ("" for roots no file defines)."""
    found: dict[str, set[str]] = {}
    for r in roots:
        for file, _ in built(r):
            found.setdefault(file, set()).add(r.origin)
    return found


_NO_ROOT = "no Flux Kustomization, Argo CD Application or declared scope of this repository"


def _left_out(tree: Tree, roots: list[Root], placed: Plan, rooted: bool, dead: dict[str, str] | None = None) -> Plan:
    """The manifest files no root reaches that are not deployed, each with why."""
    starts = {r.folder for r in roots}
    for r in roots:
        if r.folder not in tree.by_folder and r.recurse:
            starts |= {f for f in tree.by_folder if _inside(f, r.folder)}
    used = _walked(tree, starts)
    governing: dict[str, str | None] = {}
    out: Plan = {}
    for path in tree.paths:
        if path in placed or not path.endswith(MANIFEST_SUFFIXES) or is_kustomization(path):
            continue
        folder = _governing(posixpath.dirname(path), tree, governing)
        if folder is not None:
            k = tree.by_folder[folder].path
            origin = _deployer(folder, dead or {})
            reason = (f"{k} does not list it" if folder in used
                      else f"{k} is deployed only by {origin}, which is not deployed" if origin
                      else f"{_NO_ROOT} deploys {k}" if rooted else f"nothing builds {k}")
        elif rooted:
            reason = f"{_NO_ROOT} reaches it"
        else:
            continue
        out[path] = (Placement("", excluded=f"not deployed: {reason}"),)
    return out


def _deployer(folder: str, dead: dict[str, str]) -> str | None:
    """The file of a Flux Kustomization or Application that is not deployed and alone would build `folder`."""
    for start, origin in dead.items():
        if origin and (folder == start or _inside(folder, start)):
            return origin
    return None


def _walked(tree: Tree, starts: set[str]) -> set[str]:
    """The kustomization folders a build of these folders goes through."""
    seen: set[str] = set()
    todo = [f for f in starts if f in tree.by_folder]
    while todo:
        folder = todo.pop()
        if folder in seen:
            continue
        seen.add(folder)
        for entry in tree.by_folder[folder].resources:
            target = _target(folder, entry)
            if target is not None and target in tree.by_folder and target not in seen:
                todo.append(target)
    return seen


def _target(folder: str, entry: str) -> str | None:
    """The repository path a kustomization's `resources` entry names; None for a remote one."""
    if "://" in entry or entry.startswith(("github.com/", "git@")):
        return None
    joined = posixpath.normpath(posixpath.join(folder, entry))
    return "" if joined == "." else joined


def chains(tree: Tree, roots: list[Root]) -> dict[str, tuple[str, ...]]:
    """For each file a root deploys, one chain that deploys it: the root (the file defining the Flux
    Kustomization or Argo CD Application, or the declared scope), the kustomizations, the file."""
    out: dict[str, tuple[str, ...]] = {}
    for r in roots:
        head = (r.origin,) if r.origin else (r.scope,) if r.folder not in tree.by_folder else ()
        if r.folder in tree.by_folder:
            _chain(tree, r.folder, head, out, set())
            continue
        for file in tree.folder_files(r.folder, r.recurse):
            out.setdefault(file, (*head, file))
        if r.recurse:
            for folder in sorted(tree.by_folder):
                if _inside(folder, r.folder) and folder != r.folder and not _nested_in_kust(tree, folder, r):
                    _chain(tree, folder, head, out, set())
    return out


def _chain(tree: Tree, folder: str, head: tuple[str, ...], out: dict[str, tuple[str, ...]], seen: set[str]) -> None:
    k = tree.by_folder[folder]
    seen.add(folder)
    chain = (*head, k.path)
    for entry in k.resources:
        target = _target(folder, entry)
        if target is None:
            continue
        if target in tree.paths:
            out.setdefault(target, (*chain, target))
        elif target in tree.by_folder and target not in seen:
            _chain(tree, target, chain, out, seen)


def _governing(folder: str, tree: Tree, memo: dict[str, str | None]) -> str | None:
    """The nearest folder at or above `folder` holding a kustomization."""
    if folder in memo:
        return memo[folder]
    if folder in tree.by_folder:
        found: str | None = folder
    elif folder in ("", "/"):
        found = None
    else:
        found = _governing(posixpath.dirname(folder), tree, memo)
    memo[folder] = found
    return found


class _Built:
    """`_files` of each root, computed once per plan."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._done: dict[tuple[str, str | None, bool], list[tuple[str, str | None]]] = {}
        self._steps: dict[tuple[str, bool], dict[str, tuple[str, ...]]] = {}

    def steps(self, root: Root) -> dict[str, tuple[str, ...]]:
        """The steps of each file the root builds through transforming kustomizations."""
        key = (root.folder, root.recurse)
        hit = self._steps.get(key)
        if hit is None:
            hit = self._steps[key] = _steps(self.tree, root)
        return hit

    def __call__(self, root: Root) -> list[tuple[str, str | None]]:
        key = (root.folder, root.override, root.recurse)
        hit = self._done.get(key)
        if hit is None:
            hit = self._done[key] = _files(self.tree, root)
        return hit


def _label_auto(auto: list[Root], built: _Built) -> list[Root]:
    """Clusters of the kustomizations no other includes.

    Under `clusters/<name>/`: that cluster. Overlays of one base (sibling folders,
    such as `overlays/prod` and `overlays/staging`, building a file in common):
    the environment their folder names, so that `infra/overlays/prod` and
    `apps/foo/overlays/prod` meet in `prod`. Any other root is shared: independent
    roots that happen to include a common file deploy into the same cluster.
    """
    users: dict[str, set[str]] = {}
    for root in auto:
        for file, _ in built(root):
            users.setdefault(file, set()).add(root.folder)
    out = []
    for root in auto:
        cluster = cluster_of_path(root.folder)
        if cluster is None and root.folder:
            parent = posixpath.dirname(root.folder)
            if any(posixpath.dirname(other) == parent and other != root.folder
                   for file, _ in built(root) for other in users[file]):
                cluster = posixpath.basename(root.folder)
        out.append(replace(root, cluster=cluster) if cluster else root)
    return out


def _entry_points(roots: list[Root], built: _Built) -> list[Root]:
    """Flux Kustomizations no other root deploys that deploy Flux Kustomizations themselves: each
    folder defining such entry points is a cluster's bootstrap (`kubernetes/<cluster>/flux/config`),
    wherever it lives and whatever the Kustomization is called."""
    flux = [r for r in roots if r.origin and not r.scope.startswith("argocd:")]
    if not flux:
        return roots
    origins = {r.origin for r in flux}
    deployers = _deployers(roots, built)
    out = []
    for r in roots:
        if (r.cluster is None and r in flux and deployers.get(r.origin, set()) <= {r.origin}
                and any(file in origins and file != r.origin for file, _ in built(r))):
            r = replace(r, cluster=posixpath.dirname(r.origin) or ".")
        out.append(r)
    return out


def _bootstrapped(roots: list[Root], built: _Built) -> list[Root]:
    """Add the folders a bootstrap outside the repository applies: a Flux Kustomization no root
    deploys was applied with its folder (`flux bootstrap --path`, a FluxInstance's sync path), so
    that folder is deployed too, into the Kustomization's cluster."""
    flux = [r for r in roots if r.origin and not r.scope.startswith("argocd:")]
    if not flux:
        return roots
    reached = _deployers(roots, built)
    extra: dict[tuple[str, str | None], Root] = {}
    for r in flux:
        folder = posixpath.dirname(r.origin)
        if reached.get(r.origin, set()) <= {r.origin} and folder:
            extra.setdefault((folder, r.cluster), Root(f"bootstrap:{folder}", folder, cluster=r.cluster))
    return roots + [extra[k] for k in sorted(extra, key=lambda k: (k[0], _opt(k[1])))]


def _inherit(roots: list[Root], built: _Built) -> list[Root]:
    """Flux Kustomizations and Argo CD Applications with no cluster of their own get the clusters of the
    roots that deploy the file defining them (one root per cluster), to a fixpoint."""
    fixed = [r for r in roots if r.cluster is not None or not r.origin]
    open_ = [r for r in roots if r.cluster is None and r.origin]
    if not open_ or all(r.cluster is None for r in fixed):
        return roots
    current = roots
    for _ in range(_MAX_INHERIT):
        deployed: dict[str, set[str]] = {}
        for r in current:
            if r.cluster is not None:
                for file, _ in built(r):
                    deployed.setdefault(file, set()).add(r.cluster)
        following = list(fixed)
        for r in open_:
            clusters = deployed.get(r.origin)
            following += [replace(r, cluster=c) for c in sorted(clusters)] if clusters else [r]
        if following == current:
            break
        current = following
    return current


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


def _steps(tree: Tree, root: Root) -> dict[str, tuple[str, ...]]:
    """The steps of the files `_files` gives, for those some kustomization on the way transforms."""
    if not any(k.step for k in tree.by_folder.values()):
        return {}
    if root.folder in tree.by_folder:
        return tree.steps(root.folder)
    out: dict[str, tuple[str, ...]] = {}
    if root.recurse:
        for folder in sorted(tree.by_folder):
            if _inside(folder, root.folder) and folder != root.folder and not _nested_in_kust(tree, folder, root):
                for file, steps in tree.steps(folder).items():
                    out.setdefault(file, steps)
    return out


def _nested_in_kust(tree: Tree, folder: str, root: Root) -> bool:
    """Whether a kustomization sits between the root and this folder (then it is reached through that one)."""
    parent = posixpath.dirname(folder)
    while parent and _inside(parent, root.folder) and parent != root.folder:
        if parent in tree.by_folder:
            return True
        parent = posixpath.dirname(parent)
    return False
