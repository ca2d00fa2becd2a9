"""Argo CD ApplicationSets: the Applications their git generators make, as roots.

A git generator lists folders (`directories`) or files (`files`) of a
repository matching glob patterns; each match gives parameters (`path`,
`path.basename`, `path.segments`, ...), and the ApplicationSet's `template`
is rendered once per match. Its `{{ ... }}` is the ApplicationSet's own
template language (fasttemplate `{{path.basename}}`, or Go templates
`{{ .path.basename }}` with `goTemplate: true`), not Helm's. Only what a root
needs is rendered (source paths, repoURL, destination); a field naming a
parameter no generator gives (a file generator's contents, a cluster
generator's, a list's) is unknown, and a root whose path is unknown is left
out. Inside `matrix` and `merge` generators, the git generators are expanded
and the others' parameters stay unknown. List and cluster generators alone
make no roots (docs/gitops.md, "Not modelled").
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable
from typing import Any

from policycheck.gitops.repository import normalise

_EXPR = re.compile(r"{{-?\s*(.*?)\s*-?}}")
_INDEX = re.compile(r"^index\s+\.?([\w.]+)\s+(\d+)$")
_LEGACY_INDEX = re.compile(r"^([\w.]+)\[(\d+)\]$")
Params = dict[str, Any]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder holding a file of the listing (and their parents)."""
    out: set[str] = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder and folder not in out:
            out.add(folder)
            folder = posixpath.dirname(folder)
    return out


def _match(pattern: str, path: str) -> bool:
    """Argo CD's glob: `*` stays within one folder, `**` crosses folders."""
    if "**" in pattern:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        return re.fullmatch(regex, path) is not None
    if pattern.count("/") != path.count("/"):
        return False
    return fnmatch.fnmatchcase(path, pattern)


def _path_params(path: str, folder: str) -> Params:
    segments = folder.split("/") if folder else []
    basename = posixpath.basename(folder)
    out: Params = {"path": folder, "basename": basename,
                   "basenameNormalized": re.sub(r"[^a-z0-9-]", "-", basename.lower()), "segments": segments}
    if path != folder:
        name = posixpath.basename(path)
        out.update(filename=name, filenameNormalized=re.sub(r"[^a-z0-9-]", "-", name.lower()))
    return out


def _git_params(gen: dict[str, Any], paths: frozenset[str], folders: set[str]) -> list[Params]:
    out: list[Params] = []
    directories = [d for d in gen.get("directories") or [] if isinstance(d, dict) and _str(d.get("path"))]
    if directories:
        include = [d["path"].strip("/") for d in directories if not d.get("exclude")]
        exclude = [d["path"].strip("/") for d in directories if d.get("exclude")]
        for folder in sorted(folders):
            if any(_match(p, folder) for p in include) and not any(_match(p, folder) for p in exclude):
                out.append({"path": _path_params(folder, folder)})
    files = [f for f in gen.get("files") or [] if isinstance(f, dict) and _str(f.get("path"))]
    for path in sorted(paths):
        if any(_match(f["path"].strip("/"), path) for f in files if not f.get("exclude")) and not any(
                _match(f["path"].strip("/"), path) for f in files if f.get("exclude")):
            out.append({"path": _path_params(path, posixpath.dirname(path))})
    return out


def _generated(gen: Any, here: frozenset[str], paths: frozenset[str], folders: set[str]) -> list[Params]:
    """Parameter sets of one generator; those of generators not modelled are left empty (unknown)."""
    if not isinstance(gen, dict):
        return []
    git = gen.get("git")
    if isinstance(git, dict):
        url = _str(git.get("repoURL"))
        if url is not None and here and normalise(url) not in here:
            return []  # another repository's folders
        return _git_params(git, paths, folders)
    for combined in ("matrix", "merge"):
        inner = gen.get(combined)
        if isinstance(inner, dict):
            out: list[Params] = []
            for child in inner.get("generators") or []:
                out += _generated(child, here, paths, folders)
            return out
    return []


def _lookup(params: Params, dotted: str) -> Any:
    node: Any = params
    for part in dotted.lstrip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _value(params: Params, expr: str, go: bool) -> str | None:
    m = _INDEX.match(expr) if go else _LEGACY_INDEX.match(expr)
    if m:
        seq = _lookup(params, m.group(1) + ("" if go else ".segments"))
        if not go and m.group(1) == "path":
            seq = _lookup(params, "path.segments")
        index = int(m.group(2))
        return str(seq[index]) if isinstance(seq, list) and index < len(seq) else None
    if go and not expr.startswith("."):
        return None  # functions and pipelines are not evaluated
    name = expr.lstrip(".")
    if not go and name == "path":
        name = "path.path"
    value = _lookup(params, name)
    if isinstance(value, dict) and "path" in value:
        value = value["path"]
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


def render(value: Any, params: Params, go: bool) -> Any:
    """`value` with every `{{ ... }}` of its strings replaced; None where one cannot be."""
    if isinstance(value, dict):
        return {k: render(v, params, go) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, params, go) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    failed = False

    def one(m: re.Match[str]) -> str:
        nonlocal failed
        found = _value(params, m.group(1), go)
        if found is None:
            failed = True
            return ""
        return found

    out = _EXPR.sub(one, value)
    return None if failed else out


def expand(spec: dict[str, Any], here: frozenset[str], paths: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
    """(name, Application spec) of each Application the ApplicationSet's git generators make."""
    template = spec.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return []
    go = spec.get("goTemplate") is True
    folders = folders_of(paths)
    out = []
    for gen in spec.get("generators") or []:
        for params in _generated(gen, here, paths, folders):
            rendered = render(template, params, go)
            meta = rendered.get("metadata") if isinstance(rendered, dict) else None
            name = _str(meta.get("name")) if isinstance(meta, dict) else None
            body = rendered.get("spec") if isinstance(rendered, dict) else None
            if isinstance(body, dict):
                out.append((name or str(_lookup(params, "path.path")), body))
    return out
