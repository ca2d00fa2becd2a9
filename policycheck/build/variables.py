"""kustomize `vars` (deprecated, still common): `$(NAME)` in text fields takes a field of another object.

A var's value is read from the object its `objref` names (`fieldref.fieldpath`,
default `metadata.name`) once the whole build is done, and substituted only in
the fields kustomize's `varReference` configuration lists (containers' command,
args and env values, an Ingress's hosts) and those the kustomizations'
`configurations` files add. A var whose object or field the build cannot see
makes the fields that use it unknown.
"""

from __future__ import annotations

import re
from typing import Any

from policycheck.build.nodes import Node, mapping, selects
from policycheck.build.replacements import lookup, split_path

_REF = re.compile(r"\$\(([A-Za-z0-9_.\-]+)\)")
_MISSING = object()


def _value(nodes: list[Node], var: dict[str, Any]) -> Any:
    ref = mapping(var.get("objref"))
    api = str(ref.get("apiVersion") or "")
    selector = {"kind": ref.get("kind"), "name": re.escape(str(ref.get("name") or ""))}
    if api:
        selector["group"], selector["version"] = api.rsplit("/", 1) if "/" in api else ("", api)
    if ref.get("namespace"):
        selector["namespace"] = re.escape(str(ref["namespace"]))
    found = [n for n in nodes if selects(selector, n)]
    if len(found) != 1:
        return _MISSING
    ref_field = mapping(var.get("fieldref"))
    path = str(ref_field.get("fieldpath") or ref_field.get("fieldPath") or "metadata.name")
    value = lookup(found[0].body, split_path(path))
    return _MISSING if value is _MISSING or isinstance(value, (dict, list)) else value


# Where kustomize substitutes vars by default (its varReference configuration, in short): the
# containers' command, args and env values of every pod template, and an Ingress's hosts and annotations.
_CONTAINER_FIELDS = ("command", "args", "env.value")
_DEFAULT: tuple[tuple[str, str], ...] = (
    ("Ingress", "spec.rules.host"), ("Ingress", "spec.tls.hosts"), ("Ingress", "spec.tls.secretName"),
    ("Ingress", "metadata.annotations"),
)


def _paths(node: Node, configured: list[dict[str, Any]]) -> list[list[str]]:
    from policycheck.build.merge import _POD_SPECS

    out = [path.split(".") for kind, path in _DEFAULT if kind == node.kind]
    pod = _POD_SPECS.get(node.kind)
    if pod is not None:
        for field in ("containers", "initContainers"):
            out += [[*pod, field, *f.split(".")] for f in _CONTAINER_FIELDS]
    for entry in configured:
        if isinstance(entry.get("path"), str) and entry.get("kind") in (None, node.kind):
            out.append(entry["path"].split("/"))
    return out


def resolve(nodes: list[Node], declared: list[dict[str, Any]], configured: list[dict[str, Any]] | None = None) -> None:
    values: dict[str, Any] = {}
    for var in declared:
        if isinstance(var.get("name"), str):
            values[var["name"]] = _value(nodes, var)
    if not values:
        return
    for node in nodes:
        for path in _paths(node, configured or []):
            _walk(node.body, path, values, node, ())


def _walk(holder: Any, path: list[str], values: dict[str, Any], node: Node, at: tuple[str, ...]) -> None:
    """Substitute at the field `path` names under `holder` (lists are gone through on the way)."""
    if isinstance(holder, list):
        for i, item in enumerate(holder):
            _walk(item, path, values, node, (*at, str(i)))
        return
    if not isinstance(holder, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if head not in holder:
        return
    if rest:
        _walk(holder[head], rest, values, node, (*at, head))
    else:
        holder[head] = _substitute(holder[head], values, node, (*at, head))


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _substitute(value: Any, values: dict[str, Any], node: Node, path: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, values, node, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values, node, (*path, str(i))) for i, v in enumerate(value)]
    if not isinstance(value, str) or "$(" not in value:
        return value
    names = [m.group(1) for m in _REF.finditer(value) if m.group(1) in values]
    if any(values[n] is _MISSING for n in names):
        node.unknown.add(".".join(path))
        return value
    whole = _REF.fullmatch(value)
    if whole and whole.group(1) in values:
        return values[whole.group(1)]  # a field that is only the var takes its value as it is
    return _REF.sub(lambda m: _text(values[m.group(1)]) if m.group(1) in values else m.group(0), value)
