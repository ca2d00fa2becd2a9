"""Loading policies: YAML files validated by a JSON Schema, JMESPath compiled once.

A policy that does not load stops the run (exit 2) with `file:line`: a check
that silently does not run looks exactly like a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jmespath.exceptions import JMESPathError

from policycheck.config import load_mapping
from policycheck.diagnostics import RESERVED
from policycheck.errors import ConfigError
from policycheck.expressions import TooDeep, compile_bounded
from policycheck.functions import signatures
from policycheck.yamlsource import LineMap

_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")


@dataclass(frozen=True)
class Template:
    """A message with {expr} holes, each a compiled JMESPath expression."""

    parts: tuple[str | Any, ...]

    def render(self, context: Any, options: Any, visit: Callable[[Any, Any], Any] | None = None) -> str:
        """The message for `context`; `visit(parsed, context)` evaluates a hole when given (an
        interpreter kept by the caller), else each hole is searched with `options`."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = visit(part.parsed, context) if visit is not None else part.search(context, options=options)
                out.append(_text(value))
        return "".join(out)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Policy:
    id: str
    severity: str
    description: str
    message: Template
    source: str
    line: int = 1
    title: str = ""
    rationale: str = ""
    help: str = ""
    example: str = ""
    opt_in: bool = False
    kinds: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    routes_only: bool = False
    operations: frozenset[str] = frozenset({"create", "update", "none"})
    for_each: Any = None
    when: Any = None
    severity_from: Any = None
    location: Any = None
    ref: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    # Reads the whole state through lookup functions: never served from cache.
    global_: bool = False
    # The expressions as written, for `policycheck policies show`.
    expressions: dict[str, str] = field(default_factory=dict)
    # Top-level facts the expressions read (None: possibly all of them, e.g. through `@`):
    # a policy's outcome for an object is reused while these facts are unchanged.
    reads: frozenset[str] | None = None


_GLOBAL_FUNCS = ("lookup", "lookup_old", "objects", "objects_old")
_EXPRESSION_KEYS = ("forEach", "when", "severityFrom", "location", "ref")


def _compile(expr: str | None, source: str, lines: LineMap, key: str) -> Any:
    """A compiled expression; a syntax error or an unknown function stops the run at the key's line."""
    if expr is None:
        return None
    try:
        compiled = compile_bounded(expr)
    except JMESPathError as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{key}: JMESPath does not compile: {first}", source, lines(0, (key,))) from None
    except TooDeep as exc:
        raise ConfigError(f"{key}: {exc}", source, lines(0, (key,))) from None
    problem = _check_calls(compiled.parsed)
    if problem:
        raise ConfigError(f"{key}: {problem} in {expr.strip()!r}", source, lines(0, (key,)))
    return compiled


def _check_calls(node: Any) -> str:
    """The first call to an unknown function or with the wrong number of arguments, else ""."""
    if not isinstance(node, dict):
        return ""
    children = node.get("children", [])
    if node.get("type") in ("subexpression", "index_expression") and children and \
            isinstance(children[0], dict) and children[0].get("type") == "not_expression":
        # `!a.b` parses as `(!a).b`, which is always null: never what the author meant.
        return "`!` binds tighter than `.` or `[`: write !(a.b), not !a.b,"
    if node.get("type") == "function_expression":
        name, args = node.get("value"), node.get("children", [])
        known = signatures()
        if name not in known:
            return f"unknown function {name}() (see docs/policies.md for the functions policies may call)"
        arity, variadic = known[name]
        if (len(args) < arity) if variadic else (len(args) != arity):
            return f"{name}() takes {'at least ' if variadic else ''}{arity} argument(s), got {len(args)}"
    for child in node.get("children", []):
        problem = _check_calls(child)
        if problem:
            return problem
    return ""


