"""parentRef defaults, so two spellings of one parent compare equal.

Defaults follow the CRDs: for `gateway.networking.k8s.io` routes a parentRef
defaults to group `gateway.networking.k8s.io`, kind `Gateway`; Linkerd's
`policy.linkerd.io` HTTPRoute CRD declares `default: policy.linkerd.io` for the
group and `default: Gateway` for the kind (a combination no controller serves,
so such a parent is left unmanaged). The namespace defaults to the route's.

The core API group is spelled `""` by the Gateway API spec and `core` by its
mesh (GAMMA) documentation and by Linkerd. Both profiles read `core` as the
core group; the spec profile only in lower case, as the docs write it, while
the `linkerd` profile compares it case-insensitively as Linkerd's
policy-controller does. The ParentRef always carries the normalized `""`, so
comparisons after defaults are stable (`group: core` -> `group: ""` is not a
change).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policycheck.model import GATEWAY_GROUP, LINKERD_POLICY_GROUP, Resource, ResourceKey
from policycheck.resolver.fields import as_int, as_list, as_str
from policycheck.resolver.memo import BodyMemo
from policycheck.status import ParentRef

CORE_ALIASES = ("", "core")


def normalize_group(group: str, profile: str) -> str:
    """`core` -> `""` (case-insensitively under the linkerd profile)."""
    if group == "core" or (profile == "linkerd" and group.lower() == "core"):
        return ""
    return group


def default_parent_group(route: ResourceKey) -> str:
    return LINKERD_POLICY_GROUP if route.group == LINKERD_POLICY_GROUP else GATEWAY_GROUP


@dataclass(frozen=True)
class SpecParentRef:
    """A well-formed spec.parentRefs item with the defaults applied."""

    index: int
    ref: ParentRef


def parent_ref(route: ResourceKey, raw: dict[str, Any], profile: str) -> ParentRef | None:
    """The defaulted ParentRef of one item, or None when it is malformed (no usable name)."""
    name = as_str(raw.get("name"))
    if not name:
        return None
    group = as_str(raw.get("group"))
    kind = as_str(raw.get("kind"))
    namespace = as_str(raw.get("namespace"))
    section = as_str(raw.get("sectionName"))
    return ParentRef(
        group=normalize_group(default_parent_group(route) if group is None else group, profile),
        kind=kind or "Gateway",
        namespace=namespace or route.namespace,
        name=name,
        section_name=section or None,
        port=as_int(raw.get("port")),
    )


def parent_refs(route: ResourceKey, spec: dict[str, Any], profile: str) -> Iterator[SpecParentRef]:
    """Every usable parentRef of a route spec; malformed items are skipped (validation reports them)."""
    for index, raw in enumerate(as_list(spec.get("parentRefs"))):
        if isinstance(raw, dict):
            ref = parent_ref(route, raw, profile)
            if ref is not None:
                yield SpecParentRef(index, ref)


_SPEC_REFS: BodyMemo[tuple[SpecParentRef, ...]] = BodyMemo()


def spec_parent_refs(route: Resource, profile: str) -> tuple[SpecParentRef, ...]:
    """`parent_refs` of a route, parsed once per body across resolutions (status and validation both read them)."""
    return _SPEC_REFS.get(route, profile, lambda: tuple(parent_refs(route.key, route.spec, profile)))
