"""The built-in transformers of a kustomization: namespace, name prefix and suffix, labels,
annotations, images, replicas, and the name references kustomize rewrites after a rename."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from policycheck.build.merge import _POD_SPECS
from policycheck.build.nodes import Node, effective, mapping

# Kinds kustomize's schema knows as cluster-scoped (it sets no namespace on them). Kinds it does
# not know, custom resources included, are namespaced to kustomize, a GatewayClass as well.
CLUSTER_SCOPED = frozenset({
    ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"), ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"), ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"), ("certificates.k8s.io", "CertificateSigningRequest"),
    ("networking.k8s.io", "IngressClass"), ("policy", "PodSecurityPolicy"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("authentication.k8s.io", "TokenReview"), ("authorization.k8s.io", "SubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"), ("authorization.k8s.io", "SelfSubjectRulesReview"),
})
_NOT_RENAMED = frozenset({("", "Namespace"), ("apiextensions.k8s.io", "CustomResourceDefinition"),
                          ("apiregistration.k8s.io", "APIService")})
_WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")

# (kind, path, create) where a label goes; "*" is every kind, "[]" every item of a list.
_META_LABELS = (("*", "metadata.labels", True),)
_TEMPLATE_LABELS = (
    *((k, "spec.template.metadata.labels", True) for k in (*_WORKLOADS, "Job", "ReplicationController")),
    ("CronJob", "spec.jobTemplate.metadata.labels", True),
    ("CronJob", "spec.jobTemplate.spec.template.metadata.labels", True),
)
_SELECTOR_LABELS = (
    ("Service", "spec.selector", True), ("ReplicationController", "spec.selector", True),
    *((k, "spec.selector.matchLabels", True) for k in _WORKLOADS),
    ("Job", "spec.selector.matchLabels", False),
    ("CronJob", "spec.jobTemplate.spec.selector.matchLabels", False),
    ("PodDisruptionBudget", "spec.selector.matchLabels", False),
    ("NetworkPolicy", "spec.podSelector.matchLabels", False),
    ("NetworkPolicy", "spec.ingress.[].from.[].podSelector.matchLabels", False),
    ("NetworkPolicy", "spec.egress.[].to.[].podSelector.matchLabels", False),
    ("StatefulSet", "spec.volumeClaimTemplates.[].metadata.labels", True),
    *((k, f"spec.template.spec.affinity.{a}.{term}.labelSelector.matchLabels", False)
      for k in ("Deployment", "StatefulSet") for a in ("podAffinity", "podAntiAffinity")
      for term in ("preferredDuringSchedulingIgnoredDuringExecution.podAffinityTerm",
                   "requiredDuringSchedulingIgnoredDuringExecution")),
    *((k, "spec.template.spec.topologySpreadConstraints.labelSelector.matchLabels", False)
      for k in ("Deployment", "StatefulSet")),
)
_ANNOTATIONS = (
    ("*", "metadata.annotations", True),
    *((k, "spec.template.metadata.annotations", True) for k in (*_WORKLOADS, "Job", "ReplicationController")),
    ("CronJob", "spec.jobTemplate.metadata.annotations", True),
    ("CronJob", "spec.jobTemplate.spec.template.metadata.annotations", True),
)


def cluster_scoped(node: Node) -> bool:
    return (node.group, node.kind) in CLUSTER_SCOPED


def _maps_at(node: Any, parts: list[str], create: bool) -> Iterator[dict[str, Any]]:
    if not parts:
        if isinstance(node, dict):
            yield node
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):  # field specs go through lists, written `[]` or not
        for item in node:
            yield from _maps_at(item, rest if head == "[]" else parts, create)
        return
    if head == "[]":
        return
    if not isinstance(node, dict):
        return
    if head not in node or node[head] is None:
        if not create or (rest and rest[0] == "[]"):
            return
        node[head] = {}
    yield from _maps_at(node[head], rest, create)


def _set_fields(nodes: Iterable[Node], values: dict[str, Any], specs: Iterable[tuple[str, str, bool]]) -> None:
    pairs = {str(k): str(v) if v is not None else "" for k, v in values.items()}
    for node in nodes:
        for kind, path, create in specs:
            if kind not in ("*", node.kind):
                continue
            for target in _maps_at(node.body, path.split("."), create):
                target.update(pairs)


def set_namespace(nodes: Iterable[Node], namespace: str) -> None:
    """kustomize's namespace transformer: namespaced objects move; Namespace objects are renamed to it."""
    nodes = list(nodes)
    moved = []
    for node in nodes:
        if (node.group, node.kind) == ("", "Namespace"):
            node.rename(None, namespace)
        elif not cluster_scoped(node):
            moved.append((node, node.namespace))
            node.rename(namespace, node.name)
    # Subjects naming a service account that moved follow it (kustomize matches them by name, whatever their kind).
    accounts = [(sa.name, effective(old)) for sa, old in moved if sa.kind == "ServiceAccount"]
    for node in nodes:
        if node.kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        for subject in node.body.get("subjects") or []:
            if not isinstance(subject, dict):
                continue
            written = subject.get("namespace")
            if any(subject.get("name") == name and (written is None or effective(written) == old)
                   for name, old in accounts):
                subject["namespace"] = namespace


