"""Declarative extractors: routes written inside chart values, lifted into route objects.

Many repositories declare routes in a HelmRelease's values (the bjw-s
`app-template` chart's `spec.values.route.<name>`) rather than as HTTPRoute
manifests; they become routes only when the chart renders. An extractor says,
in YAML and JMESPath (schema `schemas/extractor.schema.json`), which objects
carry such routes, where the items are, and how each becomes a route: name,
namespace, the spec fields copied from the item, and fields set on nested
nodes (a backendRef naming a chart Service by identifier). The lifted route
keeps the carrying object's file; its `base_path` is the item's node and its
locator maps `spec.<field>...` to the item's own field, so a finding on
`spec.parentRefs[1]` points at the line of that parentRef in the values.

Shipped definitions live in `policycheck/extractors/*.yaml`; `.policycheck.yaml`
may add definitions, replace a shipped one (same id) or turn it off
(`{id: app-template, enabled: false}`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from policycheck.errors import ConfigError
from policycheck.expressions import TooDeep, compile_bounded
from policycheck.functions import PolicyFunctions
from policycheck.model import Locator, PathPart, Resource, ResourceKey, group_of
from policycheck.yamlsource import LineMap, load_documents


class ExtractorFunctions(PolicyFunctions):
    """The policy functions, plus lookups by a computed key (JMESPath has none)."""

    @functions.signature({"types": ["object", "null"]}, {"types": ["string", "null"]})  # type: ignore[untyped-decorator]
    def _func_get(self, obj: dict[str, Any] | None, key: str | None) -> Any:
        return obj.get(key) if isinstance(obj, dict) and key is not None else None

    @functions.signature({"types": ["object"]})  # type: ignore[untyped-decorator]
    def _func_enabled_keys(self, obj: dict[str, Any]) -> list[str]:
        """Keys whose value is not `{enabled: false}`, in written order."""
        return [str(k) for k, v in obj.items() if not (isinstance(v, dict) and v.get("enabled") is False)]


_OPTIONS = jmespath.Options(custom_functions=ExtractorFunctions())


@dataclass(frozen=True)
class Extractor:
    id: str
    group: str | None
    kind: str
    when: ParsedResult | None
    values: tuple[PathPart, ...]
    items: tuple[PathPart, ...]
    vars: tuple[tuple[str, ParsedResult], ...]
    object: dict[str, ParsedResult]
    spec: dict[str, tuple[PathPart, ...]]
    set: tuple[tuple[tuple[PathPart, ...], tuple[tuple[str, ParsedResult], ...]], ...]
    source: str

    def applies(self, res: Resource, chart: dict[str, str] | None = None) -> bool:
        """Whether it reads `res`; `match.when` sees the object with `chart`, what it installs (gitops.charts)."""
        if res.key.kind != self.kind or (self.group is not None and res.key.group != self.group):
            return False
        if self.when is None:
            return True
        return _truthy(self.when.search({**res.body, "chart": chart}, options=_OPTIONS))


def _truthy(value: Any) -> bool:
    return value not in (False, None, "", [], {})


def _compile(expr: str, where: str, source: str, line: int) -> ParsedResult:
    try:
        return compile_bounded(expr)
    except JMESPathError as exc:
        raise ConfigError(f"extractor {where}: JMESPath does not compile: {exc}", source, line) from None
    except TooDeep as exc:
        raise ConfigError(f"extractor {where}: {exc}", source, line) from None


def parse_extractor(data: Any, source: str, text: str = "", doc_index: int = 0,
                    base: tuple[PathPart, ...] = ()) -> Extractor | None:
    """One definition, validated; None for `enabled: false`."""
    lines = LineMap(text) if text else None

    def line(*path: PathPart) -> int:
        return lines(doc_index, base + path) if lines else 0  # 0: no line known

    from policycheck import config

    error = None
    from policycheck.shipped import validated_when_shipped

    known = config.known_valid is not None and config.known_valid("extractor.schema.json", data)
    if not known and not validated_when_shipped("extractor.schema.json", data):
        import jsonschema

        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(data))
    if error is not None:
        path = tuple(error.absolute_path)
        where = "/".join(str(p) for p in path) or "top level"
        raise ConfigError(f"extractor {where}: {error.message}", source, line(*path))
    if data.get("enabled") is False:
        return None
    match = data["match"]
    xid = data["id"]
    setters = []
    for i, item in enumerate(data.get("set", [])):
        fields = tuple((f, _compile(e, f"{xid} set[{i}].fields.{f}", source, line("set", i, "fields", f)))
                       for f, e in item["fields"].items())
        setters.append((tuple(item["at"]), fields))
    when = match.get("when")
    return Extractor(
        id=xid, group=match.get("group"), kind=match["kind"],
        when=_compile(when, f"{xid} match.when", source, line("match", "when")) if when is not None else None,
        values=tuple(data["values"]), items=tuple(data["items"]),
        vars=tuple((k, _compile(v, f"{xid} vars.{k}", source, line("vars", k)))
                   for k, v in data.get("vars", {}).items()),
        object={k: _compile(v, f"{xid} object.{k}", source, line("object", k)) for k, v in data["object"].items()},
        spec={k: tuple(v) for k, v in data["spec"].items()},
        set=tuple(setters),
        source=source,
    )


def _schema() -> dict[str, Any]:
    import json

    path = resources.files("policycheck").joinpath("schemas").joinpath("extractor.schema.json")
    text = path.read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def shipped() -> list[Extractor]:
    out = []
    folder = resources.files("policycheck").joinpath("extractors")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        text = entry.read_text(encoding="utf-8")
        docs, _ = load_documents(text)
        ex = parse_extractor(docs[0] if docs else None, f"extractors/{entry.name}", text)
        if ex is not None:
            out.append(ex)
    return out


def configured(items: Iterable[Any], source: str = ".policycheck.yaml", text: str = "") -> list[Extractor]:
    """Shipped extractors, replaced, turned off or extended by the configuration's `extractors:`."""
    by_id = {ex.id: ex for ex in shipped()}
    for i, item in enumerate(items):
        xid = item.get("id") if isinstance(item, dict) else None
        ex = parse_extractor(item, source, text, 0, ("extractors", i))
        if ex is None:
            by_id.pop(str(xid), None)
        else:
            by_id[ex.id] = ex
    return list(by_id.values())


