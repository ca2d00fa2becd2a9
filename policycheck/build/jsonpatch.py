"""JSON patches (RFC 6902), the operations kustomize's `patches` and `patchesJson6902` apply."""

from __future__ import annotations

import copy
from typing import Any


class PatchFailed(Exception):
    """An operation that cannot apply (kustomize stops the build); carries the path it touched."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed(f"path {path!r} does not start with /", path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def dotted(path: str) -> str:
    """A JSON pointer written as the dotted field path unknown fields are named by."""
    try:
        return ".".join(pointer(path))
    except PatchFailed:
        return path


def apply(doc: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """The patched document (a new one); raises PatchFailed on the first operation that cannot apply."""
    out = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchFailed("an operation is not a mapping", "")
        name, path = op.get("op"), op.get("path")
        if not isinstance(path, str):
            raise PatchFailed(f"operation {name!r} has no path", "")
        if name == "add":
            out = _add(out, pointer(path), copy.deepcopy(op.get("value")), path)
        elif name == "remove":
            _remove(out, pointer(path), path)
        elif name == "replace":
            parts = pointer(path)
            # kustomize's JSON patch replaces a missing field of an existing mapping by adding it.
            if not parts or not isinstance(_parent(out, parts, path), dict) or parts[-1] in _parent(out, parts, path):
                _remove(out, parts, path)
            out = _add(out, pointer(path), copy.deepcopy(op.get("value")), path)
        elif name in ("move", "copy"):
            source = op.get("from")
            if not isinstance(source, str):
                raise PatchFailed(f"{name} without from", path)
            value = copy.deepcopy(_get(out, pointer(source), source))
            if name == "move":
                _remove(out, pointer(source), source)
            out = _add(out, pointer(path), value, path)
        elif name == "test":
            if _get(out, pointer(path), path) != op.get("value"):
                raise PatchFailed("test failed", path)
        else:
            raise PatchFailed(f"unknown operation {name!r}", path)
    return out


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        node = _step(node, part, path)
    return node


def _step(node: Any, part: str, path: str) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise PatchFailed(f"no field {part!r}", path)
        return node[part]
    if isinstance(node, list):
        index = _index(part, len(node), path)
        if index >= len(node):
            raise PatchFailed(f"index {part} out of range", path)
        return node[index]
    raise PatchFailed(f"cannot descend into {part!r}", path)


def _index(part: str, length: int, path: str) -> int:
    if part == "-":
        return length
    if not part.isdigit():
        raise PatchFailed(f"{part!r} is not a list index", path)
    return int(part)


def _get(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts:
        node = _step(node, part, path)
    return node


def _add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = _index(last, len(parent), path)
        if index > len(parent):
            raise PatchFailed(f"index {last} out of range", path)
        parent.insert(index, value)
    else:
        raise PatchFailed(f"cannot add under {last!r}", path)
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> None:
    if not parts:
        raise PatchFailed("cannot remove the whole document", path)
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed(f"no field {last!r}", path)
        del parent[last]
    elif isinstance(parent, list):
        index = _index(last, len(parent), path)
        if index >= len(parent):
            raise PatchFailed(f"index {last} out of range", path)
        del parent[index]
    else:
        raise PatchFailed(f"cannot remove {last!r}", path)
