"""kustomize `vars` (deprecated, still common): `$(NAME)` in text fields takes a field of another object.

A var's value is read from the object its `objref` names (`fieldref.fieldpath`,
default `metadata.name`) once the whole build is done. kustomize substitutes
only in the fields its `varReference` configuration lists; declared names are
replaced in every text field here, which differs only where a manifest writes
`$(NAME)` of a declared var in a field kustomize leaves alone. A var whose
object or field the build cannot see makes the fields that use it unknown.
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


def resolve(nodes: list[Node], declared: list[dict[str, Any]]) -> None:
    values: dict[str, Any] = {}
    for var in declared:
        if isinstance(var.get("name"), str):
            values[var["name"]] = _value(nodes, var)
    if not values:
        return
    for node in nodes:
        node.body = _substitute(node.body, values, node, ())


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
