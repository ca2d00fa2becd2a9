"""Strategic merge patches, as kustomize applies them.

Kinds Kubernetes ships carry merge keys in their schema (containers merge by
`name`, a Service's ports by `port`, ...): a patch's list element with the same
key is merged into the original one, a new one is added, and the result lists
the patch's elements first, in the patch's order, then the original's others.
Every other list, and every list of a kind kustomize has no schema for (custom
resources such as routes and Gateways), is replaced by the patch's. `null`
removes a field; the `$patch` directives (`delete`, `replace`, `merge`),
`$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`
are honoured.
"""

from __future__ import annotations

import copy
from typing import Any

_POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
# Lists of a pod spec, and of a container, that merge by a key.
_POD_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
             "imagePullSecrets": "name", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
             "resourceClaims": "name", "schedulingGates": "name"}
_CONTAINER_KEYS = {"env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
                   "volumeDevices": "devicePath", "resizePolicy": "resourceName"}
# Primitive lists whose schema says "merge" (their values are a set).
_MERGED_PRIMITIVES = frozenset({("metadata", "finalizers")})

DELETE = object()  # the patch deletes the whole object


def merge_key(kind: str, path: tuple[str, ...]) -> str | None:
    """The merge key of the list at `path` (map keys only) of an object of `kind`; None: replaced."""
    if path == ("metadata", "ownerReferences"):
        return "uid"
    if kind == "Service" and path == ("spec", "ports"):
        return "port"
    pod = _POD_SPECS.get(kind)
    if pod is None or path[:len(pod)] != pod:
        return None
    rest = path[len(pod):]
    if len(rest) == 1:
        return _POD_KEYS.get(rest[0])
    if len(rest) == 2 and rest[0] in _CONTAINER_LISTS:
        return _CONTAINER_KEYS.get(rest[1])
    return None


def knows(kind: str) -> bool:
    """Whether kustomize reads this kind with a schema (lists may merge)."""
    return kind in _POD_SPECS or kind == "Service"


def strategic_merge(original: dict[str, Any], patch: dict[str, Any], kind: str) -> Any:
    """The merged object (a new one); `DELETE` when the patch deletes the object."""
    if patch.get("$patch") == "delete":
        return DELETE
    return _merge_map(original, patch, kind, ())


def _merge_map(original: dict[str, Any], patch: dict[str, Any], kind: str, path: tuple[str, ...]) -> dict[str, Any]:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = dict(original)
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if not isinstance(key, str):
            out[key] = copy.deepcopy(value)
            continue
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(out.get(field), list) and isinstance(value, list):
                out[field] = [v for v in out[field] if v not in value]
            continue
        if value is None:
            out.pop(key, None)
            continue
        here = out.get(key)
        sub = (*path, key)
        if isinstance(value, dict):
            if value.get("$patch") == "delete":
                out.pop(key, None)
            elif isinstance(here, dict):
                out[key] = _merge_map(here, value, kind, sub)
            else:
                out[key] = _merge_map({}, value, kind, sub)
        elif isinstance(value, list):
            out[key] = _merge_list(here if isinstance(here, list) else [], value, kind, sub)
        else:
            out[key] = value
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(original: list[Any], patch: list[Any], kind: str, path: tuple[str, ...]) -> list[Any]:
    key = merge_key(kind, path)
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_clean(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if key is None:
        if path in _MERGED_PRIMITIVES:
            return [*original, *(v for v in patch if v not in original)]
        return [_clean(item) for item in patch]
    merged: list[Any] = []
    taken: set[int] = set()
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            merged.append(copy.deepcopy(item))
            continue
        at = next((i for i, old in enumerate(original)
                   if i not in taken and isinstance(old, dict) and old.get(key) == item[key]), None)
        if at is not None:
            taken.add(at)
        if item.get("$patch") == "delete":
            continue
        base = original[at] if at is not None else {}
        merged.append(_merge_map(base, item, kind, path))
    return merged + [old for i, old in enumerate(original) if i not in taken]


def _clean(item: Any) -> Any:
    """A patch value with its directives and nulls taken out, as a new value."""
    if isinstance(item, dict):
        return {k: _clean(v) for k, v in item.items()
                if v is not None and not (isinstance(k, str) and k.startswith("$"))}
    if isinstance(item, list):
        return [_clean(v) for v in item]
    return item
