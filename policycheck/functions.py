"""Custom JMESPath functions policies may call, beside JMESPath's own.

Each is a `_func_<name>` method with its signature, as jmespath.py expects.
Lookups into the whole state read the evaluation's `StateView`, which the
engine binds before evaluating a resource.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Callable

import jmespath
from jmespath import functions

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

    @functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_glob(self, pattern: str, value: str) -> bool:
        return fnmatch.fnmatchcase(value, pattern)

    @functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_regex_match(self, pattern: str, value: str) -> bool:
        compiled = self._regex.get(pattern)
        if compiled is None:
            compiled = self._regex[pattern] = re.compile(pattern)
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

    @functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_hostname_under(self, hostname: str, domain: str) -> bool:
        """hostname equals domain or is a subdomain of it (wildcards count as their suffix)."""
        host = hostname.lower().rstrip(".")
        dom = domain.lower().rstrip(".").lstrip("*.")
        host = host[2:] if host.startswith("*.") else host
        return host == dom or host.endswith("." + dom)

    @functions.signature({"types": []})
    def _func_to_json(self, value: Any) -> str:
        import json

        return json.dumps(value, sort_keys=True, separators=(",", ":"))


def make_options() -> tuple[jmespath.Options, PolicyFunctions]:
    funcs = PolicyFunctions()
    return jmespath.Options(custom_functions=funcs), funcs


FUNCTION_NAMES = tuple(sorted(n[len("_func_"):] for n in vars(PolicyFunctions) if n.startswith("_func_")))
