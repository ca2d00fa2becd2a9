"""The custom JMESPath functions, called the way policies call them."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest

from policycheck.functions import FUNCTION_NAMES, make_options


def run(expr: str, data: Any = None) -> Any:
    options, funcs = make_options()
    funcs.lookup = lambda kind, ns, name, group: {"kind": kind, "name": name} if name == "web" else None
    funcs.lookup_old = lambda kind, ns, name, group: None
    funcs.objects = lambda kind, ns, group: [{"kind": kind, "ns": ns}]
    funcs.objects_old = lambda kind, ns, group: []
    return jmespath.search(expr, data or {}, options=options)


@pytest.mark.parametrize(("expr", "data", "expected"), [
    ("lookup('Service', 'default', 'web').kind", None, "Service"),
    ("lookup('Service', 'default', 'api')", None, None),
    ("lookup_old('Service', 'default', 'web')", None, None),
    ("objects('Gateway', 'infra')[0].ns", None, "infra"),
    ("objects('Gateway', null)[0].ns", None, None),
    ("objects_old('Gateway', null)", None, []),
    ("glob('infra/*', 'infra/public')", None, True),
    ("glob('infra/*', 'apps/public')", None, False),
    ("glob(`[\"a/*\", \"infra/pub*\"]`, 'infra/public')", None, True),
    ("glob(`[]`, 'x')", None, False),
    ("regex_match('^v[0-9]+$', 'v12')", None, True),
    ("regex_match('^v[0-9]+$', 'v1x')", None, False),
    ("difference(`[1, 2, 3]`, `[2]`)", None, [1, 3]),
    ("intersection(`[1, 2, 3]`, `[3, 4]`)", None, [3]),
    ("unique(`[1, 2, 1, 3]`)", None, [1, 2, 3]),
    ("lower('AbC')", None, "abc"),
    ("upper('AbC')", None, "ABC"),
    ("split('a/b', '/')", None, ["a", "b"]),
    ("hostname_under('shop.example.com', 'example.com')", None, True),
    ("hostname_under('example.com', 'example.com')", None, True),
    ("hostname_under('notexample.com', 'example.com')", None, False),
    ("hostname_under('*.api.example.com', '*.example.com')", None, True),
    ("hostname_under('SHOP.Example.com.', 'example.com')", None, True),
    ("hostname_under('shop.example.net', `[\"example.com\", \"example.net\"]`)", None, True),
    ("hostname_under('shop.example.org', `[]`)", None, False),
    ("get(params, 'team-a')", {"params": {"team-a": [1]}}, [1]),
    ("get(params, 'team-b')", {"params": {"team-a": [1]}}, None),
    ("get(missing, 'x')", None, None),
    ("indexed(`[\"a\", \"b\"]`)", None, [{"index": 0, "value": "a"}, {"index": 1, "value": "b"}]),
    ("indexed(missing)", None, []),
    ("indexed('not a list')", None, []),
    ("variables_in('gw-${ENV}-${REGION:=eu}')", None, ["ENV", "REGION"]),
    ("variables_in('plain')", None, []),
    ("to_json(`{\"b\": 1, \"a\": [1]}`)", None, '{"a":[1],"b":1}'),
])
def test_function(expr: str, data: Any, expected: Any) -> None:
    assert run(expr, data) == expected


def test_every_function_is_covered_here() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    for name in FUNCTION_NAMES:
        assert f"{name}(" in source, name


def test_bad_regex_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bad pattern"):
        run("regex_match('(', 'x')")


def test_wrong_types_are_jmespath_errors() -> None:
    from jmespath.exceptions import JMESPathTypeError

    with pytest.raises(JMESPathTypeError):
        run("glob(`1`, 'x')")
