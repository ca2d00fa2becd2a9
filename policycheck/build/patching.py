"""Applying one patch document (strategic merge or JSON patch) to the objects it targets."""

from __future__ import annotations

from typing import Any

from policycheck.build import jsonpatch, merge
from policycheck.build.nodes import Node, mapping, selects


class NoTarget(Exception):
    """A patch without target that names no object, or more than one (kustomize refuses it)."""


def named_by(patch: dict[str, Any], nodes: list[Node]) -> list[Node]:
    """The objects a patch without target names by its own kind, name and namespace (any name they had)."""
    md = mapping(patch.get("metadata"))
    api = str(patch.get("apiVersion") or "")
    group, version = (api.rsplit("/", 1) if "/" in api else ("", api))
    kind, name, ns = patch.get("kind"), md.get("name"), md.get("namespace")

    def same(n: Node) -> bool:
        return n.kind == kind and n.group == group and any(
            x == name and (x_ns or "default") == (ns or "default") for x_ns, x in n.ids)
    found = [n for n in nodes if same(n)]
    exact = [n for n in found if n.version == version]
    return exact or found


def apply_patch(nodes: list[Node], patch: Any, target: dict[str, Any] | None, strict: bool = True) -> list[Node]:
    """The objects after the patch (a `$patch: delete` removes its objects).

    `strict`: a patch without target must name exactly one object (as kustomize
    requires of a whole build); otherwise it applies to whichever of `nodes` it names.
    """
    if isinstance(patch, list):
        if target is None:
            raise NoTarget("a JSON patch needs a target")
        for node in nodes:
            if selects(target, node):
                _json_patch(node, patch)
        return nodes
    if not isinstance(patch, dict):
        return nodes
    if target is not None:
        chosen = [n for n in nodes if selects(target, n)]
    else:
        chosen = named_by(patch, nodes)
        if strict and len(chosen) != 1:
            what = "no" if not chosen else "more than one"
            raise NoTarget(f"{what} resource matches the patch of {patch.get('kind')} "
                           f"{mapping(patch.get('metadata')).get('name')}")
    for node in chosen:
        # The object keeps its current name, namespace and kind, whichever of its names the patch used.
        own = {**patch, "metadata": {**mapping(patch.get("metadata")), "name": node.name}}
        own["metadata"].pop("namespace", None)
        if node.namespace is not None:
            own["metadata"]["namespace"] = node.namespace
        own["apiVersion"], own["kind"] = node.api_version, node.kind
        merged = merge.strategic_merge(node.body, own, node.kind)
        if merged is merge.DELETE:
            nodes = [n for n in nodes if n is not node]
        else:
            node.body = merged
    return nodes


def _json_patch(node: Node, ops: list[Any]) -> None:
    try:
        node.body = jsonpatch.apply(node.body, ops)
    except jsonpatch.PatchFailed as exc:
        # kustomize stops here; the fields this patch writes cannot be known.
        node.unknown.update(jsonpatch.dotted(op.get("path", "")) for op in ops if isinstance(op, dict))
        node.unknown.add(jsonpatch.dotted(exc.path))
