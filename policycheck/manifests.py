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

from yaml import YAMLError

from policycheck.diagnostics import DUPLICATE_KEY, NOT_KUBERNETES, PARSE_ERROR, SKIPPED, Diagnostic
from policycheck.gitsource import DEFAULT_MAX_BYTES, HEAD_BYTES, Oversized
from policycheck.model import Resource, ResourceKey, group_of, is_cluster_scoped
from policycheck.state import FileEntry
from policycheck.yamlsource import LineMap, error_line, error_text, load_stream

CHART_FILE = "Chart.yaml"
HELM_TEMPLATE = "Helm chart template; rendered objects are not checked"
_LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"
# YAML allows UTF-16 and UTF-32 when a byte order mark says so (UTF-32 first: its BOM starts like UTF-16's).
_UNICODE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                 (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))

# Text that has these lines at the top level is meant as a manifest even when it does not parse.
_TOP_API_VERSION = re.compile(r"^(?:---\s*)?[\"']?apiVersion[\"']?\s*:", re.MULTILINE)
_TOP_KIND = re.compile(r"^[\"']?kind[\"']?\s*:", re.MULTILINE)
# Jinja markup (Ansible, Salt, cookiecutter): statements and comments. Go templates (`{{ }}`) are not
# counted: a chart's template in a folder without its Chart.yaml is what a Helm-less build would apply.
_TEMPLATE_MARK = re.compile(r"\{%|\{#")
_UNKNOWN_TAG = "could not determine a constructor for the tag"
_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Rewrites a resource just parsed (namespace inference, variable substitution);
# returns the namespace the object belongs to when metadata.namespace is absent.
NamespaceFor = Callable[[str], str]


def chart_template(path: str, has_chart: Callable[[str], bool]) -> bool:
    """Whether a file is a Helm chart's template: under the `templates/` folder of a folder that holds
    a `Chart.yaml` (`has_chart(folder)`, "" for the top). Helm renders such a file: its text is no
    manifest, so it is skipped. Anywhere else `{{ ... }}` is text like any other (chart values keep
    their expressions, which the presence of what they name treats as unknown)."""
    parts = path.split("/")
    return any(part == "templates" and has_chart("/".join(parts[:i])) for i, part in enumerate(parts[:-1]))


def chart_folder(path: str) -> str | None:
    """The folder a `Chart.yaml` makes a chart ("" for the top), or None for any other file."""
    folder, _, name = path.rpartition("/")
    return folder if name == CHART_FILE else None


def chart_file(folder: str) -> str:
    """The `Chart.yaml` that makes `folder` a chart."""
    return f"{folder}/{CHART_FILE}" if folder else CHART_FILE


def chart_template_entry(path: str, blob: str) -> FileEntry:
    return FileEntry(path, blob, (), (Diagnostic(path, 1, SKIPPED, "info", HELM_TEMPLATE),))


def is_chart_template_entry(entry: FileEntry) -> bool:
    return not entry.resources and len(entry.diagnostics) == 1 and entry.diagnostics[0].message == HELM_TEMPLATE \
        and entry.diagnostics[0].id == SKIPPED


def unreadable_manifest(path: str, blob: str, why: str) -> Diagnostic:
    """A file that is a manifest and cannot be read: an error of the change that makes it so.

    Its identity is its content, so a change that edits a manifest nobody can read (to slip a
    route past the check) is judged anew; one that leaves it alone carries it as pre-existing.
    """
    return Diagnostic(path, 1, PARSE_ERROR, "error", f"{why}: its objects cannot be checked",
                      ref=f"{PARSE_ERROR}:{blob}" if blob else "")


def oversized(path: str, head: bytes, size: int, max_bytes: int, blob: str = "") -> Diagnostic:
    """A file over the size limit, known by its first bytes only: an error when they start a manifest
    (padding must not switch a route's check off), else a warning naming the size."""
    over = f"file is {size} bytes, over the {max_bytes}-byte limit (maxFileBytes)"
    for bom, codec in _UNICODE_BOMS:  # a UTF-16 or UTF-32 manifest is a manifest too
        if head.startswith(bom):
            head = head.decode(codec, "ignore").encode("utf-8")  # the head may end inside a character
            break
    if looks_like_manifest(head):
        return unreadable_manifest(path, blob, f"{over}; split it or raise the limit")
    return Diagnostic(path, 1, SKIPPED, "warning", f"{over}; not checked")


_TOP_KEY = re.compile(rb"^[\"']?(apiVersion|kind)[\"']?\s*:", re.MULTILINE)
_JSON_KEY = re.compile(rb"\"(apiVersion|kind)\"\s*:")
_DOC_END = re.compile(rb"^(---|\.\.\.)(\s|$)", re.MULTILINE)


def looks_like_manifest(head: bytes) -> bool:
    """Whether the first document of a file, as far as `head` holds it, has both `apiVersion` and `kind`.
    A head with no content at all (only comments) is taken for one: it cannot be told apart."""
    text = re.sub(rb"(?m)^\s*(#.*)?(\r?\n|$)", b"", head.lstrip(b"\xef\xbb\xbf"))  # blank and comment lines
    text = re.sub(rb"\A(?:(?:---|%)[^\n]*\n)+", b"", text)  # leading directives, markers, empty documents
    if not text.strip():
        return True
    end = _DOC_END.search(text)
    first = text[:end.start()] if end else text
    keys = _JSON_KEY if first.lstrip().startswith(b"{") else _TOP_KEY
    return {m.group(1) for m in keys.finditer(first)} == {b"apiVersion", b"kind"}


