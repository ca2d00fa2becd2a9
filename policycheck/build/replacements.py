"""kustomize `replacements`: copy a field of one object into fields of others.

Field paths are dotted (`spec.parentRefs.[name=gw].namespace`, `spec.hostnames.0`,
`spec.rules.*.backendRefs`); `options.delimiter` with `index` cuts the source
value, or replaces one part of the target's; `options.create` makes missing
fields. A source the build cannot see (nothing selected, or a field it does not
hold) makes the targeted fields unknown rather than stopping the build.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from policycheck.build.nodes import Node, mapping, selects


class ReplacementError(Exception):
    """A replacement kustomize refuses (the message says which)."""


_MISSING = object()


def split_path(path: str) -> list[str]:
    """Dots split the path, except inside `[...]`."""
    parts, depth, current = [], 0, ""
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p != ""]


def _key(part: str) -> str:
    """A map key as a path writes it: `[a.b/c]` is the key `a.b/c` (a key holding dots)."""
    return part[1:-1] if part.startswith("[") and part.endswith("]") and "=" not in part else part


def _matches(item: Any, selector: str) -> bool:
    key, _, value = selector[1:-1].partition("=")
    return isinstance(item, dict) and str(item.get(key)) == value


def lookup(body: Any, parts: list[str]) -> Any:
    node = body
    for part in parts:
        if isinstance(node, dict):
            node = node.get(_key(part), _MISSING)
        elif isinstance(node, list):
            if part.startswith("["):
                node = next((item for item in node if _matches(item, part)), _MISSING)
            elif part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return node
    return node


def _holders(node: Any, parts: list[str], create: bool) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every field the path reaches; with `create`, missing maps are made."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        head = _key(head)
    if isinstance(node, list):
        if head == "*":
            keys: list[Any] = list(range(len(node)))
        elif head.startswith("["):
            keys = [i for i, item in enumerate(node) if _matches(item, head)]
            if not keys and create:
                key, _, value = head[1:-1].partition("=")
                node.append({key: value})
                keys = [len(node) - 1]
        elif head.isdigit() and int(head) < len(node):
            keys = [int(head)]
        else:
            keys = []
    elif isinstance(node, dict):
        if head == "*":
            keys = list(node)
        elif head in node:
            keys = [head]
        elif create:
            node[head] = [] if rest and (rest[0].startswith("[") or rest[0].isdigit()) else {}
            keys = [head]
        else:
            keys = []
    else:
        keys = []
    for key in keys:
        if not rest:
            yield node, key
            continue
        child = node[key]
        if child is None and create:
            child = node[key] = {}
        yield from _holders(child, rest, create)


def _cut(value: Any, options: dict[str, Any]) -> Any:
    delimiter = options.get("delimiter")
    if not delimiter or not isinstance(value, str):
        return value
    parts = value.split(str(delimiter))
    index = int(options.get("index") or 0)
    if not 0 <= index < len(parts):
        raise ReplacementError(f"options.index {index} is out of range of the source value {value!r}")
    return parts[index]


def _put(old: Any, value: Any, options: dict[str, Any]) -> Any:
    delimiter = options.get("delimiter")
    if not delimiter:
        return copy.deepcopy(value)
    if not isinstance(old, str) or not isinstance(value, (str, int, float, bool)):
        raise ReplacementError("a delimiter needs a text target and source")
    parts = old.split(str(delimiter))
    index = int(options.get("index") or 0)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if index < 0:
        parts.insert(0, text)
    elif index >= len(parts):
        parts.append(text)
    else:
        parts[index] = text
    return str(delimiter).join(parts)


def _rejected(rejects: Any, node: Node) -> bool:
    return isinstance(rejects, list) and any(isinstance(r, dict) and r and selects(r, node) for r in rejects)


def _source(nodes: list[Node], source: dict[str, Any]) -> Any:
    selector = {k: v for k, v in source.items() if k in ("group", "version", "kind", "name", "namespace")}
    found = [n for n in nodes if selects(selector, n)]
    if len(found) != 1:
        return _MISSING, None
    node = found[0]
    path = split_path(str(source.get("fieldPath") or "metadata.name"))
    if any(p in node.unknown or ".".join(path).startswith(p + ".") for p in node.unknown):
        return _MISSING, node
    value = lookup(node.body, path)
    if value is _MISSING:
        raise ReplacementError(f"fieldPath {'.'.join(path)} is missing in the replacement source")
    return value, node


def replace_all(nodes: list[Node], replacements: list[dict[str, Any]]) -> None:
    for replacement in replacements:
        source = replacement.get("source")
        if not isinstance(source, dict):
            raise ReplacementError("a replacement has no source")
        value, _ = _source(nodes, source)
        options = mapping(source.get("options"))
        if value is not _MISSING:
            value = _cut(value, options)
        for target in replacement.get("targets") or []:
            if isinstance(target, dict):
                _apply(nodes, target, value)


def _apply(nodes: list[Node], target: dict[str, Any], value: Any) -> None:
    select = mapping(target.get("select"))
    options = mapping(target.get("options"))
    create = bool(options.get("create"))
    for node in nodes:
        if not selects(select, node) or _rejected(target.get("reject"), node):
            continue
        for field_path in target.get("fieldPaths") or []:
            parts = split_path(str(field_path))
            if value is _MISSING:
                node.unknown.add(re.sub(r"\.?\[[^\]]*\]", "", ".".join(parts)))
                continue
            holders = list(_holders(node.body, parts, create))
            if not holders:
                raise ReplacementError(f"unable to find field {field_path} in replacement target")
            for holder, key in holders:
                holder[key] = _put(holder[key], value, options)
