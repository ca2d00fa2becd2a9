"""`kustomize build` of a folder, as kustomize v5 computes it, over a repository's files.

A kustomization accumulates its `resources` (files, and folders built on their
own), then applies its `components` (each adds its resources and runs its
generators and transformers over everything accumulated so far), runs its
generators (`configMapGenerator`, `secretGenerator`; `helmCharts` is a generator
whose output only Helm knows), then its transformers in kustomize's order:
`patchesStrategicMerge`, `patches`, `namespace`, `namePrefix`/`nameSuffix`,
`labels`/`commonLabels`, `commonAnnotations`, `patchesJson6902`, `replicas`,
`images`, `replacements`. Name references to renamed objects follow them, and
the generated objects take their hash suffix once the whole build is done.

What the build cannot know is said, never guessed: remote resources and chart
output are listed as unknown; a patch or replacement that cannot be computed
marks the fields it touches as unknown on the objects it targets.
"""

from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass
from typing import Any

import yaml

from policycheck.build import generators, transformers, variables
from policycheck.build.files import Files
from policycheck.build.lenient import load_lenient
from policycheck.build.nodes import Node, mapping
from policycheck.build.patching import NoTarget, apply_patch
from policycheck.build.replacements import ReplacementError, replace_all
from policycheck.errors import PolicycheckError
from policycheck.yamlsource import LineMap, load_documents

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class BuildError(PolicycheckError):
    """A kustomization kustomize itself refuses to build; names the file and line."""

    def __init__(self, message: str, file: str, line: int = 0) -> None:
        self.file, self.line = file, line
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


@dataclass(frozen=True)
class BuiltObject:
    """One object a build emits, with where it was written and which kustomizations carried it."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    file: str
    line: int
    doc_index: int
    chain: tuple[str, ...]
    body: dict[str, Any]
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """Output the build cannot see (a remote resource, a chart), where it is asked for."""

    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class Build:
    objects: tuple[BuiltObject, ...]
    unknown: tuple[Unknown, ...]
    # Every file the build read (kustomizations, resources, patches, generator sources).
    read: frozenset[str]
    # Files listed as patches or replacement sources, never as resources.
    patches: frozenset[str]


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/", "git::"))


def join(folder: str, entry: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, entry)) if folder else posixpath.normpath(entry)
    return "" if joined == "." else joined


def kustomization_file(files: Files, folder: str) -> str | None:
    for name in KUSTOMIZATION_NAMES:
        path = join(folder, name)
        if files.read(path) is not None:
            return path
    return None


class _Doc:
    """A parsed YAML file and its line map."""

    def __init__(self, path: str, data: bytes) -> None:
        text = data.decode("utf-8-sig", "replace")
        self.docs, error = load_documents(text)
        if error is not None:
            try:
                self.docs = load_lenient(text)
            except yaml.YAMLError:
                raise BuildError(f"does not parse: {str(error).splitlines()[0]}", path) from None
        self.lines = LineMap(text)

    def line(self, index: int, *path: Any) -> int:
        return self.lines(index, tuple(path))


class Builder:
    """Builds folders of one state; parsed files are shared between builds."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self._parsed: dict[str, _Doc] = {}

    def _doc(self, path: str) -> _Doc | None:
        hit = self._parsed.get(path)
        if hit is None:
            data = self.files.read(path)
            if data is None:
                return None
            hit = self._parsed[path] = _Doc(path, data)
        return hit

    def build(self, folder: str) -> Build:
        run = _Run(self)
        nodes = run.kustomize(folder, ())
        variables.resolve(nodes, run.vars, run.var_refs)
        for node in nodes:
            if node.hashed:
                node.rename(None, f"{node.name}-{generators.name_hash(node.body)}")
        transformers.fix_references(nodes, run.name_refs)
        objects = tuple(BuiltObject(n.api_version, n.kind, n.namespace, n.name, n.file, n.line, n.doc_index,
                                    n.chain, n.body, tuple(sorted(n.unknown))) for n in nodes)
        return Build(objects, tuple(run.unknown), frozenset(run.read), frozenset(run.patches))