def decode(path: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
           blob: str = "") -> tuple[str | None, Diagnostic | None]:
    """The file's text, or the diagnostic that says why it is not read."""
    if isinstance(data, Oversized):  # only its head was read
        whole = data.whole() if data.size <= max_bytes else None
        if whole is None:
            return None, oversized(path, data, data.size, max_bytes, blob)
        data = whole
    if len(data) > max_bytes:
        return None, oversized(path, data[:HEAD_BYTES], len(data), max_bytes, blob)
    if data.startswith(_LFS_HEADER):
        return None, Diagnostic(path, 1, SKIPPED, "warning",
                                "Git LFS pointer; the manifest itself is not in the repository, not checked")
    for bom, codec in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                return None, _undecodable(path, 1, f"not {codec} text despite its BOM", data)
    if b"\0" in data[:8192]:
        return None, Diagnostic(path, 1, SKIPPED, "warning", "binary content in a YAML file; not checked")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, _undecodable(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})", data)
    return text, None


def parse_file(
    path: str,
    data: bytes,
    blob: str = "",
    namespace_for: NamespaceFor | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    lines: bool = False,
) -> FileEntry:
    """The objects and diagnostics of one file; with `lines`, its line numbers read while parsing
    (see `load_stream`) rather than when a finding first asks."""
    text, problem = decode(path, data, max_bytes, blob)
    if text is None:
        return FileEntry(path, blob, (), (problem,) if problem else ())
    loaded = load_stream(text, lines)
    docs, error = loaded.documents, loaded.error
    kustomization = _is_kustomization(path)
    diagnostics: list[Diagnostic] = []
    if error is not None:
        diagnostics.append(_unreadable(path, text, error, kustomization))
    elif not kustomization and not any(_typed(doc) for doc in docs) and any(doc is not None for doc in docs):
        diagnostics.append(Diagnostic(path, 1, NOT_KUBERNETES, "info",
                                      "no document has apiVersion and kind: not a Kubernetes manifest, not checked"))
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


def _undecodable(path: str, line: int, why: str, data: bytes) -> Diagnostic:
    """A file that is not text in its encoding: an error when it is meant as a manifest, else a note."""
    if _is_kustomization(path) or meant_as_manifest(_lenient(data)):
        return Diagnostic(path, line, PARSE_ERROR, "error", f"{why}; not checked")
    return Diagnostic(path, line, NOT_KUBERNETES, "info",
                      f"{why} and has no top-level apiVersion and kind: not a Kubernetes manifest, not checked")


def _lenient(data: bytes) -> str:
    """Text that could not be decoded, decoded anyway (bad bytes replaced) to see what it is meant as."""
    for bom, codec in _UNICODE_BOMS:
        if data.startswith(bom):
            return data.decode(codec, "replace")
    return data.decode("utf-8", "replace")


def _in_templates(path: str) -> bool:
    """Whether the file lies in a `templates` folder (an Ansible role's, a chart's without its Chart.yaml)."""
    return "templates" in path.split("/")[:-1]


def _is_kustomization(path: str) -> bool:
    return path.rpartition("/")[2] in _KUSTOMIZATION_NAMES


def _typed(doc: Any) -> bool:
    """Whether a document has apiVersion and kind (what makes its file a manifest)."""
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def meant_as_manifest(text: str) -> bool:
    """Whether text that does not parse is still meant as a manifest: top-level `apiVersion:` and `kind:`
    lines anywhere in it (a template wrapped in `{{ if }}`, a document after a broken one)."""
    return _TOP_API_VERSION.search(text) is not None and _TOP_KIND.search(text) is not None


def _unreadable(path: str, text: str, error: YAMLError, kustomization: bool) -> Diagnostic:
    """Why a file that does not parse is not checked: an error when it is a manifest; a note when it
    is another tool's YAML (another tool's local tags, or no top-level apiVersion and kind)."""
    line, what = error_line(error, text), error_text(error)
    if _UNKNOWN_TAG in what:
        tag = what.rpartition(_UNKNOWN_TAG)[2].strip(" '").replace("tag:yaml.org,2002:", "!!", 1)
        return Diagnostic(path, line, NOT_KUBERNETES, "info",
                          f"uses the tag {tag} of another tool: not a Kubernetes manifest, not checked")
    # A file in a `templates` folder that does not parse because of its Jinja markup is a template some
    # other tool renders first (an Ansible role's): what it renders is not known here, and the file as
    # written is applied by no one.
    mark = None if kustomization or not _in_templates(path) else _TEMPLATE_MARK.search(text)
    if mark is not None:
        at = text.count("\n", 0, mark.start()) + 1
        return Diagnostic(path, line, SKIPPED, "warning",
                          f"a Jinja template (markup at line {at}, in a templates folder) that does not parse as YAML "
                          f"({what}); what it renders is not checked")
    if kustomization or meant_as_manifest(text):
        return Diagnostic(path, line, PARSE_ERROR, "error", f"YAML does not parse: {what}")
    return Diagnostic(path, line, NOT_KUBERNETES, "info",
                      f"YAML does not parse ({what}) and has no top-level apiVersion and kind: "
                      "not a Kubernetes manifest, not checked")


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
