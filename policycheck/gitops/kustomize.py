"""Which files a `kustomize build` of a folder reads, and which namespace it gives them.

Only the namespace transformer is modelled, without the kustomize binary: the
`namespace:` of a kustomization sets the namespace of every namespaced object
it emits, overriding what the object says, and the outermost kustomization
that sets one wins (an overlay renames what its bases emit). `resources:` and
the legacy `bases:` name files or folders holding their own kustomization, and
`components:` folders whose resources join the build;
remote bases (URLs) are not followed. Patches, name prefixes and suffixes,
generators and replacements are left to the build model (policycheck.build).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policycheck.yamlsource import load_documents

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Kustomization:
    """The fields of one kustomization file that decide which files and which namespace."""

    path: str
    namespace: str | None
    resources: tuple[str, ...]
    helm_charts: tuple[dict[str, Any], ...] = ()
    # What it does to each object on its own (policycheck.build.steps); "" when nothing.
    step: str = ""

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)


def is_kustomization(path: str) -> bool:
    return posixpath.basename(path) in KUSTOMIZATION_NAMES


def parse_kustomization(path: str, data: bytes) -> Kustomization:
    """The kustomization's fields; a file that does not parse counts as an empty one.

    The file's own parse error, if any, is reported by the manifest reader.
    """
    try:
        docs, _ = load_documents(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        docs = []
    doc = docs[0] if docs and isinstance(docs[0], dict) else {}
    ns = doc.get("namespace")
    entries: list[str] = []
    # A component's resources join the build of the kustomization that names it, under its
    # namespace, as resources do.
    for field in ("resources", "bases", "components"):
        value = doc.get(field)
        if isinstance(value, list):
            entries += [v for v in value if isinstance(v, str) and v]
    charts = doc.get("helmCharts")
    from policycheck.build.steps import step_of  # the build model loads only where kustomizations exist

    return Kustomization(
        path,
        ns if isinstance(ns, str) and ns else None,
        tuple(entries),
        tuple(c for c in charts if isinstance(c, dict)) if isinstance(charts, list) else (),
        step_of(doc),
    )


def _is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))


def _join(folder: str, entry: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, entry)) if folder else posixpath.normpath(entry)
    return "" if joined == "." else joined


@dataclass(frozen=True)
class Tree:
    """The repository's file listing with its kustomizations, by folder."""

    paths: frozenset[str]
    by_folder: dict[str, Kustomization]

    @classmethod
    def of(cls, paths: Iterable[str], kustomizations: Iterable[Kustomization]) -> Tree:
        by_folder: dict[str, Kustomization] = {}
        for k in sorted(kustomizations, key=lambda k: k.path):
            by_folder.setdefault(k.folder, k)  # kustomize itself refuses two; the first name wins
        return cls(frozenset(paths), by_folder)

    def build(self, folder: str, override: str | None = None) -> list[tuple[str, str | None]]:
        """(file, namespace override) for every manifest file `kustomize build folder` reads."""
        out: list[tuple[str, str | None]] = []
        self._walk(folder, override, (), out)
        return out

    def _walk(self, folder: str, override: str | None, stack: tuple[str, ...],
              out: list[tuple[str, str | None]]) -> None:
        k = self.by_folder.get(folder)
        if k is None or folder in stack:
            return
        ns = override or k.namespace
        for entry in k.resources:
            if _is_remote(entry):
                continue
            target = _join(folder, entry)
            if target in self.paths:
                out.append((target, ns))
            elif target in self.by_folder:
                self._walk(target, ns, (*stack, folder), out)

    def steps(self, folder: str) -> dict[str, tuple[str, ...]]:
        """For each file `build(folder)` reads that some kustomization on its way transforms, the steps
        of those kustomizations, innermost first."""
        out: dict[str, tuple[str, ...]] = {}
        self._steps(folder, (), (), out)
        return out

    def _steps(self, folder: str, outer: tuple[str, ...], stack: tuple[str, ...],
               out: dict[str, tuple[str, ...]]) -> None:
        k = self.by_folder.get(folder)
        if k is None or folder in stack:
            return
        chain = (k.step, *outer) if k.step else outer
        for entry in k.resources:
            if _is_remote(entry):
                continue
            target = _join(folder, entry)
            if target in self.paths:
                if chain:
                    out.setdefault(target, chain)
            elif target in self.by_folder:
                self._steps(target, chain, (*stack, folder), out)

    def included(self) -> set[str]:
        """Folders some other kustomization lists (so they are not entry points themselves)."""
        inner: set[str] = set()
        for folder, k in self.by_folder.items():
            for entry in k.resources:
                target = _join(folder, entry)
                if not _is_remote(entry) and target in self.by_folder and target != folder:
                    inner.add(target)
        return inner

    def folder_files(self, folder: str, recurse: bool) -> list[str]:
        """Manifest files under a folder with no kustomization, the way Flux and Argo CD read one.

        Flux generates a kustomization listing every manifest below the folder,
        stopping at sub-folders that have their own kustomization (those are
        built and included); Argo CD reads the folder itself unless told to recurse.
        """
        prefix = folder.rstrip("/") + "/" if folder else ""
        out: list[str] = []
        for path in sorted(self.paths):
            if not path.startswith(prefix) or not path.endswith(MANIFEST_SUFFIXES) or is_kustomization(path):
                continue
            rest = path[len(prefix):]
            if "/" in rest and not recurse:
                continue
            parent = posixpath.dirname(path)
            if any(d in self.by_folder for d in _between(folder, parent)):
                continue  # built through that kustomization instead
            out.append(path)
        return out


def _between(top: str, folder: str) -> list[str]:
    """Folders from just below `top` down to `folder`, inclusive."""
    out = []
    while folder and folder != top:
        out.append(folder)
        folder = posixpath.dirname(folder)
    return out
