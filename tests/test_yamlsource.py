"""YAML reading: repeated keys are found exactly as a key-by-key comparison finds them, whatever path the
loader takes (the dict-size screen, or the exact comparison when the text could fool it)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from policycheck.yamlsource import _needs_scan, load_stream


def _by_comparison(text: str) -> tuple[tuple[int, str], ...]:
    """Repeated keys by comparing the key nodes of every mapping one by one (the definition)."""
    import yaml

    found: list[tuple[int, str]] = []
    visited: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in visited:  # an alias: the node it names is one mapping, read once
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if (key.tag, key.value) in seen:
                        found.append((key.start_mark.line + 1, str(key.value)))
                    seen.add((key.tag, key.value))
                walk(key)
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                walk(child)

    for doc in yaml.compose_all(text, Loader=yaml.CSafeLoader):
        walk(doc)
    return tuple(sorted(found))


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2\na: 3\n",
    "{a: 1, a: 2}\n",
    "'a': 1\na: 2\n",  # quoted and plain: the same string key
    "1: a\n1.0: b\n",  # equal once constructed, different as written: not a repeat
    "true: a\nTrue: b\n",
    "~: a\nnull: b\n",
    "=: 1\n=: 2\n",  # the value key
    "=: 1\n'=': 2\n",
    "<<: {a: 1}\na: 2\n",  # a merged key overridden: not a repeat
    "<<: {a: 1}\na: 2\na: 3\n",
    "base: &b {x: 1, x: 2}\nuse:\n  <<: *b\n  y: 1\n",
    ".nan: 1\n.nan: 2\n",  # NaN is not equal to itself, the key text is
    "!!str a: 1\na: 2\n",
    "&k a: 1\n*k : 2\n",
    "k:\n  x: 1\n  x: 2\nj: [{y: 1, y: 2}]\n",
    "a: 1\na: 2\n---\nb: 1\nb: 2\n",
])
def test_repeated_keys_match_a_key_by_key_comparison(text: str) -> None:
    loaded = load_stream(text)
    assert loaded.error is None
    assert tuple(sorted(loaded.duplicates)) == _by_comparison(text)


def test_repeats_before_an_unhashable_key_are_still_reported() -> None:
    loaded = load_stream("a: 1\na: 2\n[x]: 3\n")
    assert loaded.error is not None and "unhashable" in str(loaded.error)
    assert loaded.duplicates == ((2, "a"),)


def test_values_are_what_the_safe_loader_makes() -> None:
    import yaml

    text = ("a: x\nb: '1'\nc: 1\nd: [x, 2, null, {e: y}]\nf: 2001-12-14\ng: .nan\nh: !!str 3\n"
            "i: &s v\nj: *s\nk: {<<: {m: 1}, n: 2}\n")
    (doc,), error = load_stream(text).documents, load_stream(text).error
    expected = yaml.load(text, Loader=yaml.CSafeLoader)
    assert error is None
    assert math.isnan(doc.pop("g")) and math.isnan(expected.pop("g"))
    assert doc == expected and list(doc) == list(expected)


@pytest.mark.parametrize(("indent", "flow"), [(0, 0), (46, 0), (47, 0), (38, 15), (39, 15), (0, 92), (0, 93),
                                              (3, 101)])
def test_depth_screen_is_the_bound_it_states(indent: int, flow: int) -> None:
    """flow brackets + 2 * (longest run of indentation and block indicators + 2) over MAX_DEPTH."""
    text = "x: " + "[" * flow + "]" * flow + "\n" + " " * indent + "- a\n"  # that line's run: indent + "- "
    assert _needs_scan(text) == (flow + 2 * (indent + 2 + 2) > 100)
