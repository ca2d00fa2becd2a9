"""`policycheck inventory` output: the objects a state or a build deploys, as JSON or text.

Each object carries `apiVersion`, `kind`, `namespace` (null where nothing sets
one), `name`, `cluster`, `file` (relative to the repository root), `line` and
`deployedBy` (the kustomizations that carry it, outermost first, ending with
its file). A build's objects also carry the built `object` and the fields the
build cannot compute (`unknownFields`); output only Helm or a remote source
knows is listed under `unknown`, never as objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from policycheck.build.kustomize import Build
from policycheck.gitops.repository import Decision
from policycheck.state import State


def build_json(build: Build) -> dict[str, Any]:
    objects = []
    for obj in build.objects:
        entry: dict[str, Any] = {
            "apiVersion": obj.api_version, "kind": obj.kind, "namespace": obj.namespace, "name": obj.name,
            "cluster": None, "file": obj.file, "line": obj.line,
            "deployedBy": [*obj.chain, obj.file] if obj.chain[-1:] != (obj.file,) else list(obj.chain),
        }
        if obj.unknown:
            entry["unknownFields"] = list(obj.unknown)
        entry["object"] = obj.body
        objects.append(entry)
    return {"objects": objects, "notDeployed": [],
            "unknown": [{"file": u.file, "line": u.line, "reason": u.reason} for u in build.unknown]}


def render_build(build: Build, fmt: str) -> str:
    data = build_json(build)
    return _json(data) if fmt == "json" else _text(data)


def state_json(states: Mapping[str | None, State], chains: Mapping[str, tuple[str, ...]],
               not_deployed: list[tuple[str, str]], repository: Decision) -> dict[str, Any]:
    """Every object each cluster's state judges (None: no cluster), with the chain deploying its file."""
    objects = []
    for cluster, state in states.items():
        for res in sorted(state.resources.values(), key=lambda r: (r.file, r.line, r.key)):
            objects.append({"apiVersion": res.api_version, "kind": res.key.kind,
                            "namespace": res.key.namespace or None, "name": res.key.name, "cluster": cluster,
                            "file": res.file, "line": res.line, "deployedBy": list(chains.get(res.file, (res.file,)))})
    return {"objects": objects, "notDeployed": [{"file": f, "reason": why} for f, why in not_deployed],
            "unknown": [], "repository": {"urls": sorted(repository.urls), "rule": repository.rule}}


def render_state(states: Mapping[str | None, State], chains: Mapping[str, tuple[str, ...]],
                 not_deployed: list[tuple[str, str]], repository: Decision, fmt: str) -> str:
    data = state_json(states, chains, not_deployed, repository)
    return _json(data) if fmt == "json" else _text(data)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def _text(data: dict[str, Any]) -> str:
    lines = []
    for obj in data["objects"]:
        where = f"{obj['namespace']}/{obj['name']}" if obj["namespace"] else obj["name"]
        via = " <- " + " <- ".join(reversed(obj["deployedBy"][:-1])) if len(obj["deployedBy"]) > 1 else ""
        cluster = f" [{obj['cluster']}]" if obj.get("cluster") else ""
        unknown = f" (unknown: {', '.join(obj['unknownFields'])})" if obj.get("unknownFields") else ""
        lines.append(f"{obj['kind']} {where}{cluster}  {obj['file']}:{obj['line']}{via}{unknown}")
    for item in data.get("unknown", []):
        lines.append(f"unknown: {item['reason']}  {item['file']}:{item['line']}")
    for item in data.get("notDeployed", []):
        lines.append(f"not deployed: {item['file']}: {item['reason']}")
    lines.append(f"{len(data['objects'])} objects")
    if data.get("repository"):
        urls = ", ".join(data["repository"]["urls"]) or "none known"
        lines.append(f"this repository: {urls} ({data['repository']['rule']})")
    return "\n".join(lines) + "\n"