class _Run:
    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.files = builder.files
        self.unknown: list[Unknown] = []
        self.read: set[str] = set()
        self.patches: set[str] = set()
        self.vars: list[dict[str, Any]] = []
        # `configurations` files: where names and vars are referred to besides kustomize's defaults.
        self.name_refs: list[dict[str, Any]] = []
        self.var_refs: list[dict[str, Any]] = []

    def _doc(self, path: str) -> _Doc | None:
        doc = self.builder._doc(path)
        if doc is not None:
            self.read.add(path)
        return doc

    def _load(self, path: str, chain: tuple[str, ...]) -> list[Node]:
        doc = self._doc(path)
        assert doc is not None
        out = []
        for index, body in enumerate(doc.docs):
            if body is None:
                continue
            if not isinstance(body, dict):
                raise BuildError("a document is not a mapping", path, doc.line(index))
            items = body.get("items") if body.get("kind", "").endswith("List") and "items" in body else None
            for item in items if isinstance(items, list) else [body]:
                if not isinstance(item, dict) or not item:
                    continue
                if not isinstance(item.get("kind"), str) or not item["kind"]:
                    raise BuildError("an object has no kind", path, doc.line(index))
                body = copy.deepcopy(item)
                md = body.get("metadata")
                if isinstance(md, dict) and "annotations" in md and not md["annotations"]:
                    del md["annotations"]  # kustomize reads annotations back, and writes none when empty
                out.append(Node(body, path, doc.line(index), index, chain))
        return out

    def kustomize(self, folder: str, stack: tuple[str, ...], incoming: list[Node] | None = None) -> list[Node]:
        kpath = kustomization_file(self.files, folder)
        if kpath is None:
            where = stack[-1] if stack else folder or "."
            raise BuildError(f"no kustomization in {folder or '.'}", where)
        if kpath in stack:
            raise BuildError("includes itself", kpath)
        doc = self._doc(kpath)
        assert doc is not None
        k = doc.docs[0] if doc.docs and isinstance(doc.docs[0], dict) else {}
        chain = (kpath,)
        inner = (*stack, kpath)
        nodes = list(incoming or [])
        own: list[Node] = []
        for field in ("resources", "bases"):
            for i, entry in enumerate(_list(k.get(field))):
                own += self._resource(folder, str(entry), chain, inner, kpath, doc.line(0, field, i))
        nodes += own
        for i, entry in enumerate(_list(k.get("components"))):
            line = doc.line(0, "components", i)
            if is_remote(str(entry)):
                self.unknown.append(Unknown(kpath, line, f"remote component {entry}"))
                continue
            target = join(folder, str(entry))
            if not self.files.is_dir(target):
                raise BuildError(f"component {entry} not found", kpath, line)
            before = {id(n) for n in nodes}
            nodes = self.kustomize(target, inner, nodes)
            for node in nodes:
                if id(node) not in before:
                    own.append(node)
        own += self._generate(k, folder, kpath, doc, nodes, chain)
        for i, chart in enumerate(_list(k.get("helmCharts"))):
            name = chart.get("name") if isinstance(chart, dict) else None
            self.unknown.append(Unknown(kpath, doc.line(0, "helmCharts", i), f"helmCharts chart {name}"))
        self._configurations(k, folder)
        nodes = self._transform(k, folder, kpath, doc, nodes)
        self.vars += [v for v in _list(k.get("vars")) if isinstance(v, dict)]
        transformers.fix_references(nodes, self.name_refs)
        owned = {id(n) for n in own}
        for node in nodes:
            if id(node) in owned and incoming is not None:
                node.chain = (kpath, *node.chain) if node.chain[:1] != (kpath,) else node.chain
        if incoming is None:
            for node in nodes:
                if node.chain[:1] != (kpath,):
                    node.chain = (kpath, *node.chain)
        return nodes

    def _configurations(self, k: dict[str, Any], folder: str) -> None:
        for entry in _list(k.get("configurations")):
            loaded = self._doc(join(folder, str(entry))) if isinstance(entry, str) else None
            config = loaded.docs[0] if loaded is not None and loaded.docs else None
            if isinstance(config, dict):
                self.name_refs += [e for e in _list(config.get("nameReference")) if isinstance(e, dict)]
                self.var_refs += [e for e in _list(config.get("varReference")) if isinstance(e, dict)]

    def _resource(self, folder: str, entry: str, chain: tuple[str, ...], stack: tuple[str, ...],
                  kpath: str, line: int) -> list[Node]:
        if is_remote(entry):
            self.unknown.append(Unknown(kpath, line, f"remote resource {entry}"))
            return []
        target = join(folder, entry)
        if self.files.read(target) is not None:
            return self._load(target, ())
        if self.files.is_dir(target):
            return self.kustomize(target, stack)
        raise BuildError(f"resource {entry} not found", kpath, line)

    def _generate(self, k: dict[str, Any], folder: str, kpath: str, doc: _Doc, nodes: list[Node],
                  chain: tuple[str, ...]) -> list[Node]:
        options = mapping(k.get("generatorOptions"))
        made: list[Node] = []
        for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for i, entry in enumerate(_list(k.get(field))):
                line = doc.line(0, field, i)
                if not isinstance(entry, dict):
                    raise BuildError(f"a {field} entry is not a mapping", kpath, line)
                try:
                    body, hashed = generators.make(kind, entry, options, folder, self._read_source)
                except generators.GeneratorError as exc:
                    raise BuildError(str(exc), kpath, line) from None
                behavior = entry.get("behavior") or "create"
                if behavior in ("merge", "replace"):
                    self._merge_generated(nodes, body, behavior, kpath, line)
                    continue
                node = Node(body, kpath, line, -1, (), hashed=hashed, generated=True)
                nodes.append(node)
                made.append(node)
        return made

    def _read_source(self, path: str) -> bytes | None:
        data = self.files.read(path)
        if data is not None:
            self.read.add(path)
        return data

    def _merge_generated(self, nodes: list[Node], body: dict[str, Any], behavior: str, kpath: str, line: int) -> None:
        name, kind = body["metadata"]["name"], body["kind"]
        namespace = body["metadata"].get("namespace")
        for node in nodes:
            if node.kind == kind and any(n == name for _, n in node.ids) and (
                    namespace is None or node.namespace == namespace):
                for field in ("data", "binaryData"):
                    if behavior == "replace":
                        node.body.pop(field, None)
                    if field in body:
                        node.body[field] = {**(node.body.get(field) or {}), **body[field]}
                for field in ("labels", "annotations"):
                    if field in body["metadata"]:
                        node.meta[field] = {**(node.meta.get(field) or {}), **body["metadata"][field]}
                return
        raise BuildError(f"{kind} {name} to {behavior} not found among the resources", kpath, line)

    def _transform(self, k: dict[str, Any], folder: str, kpath: str, doc: _Doc, nodes: list[Node]) -> list[Node]:
        for i, entry in enumerate(_list(k.get("patchesStrategicMerge"))):
            nodes = self._patch(nodes, folder, kpath, doc.line(0, "patchesStrategicMerge", i),
                                {"path": entry} if _is_path(entry) else {"patch": entry}, None)
        for i, entry in enumerate(_list(k.get("patches"))):
            if not isinstance(entry, dict):
                raise BuildError("a patches entry is not a mapping", kpath, doc.line(0, "patches", i))
            target = entry.get("target") if isinstance(entry.get("target"), dict) else None
            nodes = self._patch(nodes, folder, kpath, doc.line(0, "patches", i), entry, target)
        namespace = k.get("namespace")
        if isinstance(namespace, str) and namespace:
            transformers.set_namespace(nodes, namespace)
        prefix, suffix = k.get("namePrefix"), k.get("nameSuffix")
        if prefix or suffix:
            transformers.add_affixes(nodes, str(prefix or ""), str(suffix or ""))
        if isinstance(k.get("commonLabels"), dict):
            transformers.add_labels(nodes, k["commonLabels"], True, True)
        for entry in _list(k.get("labels")):
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict):
                transformers.add_labels(nodes, entry["pairs"], bool(entry.get("includeSelectors")),
                                        bool(entry.get("includeTemplates")))
        if isinstance(k.get("commonAnnotations"), dict):
            transformers.add_annotations(nodes, k["commonAnnotations"])
        for i, entry in enumerate(_list(k.get("patchesJson6902"))):
            if not isinstance(entry, dict) or not isinstance(entry.get("target"), dict):
                raise BuildError("a patchesJson6902 entry needs a target", kpath, doc.line(0, "patchesJson6902", i))
            nodes = self._patch(nodes, folder, kpath, doc.line(0, "patchesJson6902", i), entry, entry["target"])
        if k.get("replicas"):
            transformers.set_replicas(nodes, _list(k.get("replicas")))
        if k.get("images"):
            transformers.set_images(nodes, _list(k.get("images")))
        replacements = self._replacements(k, folder, kpath, doc)
        if replacements:
            try:
                replace_all(nodes, replacements)
            except ReplacementError as exc:
                raise BuildError(str(exc), kpath, doc.line(0, "replacements")) from None
        return nodes

    def _replacements(self, k: dict[str, Any], folder: str, kpath: str, doc: _Doc) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, entry in enumerate(_list(k.get("replacements"))):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                path = join(folder, entry["path"])
                loaded = self._doc(path)
                if loaded is None:
                    raise BuildError(f"replacement file {entry['path']} not found", kpath,
                                     doc.line(0, "replacements", i))
                self.patches.add(path)
                for item in loaded.docs:
                    out += [d for d in (item if isinstance(item, list) else [item]) if isinstance(d, dict)]
            elif isinstance(entry, dict):
                out.append(entry)
        return out

    def _patch(self, nodes: list[Node], folder: str, kpath: str, line: int, entry: dict[str, Any],
               target: dict[str, Any] | None) -> list[Node]:
        for patch in self._patch_docs(folder, kpath, line, entry):
            try:
                nodes = apply_patch(nodes, patch, target)
            except NoTarget as exc:
                raise BuildError(str(exc), kpath, line) from None
        return nodes

    def _patch_docs(self, folder: str, kpath: str, line: int, entry: dict[str, Any]) -> list[Any]:
        if isinstance(entry.get("path"), str):
            path = join(folder, entry["path"])
            loaded = self._doc(path)
            if loaded is None:
                raise BuildError(f"patch {entry['path']} not found", kpath, line)
            self.patches.add(path)
            return [d for d in loaded.docs if d is not None]
        text = entry.get("patch")
        if isinstance(text, str):
            docs, error = load_documents(text)
            if error is not None:
                raise BuildError("an inline patch does not parse", kpath, line)
            return [d for d in docs if d is not None]
        if isinstance(text, (dict, list)):
            return [text]
        raise BuildError("a patch has neither path nor patch", kpath, line)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_path(entry: Any) -> bool:
    return isinstance(entry, str) and "\n" not in entry and ":" not in entry
