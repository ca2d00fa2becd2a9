"""Custom JMESPath functions policies may call, beside JMESPath's own.

Each is a `_func_<name>` method with its signature, as jmespath.py expects.
Lookups into the whole state read the evaluation's `StateView`, which the
engine binds before evaluating a resource.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

import jmespath
from jmespath import functions

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")

# (kind, namespace, name, group or None) -> body or None; and a lister of bodies.
Lookup = Callable[[str, str, str, str | None], Any]
Lister = Callable[[str, str | None, str | None], list[Any]]


def _none_lookup(kind: str, namespace: str, name: str, group: str | None) -> Any:
    return None


def _none_list(kind: str, namespace: str | None, group: str | None) -> list[Any]:
    return []


class PolicyFunctions(functions.Functions):
    """Functions documented in docs/policies.md; names are the part after `_func_`."""

    def __init__(self) -> None:
        super().__init__()
        self.lookup: Lookup = _none_lookup
        self.lookup_old: Lookup = _none_lookup
        self.objects: Lister = _none_list
        self.objects_old: Lister = _none_list
        self._regex: dict[str, re.Pattern[str]] = {}

    @functions.signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_lookup(self, kind: str, namespace: str, name: str) -> Any:
        return self.lookup(kind, namespace, name, None)

    @functions.signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_lookup_old(self, kind: str, namespace: str, name: str) -> Any:
        return self.lookup_old(kind, namespace, name, None)

    @functions.signature({"types": ["string"]}, {"types": ["string", "null"]})
    def _func_objects(self, kind: str, namespace: str | None) -> list[Any]:
        return self.objects(kind, namespace, None)

    @functions.signature({"types": ["string"]}, {"types": ["string", "null"]})
    def _func_objects_old(self, kind: str, namespace: str | None) -> list[Any]:
        return self.objects_old(kind, namespace, None)

    @functions.signature({"types": ["string", "array"]}, {"types": ["string"]})
    def _func_glob(self, pattern: str | list[Any], value: str) -> bool:
        """Shell-style match; with a list of patterns, whether any matches."""
        patterns = [pattern] if isinstance(pattern, str) else pattern
        return any(isinstance(p, str) and fnmatch.fnmatchcase(value, p) for p in patterns)

    @functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_regex_match(self, pattern: str, value: str) -> bool:
        compiled = self._regex.get(pattern)
        if compiled is None:
            try:
                compiled = self._regex[pattern] = re.compile(pattern)
            except re.error as exc:  # a policy bug: reported as the policy's runtime error
                raise ValueError(f"regex_match: bad pattern {pattern!r}: {exc}") from None
        return compiled.search(value) is not None

    @functions.signature({"types": ["array"]}, {"types": ["array"]})
    def _func_difference(self, left: list[Any], right: list[Any]) -> list[Any]:
        return [x for x in left if x not in right]

    @functions.signature({"types": ["array"]}, {"types": ["array"]})
    def _func_intersection(self, left: list[Any], right: list[Any]) -> list[Any]:
        return [x for x in left if x in right]

    @functions.signature({"types": ["array"]})
    def _func_unique(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for v in values:
            if v not in out:
                out.append(v)
        return out

    @functions.signature({"types": ["string"]})
    def _func_lower(self, value: str) -> str:
        return value.lower()

    @functions.signature({"types": ["string"]})
    def _func_upper(self, value: str) -> str:
        return value.upper()

    @functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_split(self, value: str, sep: str) -> list[str]:
        return value.split(sep)

    @functions.signature({"types": ["string"]}, {"types": ["string", "array"]})
    def _func_hostname_under(self, hostname: str, domain: str | list[Any]) -> bool:
        """hostname equals a domain or is a subdomain of it (wildcards count as their suffix).

        With a list of domains, whether the hostname is under any of them; an
        empty list allows nothing.
        """
        host = hostname.lower().rstrip(".")
        host = host[2:] if host.startswith("*.") else host
        for dom in [domain] if isinstance(domain, str) else domain:
            if not isinstance(dom, str):
                continue
            d = dom.lower().rstrip(".")
            d = d[2:] if d.startswith("*.") else d.lstrip(".")
            if d and (host == d or host.endswith("." + d)):
                return True
        return False

    @functions.signature({"types": ["object", "null"]}, {"types": ["string"]})
    def _func_get(self, obj: dict[str, Any] | None, key: str) -> Any:
        """obj[key], or null: JMESPath has no way to index an object by a computed key."""
        return None if obj is None else obj.get(key)

    @functions.signature({"types": []})
    def _func_indexed(self, values: Any) -> list[dict[str, Any]]:
        """[{index, value}] for each element, so a finding can point at the element's line.

        Anything but an array (a missing or mistyped field) gives [].
        """
        return [{"index": i, "value": v} for i, v in enumerate(values)] if isinstance(values, list) else []

    @functions.signature({"types": ["string"]})
    def _func_variables_in(self, value: str) -> list[str]:
        """Names of Flux-style `${VAR}` placeholders left in a string (with or without a default)."""
        return [m.group(1) for m in _VARIABLE.finditer(value)]

    @functions.signature({"types": []})
    def _func_to_json(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))


def signatures() -> dict[str, tuple[int, bool]]:
    """Every callable function (JMESPath's and ours): name -> (arity, variadic)."""
    table = PolicyFunctions().FUNCTION_TABLE
    return {name: (len(entry["signature"]), any(a.get("variadic") for a in entry["signature"]))
            for name, entry in table.items()}


def make_options() -> tuple[jmespath.Options, PolicyFunctions]:
    funcs = PolicyFunctions()
    return jmespath.Options(custom_functions=funcs), funcs


FUNCTION_NAMES = tuple(sorted(n[len("_func_"):] for n in vars(PolicyFunctions) if n.startswith("_func_")))
