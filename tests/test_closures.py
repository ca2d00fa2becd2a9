"""Compiled closures give what jmespath's interpreter gives, for every node type and value, errors included."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
from jmespath.visitor import TreeInterpreter

from policycheck.closures import Closures
from policycheck.functions import make_options
from policycheck.policy import builtin_dir, load_folder

EXPRESSIONS = [
    "a", "a.b", "a.b.c", "a[0]", "a[-1]", "a[5]", "a[1:]", "a[::-1]", "a[:2].b", "a[*]", "a[*].b", "a[]",
    "a[][]", "*.b", "a.*", "@", "a | b", "a | [0]", "[a, b]", "{x: a, y: b.c}", "a || b", "a && b", "!a",
    "!(a.b)", "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b", "a == `1`", "a == `true`",
    "a == `0`", "a != `false`", "b == `null`", "a == 'x'", "a[?b == `1`]", "a[?b]", "a[?!b].c",
    "a[?b > `1` && c]", "a[?b == 'x' || c == `2`].b", "length(a)", "keys(@)", "sort_by(a, &b)",
    "max_by(a, &b).b", "map(&b, a)", "not_null(a, b)", "join(', ', a)", "contains(a, 'x')",
    "to_string(a)", "type(a)", "glob(a, 'x')", "get(a, 'b')", "indexed(a)[?value]", "`[\"s\", 1]`",
    "'raw'", "a[?type(@) == 'object'].b[0]", "a.b[?c].d | [0]", "reverse(a)", "a[0].b || a[1].b",
]

VALUES: list[Any] = [
    None, 0, 1, True, False, "", "x", [], {}, [1, 2, 3], {"a": None}, {"a": 0, "b": False},
    {"a": 1, "b": True}, {"a": 0, "b": 0}, {"a": 1, "b": 1.0}, {"a": "x", "b": "y"}, {"a": "x", "b": 2},
    {"a": [1, 2], "b": [1, 2]}, {"a": {"b": {"c": 3}}, "b": {"c": [1]}},
    {"a": [{"b": 1, "c": 2}, {"b": 2, "c": 0}, {"b": "x", "c": True}, {"b": None}, 5, [1], {"b": [{"c": 1, "d": 2}]}]},
    {"a": [[1, [2]], 3, [[4]]]}, {"a": {"x": {"b": 1}, "y": {"b": 2}, "z": 3}},
    {"a": ["x", "y"], "b": "x"}, {"a": [{"b": 2}, {"b": 1}]}, {"a": 0.0, "b": -0.0}, {"a": [0, False, "", None]},
]


def _outcome(visit: Any, parsed: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", visit(parsed, value)
    except Exception as exc:  # the very same error is the point
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_every_node_type_evaluates_as_the_interpreter_does(expression: str) -> None:
    options, _ = make_options()
    closures, interpreter = Closures(options), TreeInterpreter(options)
    parsed = jmespath.compile(expression).parsed
    for value in VALUES:
        want = _outcome(interpreter.visit, parsed, value)
        got = _outcome(closures.visit, parsed, value)
        assert got == want, (expression, value)
        # Same types too: 1 and True compare equal, and JMESPath tells them apart.
        assert type(got[1]) is type(want[1]), (expression, value)


def test_the_shipped_policies_expressions_evaluate_as_the_interpreter_does() -> None:
    options, _ = make_options()
    closures, interpreter = Closures(options), TreeInterpreter(options)
    parent = {"ref": {"kind": "Gateway", "group": "gateway.networking.k8s.io", "namespace": "infra", "name": "gw"},
              "refText": "Gateway infra/gw", "parentKey": "k", "presence": {"state": "present", "reason": ""},
              "managed": True, "accepted": "False", "reason": "NotAllowedByListeners", "message": "m", "mesh": False,
              "path": ["spec", "parentRefs", 0], "hint": "", "how": "ref-removed", "what": "deleted", "was": []}
    item = {"index": 0, "value": "shop.example.com"}
    contexts: list[dict[str, Any]] = [
        {"status": {"parents": [parent, {**parent, "accepted": "True"}, {**parent, "refText": "${GW}"}]},
         "key": {"namespace": "shop"}, "params": {"allowed": {"shop": ["infra/*"]}, "domains": ["example.com"]},
         "backends": [{"resolved": "Unknown", "refText": "Service a/b", "reason": "r", "message": "m", "path": []}],
         "detached": [parent], "orphaned": [parent], "validation": [{"rule": "r", "message": "m", "path": [1]}],
         "resource": {"spec": {"hostnames": ["shop.example.com", 3, "other.org"]}}, "mesh": {"note": "."}},
        {"status": None, "key": {"namespace": "shop"}, "params": {"allowed": {}, "domains": []}, "backends": [],
         "detached": [], "orphaned": [], "validation": [], "resource": {"spec": {}}, "mesh": {"note": "."}},
    ]
    checked = 0
    for policy in load_folder(builtin_dir()):
        parts = [policy.for_each, policy.when, policy.severity_from, policy.location, policy.ref,
                 *(p for p in policy.message.parts if not isinstance(p, str))]
        for compiled in (p for p in parts if p is not None):
            for ctx in contexts:
                for it in (parent, item, None):
                    value = {**ctx, "item": it}
                    assert _outcome(closures.visit, compiled.parsed, value) == \
                        _outcome(interpreter.visit, compiled.parsed, value), (policy.id, compiled.expression)
                    checked += 1
    assert checked > 100


def test_a_tree_is_built_once_and_kept() -> None:
    options, _ = make_options()
    closures = Closures(options)
    parsed = jmespath.compile("a[?b].c").parsed
    assert closures.visit(parsed, {"a": [{"b": 1, "c": 2}]}) == [2]
    assert closures.visit(parsed, {"a": []}) == []
    assert len(closures._built) == 1
