"""Turning one file's bytes into Kubernetes objects, or diagnostics that say why not.

Only documents that are Kubernetes objects become resources (a mapping with
string apiVersion, kind and metadata.name); anything else in a YAML stream is
ignored quietly. A file that does not parse yields the objects before the error
and a `manifest-parse-error` naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policycheck.diagnostics import DUPLICATE_KEY, PARSE_ERROR, SKIPPED, Diagnostic
from policycheck.model import Resource, ResourceKey, group_of, is_cluster_scoped
from policycheck.state import FileEntry
from policycheck.yamlsource import LineMap, error_line, error_text, load_stream

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_HELM_MARKER = re.compile(r"\{\{-?\s*[^}]*\}\}")
_LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"
# YAML allows UTF-16 and UTF-32 when a byte order mark says so (UTF-32 first: its BOM starts like UTF-16's).
_UNICODE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                 (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))

# Rewrites a resource just parsed (namespace inference, variable substitution);
# returns the namespace the object belongs to when metadata.namespace is absent.
NamespaceFor = Callable[[str], str]


def is_helm_template(path: str, text: str, chart_dirs: frozenset[str] = frozenset()) -> bool:
    """A file Helm renders: under a chart's templates/ folder, or holding {{ }} where a manifest cannot.

    A Flux HelmRelease or an Argo CD Application may hold `{{ ... }}` in its chart
    values (the chart renders them with `tpl`): such a file is a manifest, read
    as usual, when every document parses and every marker sits in a string
    value under the chart values (`spec.values`; an Application's `helm`).
    Markers anywhere else (a key, metadata, another kind, text that does not
    parse, a `templates/` folder) make it a template.
    """
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == "templates" and "/".join(parts[:i]) in chart_dirs:
            return True
    if not _HELM_MARKER.search(text):
        return False
    if "templates" in parts[:-1]:
        return True
    loaded = load_stream(text)
    return loaded.error is not None or not all(_markers_in_chart_values(doc) for doc in loaded.documents)


def _markers_in_chart_values(doc: Any) -> bool:
    """Whether every {{ }} of a document is in a string value under its chart values."""
    allowed: tuple[tuple[str | int, ...], ...] = ()
    if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str):
        group = doc["apiVersion"].split("/")[0]
        spec = doc.get("spec")
        if group == "helm.toolkit.fluxcd.io" and doc.get("kind") == "HelmRelease":
            allowed = (("spec", "values"),)
        elif group == "argoproj.io" and doc.get("kind") == "Application" and isinstance(spec, dict):
            sources = spec.get("sources")
            allowed = (("spec", "source", "helm"),) + (tuple(("spec", "sources", i, "helm")
                                                             for i in range(len(sources)))
                                                       if isinstance(sources, list) else ())
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            if _HELM_MARKER.search(node) and not any(at[:len(a)] == a for a in allowed):
                return False
        elif isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _HELM_MARKER.search(k):
                    return False
                stack.append((v, (*at, k)))
        elif isinstance(node, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(node))
    return True


def decode(path: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or the diagnostic that says why it is not read."""
    if len(data) > max_bytes:
        return None, Diagnostic(path, 1, SKIPPED, "warning",
                                f"file is {len(data)} bytes, over the {max_bytes}-byte limit; not checked")
    if data.startswith(_LFS_HEADER):
        return None, Diagnostic(path, 1, SKIPPED, "warning",
                                "Git LFS pointer; the manifest itself is not in the repository, not checked")
    for bom, codec in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                return None, Diagnostic(path, 1, PARSE_ERROR, "error", f"not {codec} text despite its BOM; not checked")
    if b"\0" in data[:8192]:
        return None, Diagnostic(path, 1, SKIPPED, "warning", "binary content in a YAML file; not checked")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Diagnostic(path, line, PARSE_ERROR, "error",
                                f"not UTF-8 text (byte 0x{data[exc.start]:02x}); not checked")
    return text, None


def parse_file(
    path: str,
    data: bytes,
    blob: str = "",
    namespace_for: NamespaceFor | None = None,
    chart_dirs: frozenset[str] = frozenset(),
    max_bytes: int = DEFAULT_MAX_BYTES,
    lines: bool = False,
) -> FileEntry:
    """The objects and diagnostics of one file; with `lines`, its line numbers read while parsing
    (see `load_stream`) rather than when a finding first asks."""
    text, problem = decode(path, data, max_bytes)
    if text is None:
        return FileEntry(path, blob, (), (problem,) if problem else ())
    if is_helm_template(path, text, chart_dirs):
        return FileEntry(path, blob, (), (Diagnostic(path, 1, SKIPPED, "info",
                                                     "Helm template; rendered objects are not checked"),))
    loaded = load_stream(text, lines)
    docs, error = loaded.documents, loaded.error
    diagnostics: list[Diagnostic] = []
    if error is not None:
        diagnostics.append(Diagnostic(path, error_line(error, text), PARSE_ERROR, "error",
                                      f"YAML does not parse: {error_text(error)}"))
    if loaded.duplicates:
        line, name = loaded.duplicates[0]
        more = len(loaded.duplicates) - 1
        also = f" (and {more} more: lines {', '.join(str(n) for n, _ in loaded.duplicates[1:6])})" if more else ""
        diagnostics.append(Diagnostic(path, line, DUPLICATE_KEY, "warning",
                                      f"key {name!r} repeats a key of the same mapping; the last value is read"
                                      f"{also}"))
    locator = LineMap(text, loaded.lines if error is None else None)
    default_ns = namespace_for(path) if namespace_for else "default"
    resources: list[Resource] = []
    for index, doc in enumerate(docs):
        resources.extend(_objects(doc, path, index, blob, locator, default_ns, ()))
    return FileEntry(path, blob, tuple(resources), tuple(diagnostics))


def _objects(doc: Any, path: str, index: int, blob: str, locator: LineMap, default_ns: str,
             base: tuple[str | int, ...]) -> list[Resource]:
    if not isinstance(doc, dict):
        return []
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    items = doc.get("items")
    if kind.endswith("List") and isinstance(items, list):
        out: list[Resource] = []
        for i, item in enumerate(items):
            out.extend(_objects(item, path, index, blob, locator, default_ns, (*base, "items", i)))
        return out
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return []
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        return []
    group = group_of(api_version)
    if is_cluster_scoped(group, kind):
        namespace = ""
    else:
        ns = metadata.get("namespace")
        namespace = ns if isinstance(ns, str) and ns else default_ns
    key = ResourceKey(group, kind, namespace, name)
    return [Resource(key, api_version, doc, path, index, blob, "manifest", locator, base)]