def add_affixes(nodes: Iterable[Node], prefix: str, suffix: str) -> None:
    for node in nodes:
        if (node.group, node.kind) not in _NOT_RENAMED and node.name:
            node.rename(None, f"{prefix}{node.name}{suffix}")


def add_labels(nodes: list[Node], labels: dict[str, Any], selectors: bool, templates: bool) -> None:
    specs: tuple[tuple[str, str, bool], ...] = _META_LABELS
    if selectors:
        specs += _TEMPLATE_LABELS + _SELECTOR_LABELS
    elif templates:
        specs += _TEMPLATE_LABELS
    _set_fields(nodes, labels, specs)


def add_annotations(nodes: list[Node], annotations: dict[str, Any]) -> None:
    _set_fields(nodes, annotations, _ANNOTATIONS)


def _containers(value: Any) -> Iterator[dict[str, Any]]:
    """Every item of a `containers` or `initContainers` list anywhere in the object (custom resources too)."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("containers", "initContainers") and isinstance(child, list):
                for item in child:
                    if isinstance(item, dict):
                        yield item
            yield from _containers(child)
    elif isinstance(value, list):
        for child in value:
            yield from _containers(child)


def _split_image(image: str) -> tuple[str, str]:
    """`name` and the rest (`:tag`, `@digest`, or both)."""
    at = image.find("@")
    head, digest = (image[:at], image[at:]) if at >= 0 else (image, "")
    colon = head.rfind(":")
    if colon > head.rfind("/"):
        return head[:colon], head[colon:] + digest
    return head, digest


def set_images(nodes: Iterable[Node], images: list[Any]) -> None:
    for node in nodes:
        for container in list(_containers(node.body)):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            name, rest = _split_image(image)
            for entry in images:
                if not isinstance(entry, dict) or entry.get("name") != name:
                    continue
                if entry.get("newName"):
                    name = str(entry["newName"])
                if entry.get("digest"):
                    rest = "@" + str(entry["digest"])
                elif entry.get("newTag") is not None:
                    rest = ":" + str(entry["newTag"])
                container["image"] = name + rest
                break


def set_replicas(nodes: Iterable[Node], replicas: list[Any]) -> None:
    for node in nodes:
        if node.kind not in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
            continue
        for entry in replicas:
            if isinstance(entry, dict) and any(entry.get("name") == n for _, n in node.ids):
                spec = node.body.setdefault("spec", {})
                if isinstance(spec, dict):
                    spec["replicas"] = entry.get("count")


# -- name references -----------------------------------------------------------------------------

_POD_REFS = {
    "ConfigMap": ("volumes.[].configMap.name", "volumes.[].projected.sources.[].configMap.name",
                  "C.env.[].valueFrom.configMapKeyRef.name", "C.envFrom.[].configMapRef.name"),
    "Secret": ("volumes.[].secret.secretName", "volumes.[].projected.sources.[].secret.name",
               "C.env.[].valueFrom.secretKeyRef.name", "C.envFrom.[].secretRef.name", "imagePullSecrets.[].name"),
    "ServiceAccount": ("serviceAccountName", "serviceAccount"),
    "PersistentVolumeClaim": ("volumes.[].persistentVolumeClaim.claimName",),
}
_OTHER_REFS: dict[str, tuple[tuple[str, str], ...]] = {
    "Service": (("Ingress", "spec.rules.[].http.paths.[].backend.service.name"),
                ("Ingress", "spec.defaultBackend.service.name"), ("StatefulSet", "spec.serviceName")),
    "Secret": (("Ingress", "spec.tls.[].secretName"), ("ServiceAccount", "secrets.[].name"),
               ("ServiceAccount", "imagePullSecrets.[].name")),
}


def _set_names(container: Any, parts: list[str], old: str, new: str) -> None:
    """Replace `old` by `new` at the path (its last part is the field holding the name)."""
    for holder in _maps_at(container, parts[:-1], False):
        if holder.get(parts[-1]) == old:
            holder[parts[-1]] = new


def _same_place(referrer: Node, target: Node) -> bool:
    here = effective(referrer.namespace)
    return cluster_scoped(referrer) or any(here == effective(ns) for ns, _ in target.ids)


_REFERABLE = frozenset({*_POD_REFS, *_OTHER_REFS, "Role", "ClusterRole", "Deployment", "StatefulSet", "ReplicaSet"})


_WEBHOOKS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})


def _fix_webhooks(nodes: list[Node]) -> None:
    """A webhook's `clientConfig.service` names a Service of the build: it follows its name and namespace."""
    services = [n for n in nodes if n.kind == "Service" and n.group == ""]
    for node in nodes:
        if node.kind not in _WEBHOOKS:
            continue
        for ref in _maps_at(node.body, ["webhooks", "[]", "clientConfig", "service"], False):
            for svc in services:
                written = ref.get("namespace")
                if any(ref.get("name") == name and (written is None or effective(written) == effective(ns))
                       for ns, name in svc.ids):
                    ref["name"] = svc.name
                    if svc.namespace is not None:
                        ref["namespace"] = svc.namespace
                    break


