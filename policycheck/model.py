"""Resource identity and source locations, shared by every stage.

A resource is identified by API group, kind, namespace and name: never by the
version, so an apiVersion bump is not a new object, and never by the file, so
moving a manifest is not a change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

GATEWAY_GROUP = "gateway.networking.k8s.io"
LINKERD_POLICY_GROUP = "policy.linkerd.io"
CORE_GROUP = ""

# Route kinds by API group; every served version of each is read.
ROUTE_KINDS: dict[str, frozenset[str]] = {
    GATEWAY_GROUP: frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}),
    LINKERD_POLICY_GROUP: frozenset({"HTTPRoute", "GRPCRoute"}),
}

# Kinds Kubernetes never namespaces; everything else defaults to a namespace.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        (GATEWAY_GROUP, "GatewayClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("storage.k8s.io", "StorageClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("cert-manager.io", "ClusterIssuer"),
    }
)


def kind_text(group: str, kind: str) -> str:
    """A kind as a reader names it: `Gateway` for the Gateway API's own group (a parentRef's default) and
    the core group, `Server.policy.linkerd.io` for any other."""
    return kind if group in (CORE_GROUP, GATEWAY_GROUP) else f"{kind}.{group}"


def group_of(api_version: str) -> str:
    """`apps/v1` -> `apps`; `v1` -> `` (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else CORE_GROUP


def is_route(group: str, kind: str) -> bool:
    return kind in ROUTE_KINDS.get(group, frozenset())


def is_cluster_scoped(group: str, kind: str) -> bool:
    return (group, kind) in CLUSTER_SCOPED


class ResourceKey(NamedTuple):
    """What makes two manifests the same object, across files and commits.

    A named tuple rather than a dataclass: keys are hashed millions of times
    per run, and a tuple's hash is computed in C.
    """

    group: str
    kind: str
    namespace: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"group": self.group, "kind": self.kind, "namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        gk = kind_text(self.group, self.kind)
        return f"{gk} {self.namespace}/{self.name}" if self.namespace else f"{gk} {self.name}"


PathPart = str | int
# Resolves a path inside a document (("spec", "parentRefs", 1)) to a 1-based line.
Locator = Callable[[int, tuple[PathPart, ...]], int]


def _no_locator(doc_index: int, path: tuple[PathPart, ...]) -> int:
    return 1


@dataclass(frozen=True, eq=False)
class Resource:
    """One Kubernetes object of one state, with where it was written.

    `body` is the parsed document and must be treated as read-only: the same
    dict is shared by every commit in which the blob is unchanged.
    """

    key: ResourceKey
    api_version: str
    body: dict[str, Any]
    file: str
    doc_index: int
    blob: str = ""
    origin: str = "manifest"
    locator: Locator = field(default=_no_locator, repr=False, compare=False)
    # Path inside the document where the object's body lives (for extracted
    # objects, e.g. a route lifted from HelmRelease values).
    base_path: tuple[PathPart, ...] = ()

    @property
    def line(self) -> int:
        return self.locator(self.doc_index, self.base_path)

    def line_of(self, *path: PathPart) -> int:
        """Line of a nested node, falling back to the nearest ancestor that exists."""
        return self.locator(self.doc_index, self.base_path + tuple(path))

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        md = self.body.get("metadata")
        labels = md.get("labels") if isinstance(md, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        md = self.body.get("metadata")
        ann = md.get("annotations") if isinstance(md, dict) else None
        return {str(k): str(v) for k, v in ann.items()} if isinstance(ann, dict) else {}