def _at(doc: Any, path: tuple[PathPart, ...]) -> Any:
    for part in path:
        if isinstance(doc, dict) and isinstance(part, str):
            doc = doc.get(part)
        elif isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc):
            doc = doc[part]
        else:
            return None
    return doc


def _nodes(doc: Any, path: tuple[PathPart, ...]) -> list[Any]:
    """Every node at a path where `*` walks all list items or map values."""
    if not path:
        return [doc]
    head, rest = path[0], path[1:]
    if head == "*":
        children = doc if isinstance(doc, list) else list(doc.values()) if isinstance(doc, dict) else []
        return [n for c in children for n in _nodes(c, rest)]
    child = _at(doc, (head,))
    return [] if child is None else _nodes(child, rest)


class ExtractionError(ValueError):
    """An extractor failed on one object (bad JMESPath types, a name that is not a string)."""


def _field_locator(inner: Locator, base: tuple[PathPart, ...], fields: dict[str, tuple[PathPart, ...]]) -> Locator:
    """Maps `spec.<field>.rest` of the lifted route onto the item's own nodes."""
    return _FieldLocator(inner, base, fields)


@dataclass(frozen=True, eq=False)
class _FieldLocator:
    """A lifted route's locator: a record, not a closure, so that a stored state can hold it."""

    inner: Locator
    base: tuple[PathPart, ...]
    fields: dict[str, tuple[PathPart, ...]]

    def __call__(self, doc_index: int, path: tuple[PathPart, ...]) -> int:
        base = self.base
        if path[: len(base)] == base:
            rest = path[len(base):]
            if len(rest) >= 2 and rest[0] == "spec" and isinstance(rest[1], str) and rest[1] in self.fields:
                path = base + self.fields[rest[1]] + rest[2:]
            else:
                path = base
        return self.inner(doc_index, path)


def extract(ex: Extractor, res: Resource) -> list[Resource]:
    """The objects `ex` lifts out of `res` (which it applies to)."""
    values = _at(res.body, ex.values)
    container = _at(values, ex.items) if values is not None else None
    if isinstance(container, dict):
        entries: list[tuple[PathPart, Any]] = [(str(k), v) for k, v in container.items()]
    elif isinstance(container, list):
        entries = list(enumerate(container))
    else:
        return []
    ctx: dict[str, Any] = {"object": res.body, "values": values, "namespace": res.key.namespace, "vars": {}}
    try:
        for name, expr in ex.vars:
            ctx["vars"] = {**ctx["vars"], name: expr.search(ctx, options=_OPTIONS)}
        enabled = []
        for key, item in entries:
            if not isinstance(item, dict):
                continue
            if "enabled" in ex.object and not _truthy(ex.object["enabled"].search({**ctx, "key": key, "item": item},
                                                                                    options=_OPTIONS)):
                continue
            enabled.append((key, item))
        return [_one(ex, res, ctx, key, item, len(enabled)) for key, item in enabled]
    except (JMESPathError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ExtractionError(f"extractor {ex.id} failed on {res.key}: {type(exc).__name__}: {exc}") from None


def _one(ex: Extractor, res: Resource, base_ctx: dict[str, Any], key: PathPart, item: dict[str, Any],
         count: int) -> Resource:
    ctx = {**base_ctx, "key": key, "item": item, "count": count}
    fields = {f: ex.object[f].search(ctx, options=_OPTIONS) for f in ("apiVersion", "kind", "name", "namespace")
              if f in ex.object}
    api_version, kind, name = fields.get("apiVersion"), fields.get("kind"), fields.get("name")
    namespace = fields.get("namespace") or res.key.namespace
    for label, value in (("apiVersion", api_version), ("kind", kind), ("name", name), ("namespace", namespace)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{label} of item {key!r} is {value!r}, not a non-empty string")
    assert isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str)
    spec: dict[str, Any] = {}
    for field, path in ex.spec.items():
        value = _at(item, path)
        if value is not None:
            spec[field] = copy.deepcopy(value)
    for at, setters in ex.set:
        for node in _nodes(spec, at):
            if not isinstance(node, dict):
                continue
            node_ctx = {**ctx, "node": dict(node)}
            for field, expr in setters:
                value = expr.search(node_ctx, options=_OPTIONS)
                if value is None:
                    node.pop(field, None)
                else:
                    node[field] = value
    body = {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": dict(res.annotations)},
            "spec": spec}
    base = res.base_path + ex.values + ex.items + (key,)
    return Resource(ResourceKey(group_of(api_version), kind, str(namespace), name), api_version, body, res.file,
                    res.doc_index, res.blob, f"extracted:{ex.id}", _field_locator(res.locator, base, ex.spec), base)