def _calls(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    out = {node["value"]} if node.get("type") == "function_expression" else set()
    for child in node.get("children", []):
        out |= _calls(child)
    return out


# Node types whose children are evaluated against the current node as given, in order.
_SAME_SCOPE = frozenset({"or_expression", "and_expression", "not_expression", "comparator", "multi_select_list",
                         "multi_select_dict", "key_val_pair", "function_expression", "flatten"})
# Node types whose first child is evaluated against the current node, the rest against its result.
_LEFT_SCOPE = frozenset({"subexpression", "index_expression", "projection", "value_projection",
                         "filter_projection", "pipe"})
_NO_READ = frozenset({"literal", "index", "slice", "expref"})


def root_fields(node: Any, at_root: bool = True) -> frozenset[str] | None:
    """The top-level fields of the input an expression reads; None when it may read the input whole.

    Below a projection, a filter, a pipe or a sub-expression the current node is no longer the
    input, so only names looked up at the top count. Anything unfamiliar counts as reading all.
    """
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field":
        return frozenset({node["value"]}) if at_root else frozenset()
    if kind in ("identity", "current"):
        return None if at_root else frozenset()
    if kind in _NO_READ:
        return frozenset()
    if kind in _SAME_SCOPE:
        scopes = [at_root] * len(children)
    elif kind in _LEFT_SCOPE:
        scopes = [at_root] + [False] * (len(children) - 1)
    else:
        return None
    out: set[str] = set()
    for child, scope in zip(children, scopes, strict=True):
        found = root_fields(child, scope)
        if found is None:
            return None
        out |= found
    return frozenset(out)


def _template(message: str, source: str, lines: LineMap) -> Template:
    parts: list[str | Any] = []
    pos = 0
    for m in _TEMPLATE.finditer(message):
        parts.append(message[pos:m.start()])
        if m.group(0) == "{{":
            parts.append("{")
        elif m.group(0) == "}}":
            parts.append("}")
        else:
            parts.append(_compile(m.group(1).strip(), source, lines, "message"))
        pos = m.end()
    parts.append(message[pos:])
    return Template(tuple(p for p in parts if p != ""))


def parse_policy(text: str, source: str, expected_id: str | None = None) -> Policy:
    data = load_mapping(text, source, "policy.schema.json", "policy file holds exactly one mapping")
    pid = data["id"]
    if pid in RESERVED:
        raise ConfigError(f"id: {pid!r} is reserved for the loader's own diagnostics", source,
                          LineMap(text)(0, ("id",)))
    if expected_id is not None and pid != expected_id:
        raise ConfigError(f"id: {pid!r} must equal the file name {expected_id!r}", source,
                          LineMap(text)(0, ("id",)))
    lines = LineMap(text)
    match = data.get("match", {})
    message = _template(data["message"], source, lines)
    compiled = {k: _compile(data.get(k), source, lines, k) for k in _EXPRESSION_KEYS}
    calls: set[str] = set()
    reads: set[str] | None = set()
    for expr in [*compiled.values(), *(p for p in message.parts if not isinstance(p, str))]:
        if expr is not None:
            calls |= _calls(expr.parsed)
            found = root_fields(expr.parsed)
            reads = None if found is None or reads is None else reads | found
    return Policy(
        id=pid,
        severity=data["severity"],
        description=data["description"].strip(),
        message=message,
        source=source,
        line=lines(0, ("id",)),
        title=data.get("title", ""),
        rationale=data.get("rationale", "").strip(),
        help=data.get("help", "").strip(),
        example=data.get("example", "").rstrip(),
        opt_in=bool(data.get("optIn", False)),
        kinds=frozenset(match["kinds"]) if "kinds" in match else None,
        groups=frozenset(match["groups"]) if "groups" in match else None,
        routes_only=bool(match.get("routes", False)),
        operations=frozenset(match.get("operations", ("create", "update", "none"))),
        for_each=compiled["forEach"],
        when=compiled["when"],
        severity_from=compiled["severityFrom"],
        location=compiled["location"],
        ref=compiled["ref"],
        params=dict(data.get("params", {})),
        # Reads the whole state, or the commit: never carried over from the parent state.
        global_=bool(calls & set(_GLOBAL_FUNCS)) or any("commit" in str(data.get(k, ""))
                                                          for k in ("message", *_EXPRESSION_KEYS)),
        expressions={k: data[k].strip() for k in ("message", *_EXPRESSION_KEYS) if k in data},
        reads=frozenset(reads) if reads is not None else None,
    )


def builtin_dir() -> Path:
    """The built-in policies: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "builtin_policies"
    if packaged.is_dir():
        return packaged
    try:
        import policycheck.builtin_policies as bp  # type: ignore[import-not-found]

        paths = list(getattr(bp, "__path__", []))
        if paths:
            return Path(paths[0])
    except ImportError:
        pass
    return here.parent / "policies"


def policy_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def load_folder(folder: Path, label: str | None = None) -> list[Policy]:
    policies = []
    for path in policy_files(folder):
        source = f"{label}/{path.name}" if label else str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read policy: {exc}", source) from None
        policies.append(parse_policy(text, source, path.stem))
    return policies


def load_texts(files: Iterable[tuple[str, str]]) -> list[Policy]:
    """Policies given as (source name, text), e.g. read from the base revision."""
    return [parse_policy(text, src, Path(src).stem) for src, text in files]


def check_unique(policies: list[Policy]) -> None:
    seen: dict[str, Policy] = {}
    for p in policies:
        if p.id in seen:
            raise ConfigError(f"id: policy {p.id!r} is defined twice (also in {seen[p.id].source})", p.source,
                              p.line)
        seen[p.id] = p