def _fix_configured(nodes: list[Node], configured: list[dict[str, Any]]) -> None:
    """`nameReference` entries of the kustomizations' `configurations` files."""
    for entry in configured:
        kind, group = entry.get("kind"), entry.get("group")
        for target in nodes:
            if target.kind != kind or (group and target.group != group) or len(target.ids) < 2:
                continue
            for old in {n for _, n in target.ids if n != target.name}:
                for spec in entry.get("fieldSpecs") or []:
                    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                        continue
                    for node in nodes:
                        if node.kind == spec.get("kind") and _same_place(node, target):
                            _set_names(node.body, spec["path"].split("/"), old, target.name)


def fix_references(nodes: list[Node], configured: list[dict[str, Any]] | None = None) -> None:
    """Point references that use any earlier name of a ConfigMap, Secret, Service, ... at its current name.

    kustomize resolves a reference written with a name the object had at any
    step of the build (a patch in an overlay may still say `config` for what a
    base renamed `app-config`), within the object's namespace.
    """
    _fix_webhooks(nodes)
    if configured:
        _fix_configured(nodes, configured)
    for target in nodes:
        if target.kind not in _REFERABLE or len(target.ids) < 2:
            continue
        new, kind = target.name, target.kind
        for old in {n for _, n in target.ids if n != new}:
            for node in nodes:
                if node is not target and _same_place(node, target):
                    _fix_one(node, kind, old, new, target)


def _fix_one(node: Node, kind: str, old: str, new: str, target: Node) -> None:
    pod = _POD_SPECS.get(node.kind)
    if pod is not None:
        for spec in _maps_at(node.body, list(pod), False):
            for path in _POD_REFS.get(kind, ()):
                parts = path.split(".")
                if parts[0] == "C":
                    for field in ("containers", "initContainers", "ephemeralContainers"):
                        _set_names(spec, [field, "[]", *parts[1:]], old, new)
                else:
                    _set_names(spec, parts, old, new)
    for referrer_kind, path in _OTHER_REFS.get(kind, ()):
        if node.kind == referrer_kind:
            _set_names(node.body, path.split("."), old, new)
    if node.kind in ("RoleBinding", "ClusterRoleBinding"):
        _fix_binding(node, target, old)
    if node.kind == "HorizontalPodAutoscaler":
        ref = mapping(node.body.get("spec")).get("scaleTargetRef")
        if isinstance(ref, dict) and ref.get("kind") == kind and ref.get("name") == old:
            ref["name"] = new


def _fix_binding(node: Node, target: Node, old: str) -> None:
    ref = node.body.get("roleRef")
    if isinstance(ref, dict) and ref.get("kind") == target.kind and ref.get("name") == old and target.kind in (
            "Role", "ClusterRole"):
        ref["name"] = target.name
    if target.kind == "ServiceAccount":
        for subject in node.body.get("subjects") or []:
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount" and subject.get("name") == old:
                subject["name"] = target.name
