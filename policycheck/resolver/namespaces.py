"""Namespace labels and label selectors, for allowedRoutes / allowedListeners.

Kubernetes gives every Namespace the label `kubernetes.io/metadata.name`, so a
selector on that label alone is decided even without a Namespace manifest. Any
other selector needs the namespace's labels: when the repository has no
Namespace manifest, the answer is Unknown (None), not False, since the
namespace may well be created elsewhere with the right labels.
"""

from __future__ import annotations

import re
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.fields import as_dict, as_list, as_str
from policycheck.state import State

NAME_LABEL = "kubernetes.io/metadata.name"


# (id(selector), namespace) -> (selector, Namespace object or None, answer), across resolutions: a
# listener's selector is asked once per namespace, not once per route and commit. The answer reads
# the selector and the Namespace object only, so it holds while both are the same objects; both are
# held, so that their ids are not reused.
_SELECTED: dict[tuple[int, str], tuple[Any, Resource | None, bool | None]] = {}
SELECTED_LIMIT = 100_000


class Namespaces:
    """Labels of the Namespaces a state defines, and which of them label selectors select."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._cache: dict[str, dict[str, str] | None] = {}

    def _namespace(self, namespace: str) -> Resource | None:
        return self._state.get(ResourceKey(CORE_GROUP, "Namespace", "", namespace))

    def labels(self, namespace: str) -> dict[str, str] | None:
        """All labels of the namespace, or None when no manifest defines it."""
        if namespace not in self._cache:
            res = self._namespace(namespace)
            self._cache[namespace] = None if res is None else {**res.labels, NAME_LABEL: namespace}
        return self._cache[namespace]

    def selects(self, selector: Any, namespace: str) -> bool | None:
        """Whether a LabelSelector selects the namespace; None when the repository cannot tell."""
        memo = (id(selector), namespace)
        hit = _SELECTED.get(memo)
        res = self._namespace(namespace)
        if hit is not None and hit[0] is selector and hit[1] is res:
            return hit[2]
        answer = self._selects(selector, namespace)
        if len(_SELECTED) >= SELECTED_LIMIT:
            _SELECTED.clear()
        _SELECTED[memo] = (selector, res, answer)
        return answer

    def _selects(self, selector: Any, namespace: str) -> bool | None:
        if selector_problem(selector) is not None:
            return False
        labels = self.labels(namespace)
        if labels is None:
            if not _only_name_label(selector):
                return None
            labels = {NAME_LABEL: namespace}
        return selector_matches(selector, labels)


_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_LABEL_NAME = re.compile(_NAME)
_LABEL_VALUE = re.compile(f"({_NAME})?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _label_key_problem(key: Any) -> str | None:
    if not isinstance(key, str):
        return "a label key must be a string"
    prefix, _, name = key.rpartition("/")
    if "/" in key and not (len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"label key {key!r} has an invalid prefix"
    if not (len(name) <= 63 and _LABEL_NAME.fullmatch(name)):
        return f"label key {key!r} is not a valid label name"
    return None


def _label_value_problem(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        return f"label value {value!r} is not valid"
    return None


def selector_problem(selector: Any) -> str | None:
    """Why a LabelSelector is invalid (Kubernetes would refuse to convert it), or None when it is valid.

    An invalid selector selects nothing: an `Exists` / `DoesNotExist` expression with values, an
    `In` / `NotIn` without, an unknown operator, or a key or value that is not a label's.
    """
    if not isinstance(selector, dict):
        return "the selector must be a mapping"
    match_labels = selector.get("matchLabels")
    if match_labels is not None:
        if not isinstance(match_labels, dict):
            return "matchLabels must be a mapping"
        for key, value in match_labels.items():
            problem = _label_key_problem(key) or _label_value_problem(value)
            if problem:
                return problem
    expressions = selector.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        return "matchExpressions must be a list"
    for raw in expressions or []:
        if not isinstance(raw, dict):
            return "a matchExpressions item must be a mapping"
        operator, values = raw.get("operator"), raw.get("values")
        if operator not in OPERATORS:
            return f"operator {operator!r} is not one of {', '.join(OPERATORS)}"
        if values is not None and not isinstance(values, list):
            return "values must be a list"
        if operator in ("In", "NotIn") and not values:
            return f"operator {operator} needs values"
        if operator in ("Exists", "DoesNotExist") and values:
            return f"operator {operator} takes no values"
        problem = _label_key_problem(raw.get("key")) or next(
            (p for p in (_label_value_problem(v) for v in values or []) if p), None)
        if problem:
            return problem
    return None


def _only_name_label(selector: Any) -> bool:
    sel = as_dict(selector)
    keys = set(as_dict(sel.get("matchLabels")))
    keys.update(as_str(as_dict(e).get("key")) or "" for e in as_list(sel.get("matchExpressions")))
    return bool(keys) and keys == {NAME_LABEL}


def selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics; a missing or malformed selector selects nothing."""
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels")
    if match_labels is not None:
        if not isinstance(match_labels, dict):
            return False
        for key, value in match_labels.items():
            if labels.get(str(key)) != str(value):
                return False
    expressions = selector.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        return False
    return all(_expression_matches(raw, labels) for raw in as_list(expressions))


def _expression_matches(raw: Any, labels: dict[str, str]) -> bool:
    expr = as_dict(raw)
    key, operator = as_str(expr.get("key")), as_str(expr.get("operator"))
    values = {str(v) for v in as_list(expr.get("values"))}
    if key is None:
        return False
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False
