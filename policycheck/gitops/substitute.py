"""Flux post-build variable substitution on parsed objects.

Flux replaces `${VAR}`, `${VAR:=default}` and `${VAR:-default}` in the text of
every manifest a Kustomization with `postBuild` deploys. Here the values that
are literal in the repository (`postBuild.substitute`, `substituteFrom` of a
ConfigMap in the repository, `variables:` in `.policycheck.yaml`) are applied
to the string values of the parsed object; a reference with no known value is
left as written, so a name that still holds `${...}` is reported as
unresolvable rather than as a missing object.

Bodies are shared between commits and must not be mutated: substitution
returns a copy where something changed and the same object otherwise.
"""

from __future__ import annotations

import re
from typing import Any

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")
# A Helm template expression left in a chart's values (rendered by the chart's `tpl` at deploy time).
HELM_EXPRESSION = re.compile(r"\{\{-?\s*[^}]*\}\}")


def has_variables(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(has_variables(v) or has_variables(k) for k, v in value.items())
    if isinstance(value, list):
        return any(has_variables(v) for v in value)
    return False


def substitute_text(text: str, variables: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return variables[name]
        if op is not None:
            return default or ""
        return match.group(0)

    return VARIABLE.sub(one, text)


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """A copy of `value` with known variables replaced; `value` itself when nothing changes."""
    if isinstance(value, str):
        return substitute_text(value, variables) if "${" in value else value
    if isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for k, v in value.items():
            nv = substitute(v, variables)
            changed = changed or nv is not v
            out[k] = nv
        return out if changed else value
    if isinstance(value, list):
        items = [substitute(v, variables) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def unresolved(text: str) -> list[str]:
    """Names of the variables still referenced in a string."""
    return [m.group(1) for m in VARIABLE.finditer(text)]


def helm_expressions(text: str) -> list[str]:
    """The Helm template expressions (`{{ ... }}`) a string still holds."""
    return HELM_EXPRESSION.findall(text)
