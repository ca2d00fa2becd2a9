"""What a kustomization does to each object on its own, for placing one file at a time.

A commit's state is placed file by file (gitops/layout.py). The transformers
that need no other file than the kustomization itself (name prefix and suffix,
labels, annotations, inline patches) are written down as one *step* per
kustomization, a canonical JSON text, so that a placement stays hashable and
equal across commits while the kustomization is unchanged. The namespace is
applied by the placement itself. Patches kept in their own files and
replacements need other files: `policycheck inventory PATH` computes them.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from policycheck.build import transformers
from policycheck.build.nodes import Node, mapping
from policycheck.build.patching import NoTarget, apply_patch
from policycheck.yamlsource import load_documents


def _inline(text: Any) -> list[Any]:
    if isinstance(text, (dict, list)):
        return [text]
    if not isinstance(text, str) or ("\n" not in text and ":" not in text):
        return []
    docs, error = load_documents(text)
    return [] if error is not None else [d for d in docs if d is not None]


def step_of(k: dict[str, Any]) -> str:
    """The step of a kustomization's document; "" when it changes no object on its own."""
    spec: dict[str, Any] = {}
    for field in ("namePrefix", "nameSuffix"):
        if isinstance(k.get(field), str) and k[field]:
            spec[field] = k[field]
    for field in ("commonLabels", "commonAnnotations"):
        if isinstance(k.get(field), dict) and k[field]:
            spec[field] = {str(a): "" if b is None else str(b) for a, b in k[field].items()}
    labels = [e for e in k.get("labels") or [] if isinstance(e, dict) and isinstance(e.get("pairs"), dict)]
    if labels:
        spec["labels"] = [{"pairs": {str(a): str(b) for a, b in e["pairs"].items()},
                           "selectors": bool(e.get("includeSelectors")),
                           "templates": bool(e.get("includeTemplates"))} for e in labels]
    early: list[Any] = []
    for entry in k.get("patchesStrategicMerge") or []:
        early += [[doc, None] for doc in _inline(entry)]
    for entry in k.get("patches") or []:
        if isinstance(entry, dict):
            target = entry.get("target") if isinstance(entry.get("target"), dict) else None
            early += [[doc, target] for doc in _inline(entry.get("patch"))]
    late: list[Any] = []
    for entry in k.get("patchesJson6902") or []:
        if isinstance(entry, dict) and isinstance(entry.get("target"), dict):
            late += [[doc, entry["target"]] for doc in _inline(entry.get("patch"))]
    if early:
        spec["patches"] = early
    if late:
        spec["json6902"] = late
    return json.dumps(spec, sort_keys=True, default=str) if spec else ""


@lru_cache(maxsize=4096)
def _spec(step: str) -> dict[str, Any]:
    loaded = json.loads(step)
    return loaded if isinstance(loaded, dict) else {}


def _patch(nodes: list[Node], patches: list[Any]) -> list[Node]:
    for patch, target in patches:
        try:
            nodes = apply_patch(nodes, patch, target, strict=False)
        except NoTarget:
            continue
    return nodes


def apply_steps(body: dict[str, Any], steps: tuple[str, ...]) -> dict[str, Any] | None:
    """The object after the steps of its kustomizations, innermost first; None when a patch deletes it."""
    nodes = [Node(copy.deepcopy(body), "", 0, 0)]
    for step in steps:
        spec = _spec(step)
        nodes = _patch(nodes, spec.get("patches") or [])
        if spec.get("namePrefix") or spec.get("nameSuffix"):
            transformers.add_affixes(nodes, str(spec.get("namePrefix") or ""), str(spec.get("nameSuffix") or ""))
        if spec.get("commonLabels"):
            transformers.add_labels(nodes, mapping(spec["commonLabels"]), True, True)
        for entry in spec.get("labels") or []:
            transformers.add_labels(nodes, mapping(entry.get("pairs")), bool(entry.get("selectors")),
                                    bool(entry.get("templates")))
        if spec.get("commonAnnotations"):
            transformers.add_annotations(nodes, mapping(spec["commonAnnotations"]))
        nodes = _patch(nodes, spec.get("json6902") or [])
        if not nodes:
            return None
    return nodes[0].body
