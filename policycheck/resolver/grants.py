"""ReferenceGrant: whether an object may refer to one in another namespace.

Both served versions (v1beta1 and v1) share the group and kind, so a state
holds them under one key space. A grant lives in the target's namespace; it
admits a reference when one `from` entry names the referrer's group, kind and
namespace and one `to` entry names the target's group and kind, and, when
`to.name` is set, its name.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from policycheck.model import GATEWAY_GROUP, ResourceKey
from policycheck.resolver.fields import as_str, dicts
from policycheck.resolver.refs import normalize_group
from policycheck.state import State


class Grants:
    """ReferenceGrants indexed by namespace, read once per resolution."""

    def __init__(self, state: State) -> None:
        self._by_ns: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for res in state.of_kind(GATEWAY_GROUP, "ReferenceGrant"):
            self._by_ns[res.key.namespace].append(res.spec)

    def permits(self, source: ResourceKey, target: ResourceKey) -> bool:
        """Whether `source` may refer to `target` (always true within one namespace)."""
        if source.namespace == target.namespace:
            return True
        for spec in self._by_ns.get(target.namespace, ()):
            if any(_from_matches(f, source) for f in dicts(spec.get("from"))) and any(
                _to_matches(t, target) for t in dicts(spec.get("to"))
            ):
                return True
        return False


def _from_matches(entry: dict[str, Any], source: ResourceKey) -> bool:
    return (
        normalize_group(as_str(entry.get("group")) or "", "spec") == source.group
        and as_str(entry.get("kind")) == source.kind
        and as_str(entry.get("namespace")) == source.namespace
    )


def _to_matches(entry: dict[str, Any], target: ResourceKey) -> bool:
    name = as_str(entry.get("name"))
    return (
        normalize_group(as_str(entry.get("group")) or "", "spec") == target.group
        and as_str(entry.get("kind")) == target.kind
        and (not name or name == target.name)
    )
