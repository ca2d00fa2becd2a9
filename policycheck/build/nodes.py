"""One object while a build transforms it, and how patches and replacements select objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Node:
    """An object being built: its body (owned by the build), where it was written, the names it had."""

    body: dict[str, Any]
    file: str
    line: int
    doc_index: int
    chain: tuple[str, ...] = ()  # the kustomizations it went through, outermost first
    ids: list[tuple[str | None, str]] = field(default_factory=list)  # (namespace, name), oldest first
    unknown: set[str] = field(default_factory=set)  # dotted fields the build cannot compute
    hashed: bool = False  # takes the generators' hash suffix at the end
    generated: bool = False

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids.append((self.namespace, self.name))

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def meta(self) -> dict[str, Any]:
        md = self.body.get("metadata")
        if not isinstance(md, dict):
            md = self.body["metadata"] = {}
        return md

    @property
    def name(self) -> str:
        value = self.meta.get("name")
        return value if isinstance(value, str) else ""

    @property
    def namespace(self) -> str | None:
        value = self.meta.get("namespace")
        return value if isinstance(value, str) and value else None

    def rename(self, namespace: str | None, name: str) -> None:
        if namespace is not None:
            self.meta["namespace"] = namespace
        self.meta["name"] = name
        if self.ids[-1] != (self.namespace, self.name):
            self.ids.append((self.namespace, self.name))

    def labels(self) -> dict[str, Any]:
        value = self.meta.get("labels")
        return value if isinstance(value, dict) else {}

    def annotations(self) -> dict[str, Any]:
        value = self.meta.get("annotations")
        return value if isinstance(value, dict) else {}


def _full(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(f"(?:{pattern})\\Z")
    except re.error:
        return None


def _label_selector(selector: str, labels: dict[str, Any]) -> bool:
    """A label selector in its string form (`a=b,c!=d,e in (f,g),!h,i`)."""
    for term in re.split(r",(?![^()]*\))", selector):
        term = term.strip()
        if not term:
            continue
        m = re.fullmatch(r"(\S+?)\s+(in|notin)\s+\((.*)\)", term)
        if m:
            values = {v.strip() for v in m.group(3).split(",")}
            has = m.group(1) in labels and str(labels[m.group(1)]) in values
            if has != (m.group(2) == "in"):
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if key in labels and str(labels[key]) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if key not in labels or str(labels[key]) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def effective(namespace: str | None) -> str:
    return namespace or "default"


def selects(selector: dict[str, Any], node: Node) -> bool:
    """Whether a patch target / replacement selector picks this object (name and namespace are
    anchored regular expressions matched against any name the object had)."""
    for key, have in (("group", node.group), ("version", node.version), ("kind", node.kind)):
        want = selector.get(key)
        if want and want != have:
            return False
    name = selector.get("name")
    if name:
        pattern = _full(str(name))
        if pattern is None or not any(pattern.match(n) for _, n in node.ids):
            return False
    namespace = selector.get("namespace")
    if namespace:
        pattern = _full(str(namespace))
        if pattern is None or not any(pattern.match(effective(ns)) for ns, _ in node.ids):
            return False
    labels = selector.get("labelSelector")
    if labels and not _label_selector(str(labels), node.labels()):
        return False
    annotations = selector.get("annotationSelector")
    return not annotations or _label_selector(str(annotations), node.annotations())


def mapping(value: Any) -> dict[str, Any]:
    """The value when it is a mapping, else an empty one (fields a kustomization may leave out or mistype)."""
    return value if isinstance(value, dict) else {}
