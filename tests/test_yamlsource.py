"""YAML reading: repeated keys are found exactly as a key-by-key comparison finds them, whatever path the
loader takes (the dict-size screen, or the exact comparison when the text could fool it)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

from policycheck import kubeyaml
from policycheck.yamlsource import LineMap, _child, _needs_scan, _Positions, load_stream


class _KubernetesTags(yaml.CSafeLoader):  # type: ignore[misc,valid-type]
    """Plain scalars tagged as Kubernetes' decoder types them (a plain `=` is a string, `y` a boolean)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return kubeyaml.plain_tag(value)
        return super().resolve(kind, value, implicit)


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

    for doc in yaml.compose_all(text, Loader=_KubernetesTags):
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


def test_values_are_what_kubernetes_makes() -> None:
    """The loader's fast path and its exact one (anchors) agree, on the values Kubernetes' decoder gives."""
    text = ("a: x\nb: '1'\nc: 1\nd: [x, 2, null, {e: y}]\nf: 2001-12-14\ng: .nan\nh: !!str 3\n"
            "i: v\nj: v\nk: {<<: {m: 1}, n: 2}\n")
    expected = {"a": "x", "b": "1", "c": 1, "d": ["x", 2, None, {"e": True}], "f": "2001-12-14", "h": "3",
                "i": "v", "j": "v", "k": {"m": 1, "false": 2}}
    for source in (text, text.replace("i: v\nj: v", "i: &s v\nj: *s")):
        (doc,), error = load_stream(source).documents, load_stream(source).error
        assert error is None
        assert math.isnan(doc.pop("g"))
        assert doc == expected and list(doc) == list(expected)


@pytest.mark.parametrize(("indent", "flow"), [(0, 0), (46, 0), (47, 0), (38, 15), (39, 15), (0, 92), (0, 93),
                                              (3, 101)])
def test_depth_screen_is_the_bound_it_states(indent: int, flow: int) -> None:
    """flow brackets + 2 * (longest run of indentation and block indicators + 2) over MAX_DEPTH."""
    text = "x: " + "[" * flow + "]" * flow + "\n" + " " * indent + "- a\n"  # that line's run: indent + "- "
    assert _needs_scan(text) == (flow + 2 * (indent + 2 + 2) > 100)


def _walked_line(text: str, doc_index: int, path: tuple[Any, ...]) -> int:
    """The line found by walking the composed node tree, key by key."""
    loader = _Positions(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    if doc_index >= len(nodes):
        return 1
    node = nodes[doc_index]
    line = node.start_mark.line + 1
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
        line = (key_node or node).start_mark.line + 1
    return line


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix, (*prefix, "absent"), (*prefix, 7), (*prefix, True)]
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*prefix, str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*prefix, i))
    return found


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: A\nmetadata:\n  name: a\nspec:\n  parentRefs:\n    - name: gw\n      port: 80\n"
    "    -\n      name: gw2\n  rules:\n  - backendRefs: [{name: s}, {name: t,\n      port: 1}]\n",
    "# comment\n---\na: 1\n---\nb:\n- x\n- {c: 2}\n---\n---\n[1, {d: 3}]\n",
    "a:\n  b: 1\n  b:\n    c: 2\na: 3\n1: one\n? [x]\n: y\n",  # repeated keys: the first is found
    "base: &b\n  x: 1\n  y: [1, 2]\nuse: *b\nmore:\n  <<: *b\n  z: 3\n",  # aliases
    "a: |\n  text\n  more\nb: >\n  folded\nc: 'q'\n\"d\": 1\n",
    "a: 1\nb: [unclosed\n",  # a syntax error: the documents before it
    "base: &b\n  x: 1\nmore:\n  <<: {z: 3}\n  y: !custom 2\n",  # an anchor without alias, a merge, a tag
    "a: 1\n---\nb: 2\n---\n",  # an empty last document
    "",
])
@pytest.mark.parametrize("eager", [False, True])
def test_line_map_finds_the_lines_a_walk_of_the_node_tree_finds(text: str, eager: bool) -> None:
    """Composed when first asked, or read while loading (`lines=True`): the same lines either way."""
    loaded = load_stream(text, lines=eager)
    lines = LineMap(text, loaded.lines)
    for doc_index in range(len(loaded.documents) + 2):
        data = loaded.documents[doc_index] if doc_index < len(loaded.documents) else None
        for path in _paths(data):
            assert lines(doc_index, path) == _walked_line(text, doc_index, path), (doc_index, path)


def test_line_maps_are_read_while_loading_unless_the_stream_stops_or_has_aliases() -> None:
    assert load_stream("a: 1\n---\nb: [2]\n", lines=True).lines == ({(): 1, ("a",): 1},
                                                                       {(): 3, ("b",): 3, ("b", 0): 3})
    assert load_stream("a: 1\n", lines=False).lines is None
    assert load_stream("a: 1\nb: [unclosed\n", lines=True).lines is None  # composed later, up to the error
    assert load_stream("a: &x 1\nb: *x\n", lines=True).lines is None  # aliases keep their node tree


def test_a_pickled_line_map_holds_its_text_not_its_maps() -> None:
    import pickle

    text = "a:\n  b: 1\n"
    lines = LineMap(text, load_stream(text, lines=True).lines)
    again = pickle.loads(pickle.dumps(lines))
    assert again.__dict__ == {"_text": text, "_nodes": None}
    assert again(0, ("a", "b")) == lines(0, ("a", "b")) == 2


def test_plain_text_without_anchors_reads_as_kubernetes_reads_it() -> None:
    """Text that the loader builds straight from its nodes (no anchors, tags, merges, NaN or `=`)."""
    text = ("a: x\nb: '1'\nc: 1\nd: [x, 2, null, {e: y}, [0x1f, 1.5, .inf]]\nf: 2001-12-14\ng: yes\n"
            "h:\n  - i: ~\n    j: |\n      block\n  - 3\n1: int key\n2001-12-15: date key\n? [k]\n: 1\n")
    expected = [{"a": "x", "b": "1", "c": 1, "d": ["x", 2, None, {"e": True}, [31, 1.5, math.inf]],
                 "f": "2001-12-14", "g": True, "h": [{"i": None, "j": "block\n"}, 3], "1": "int key",
                 "2001-12-15": "date key"}]
    assert load_stream(text.split("? [k]")[0]).documents == expected
    loaded = load_stream(text)
    assert loaded.error is not None and "unhashable" in str(loaded.error)


def test_repeats_are_noted_in_the_safe_constructors_order() -> None:
    """A mapping's own repeats before those of the mappings it holds, as SafeConstructor visits them."""
    loaded = load_stream("k:\n  x: 1\n  x: 2\nk: 3\nz: [{q: 1, q: 2}]\n")
    assert loaded.duplicates == ((4, "k"), (3, "x"), (5, "q"))
    assert load_stream("a: 2001-12-14\nb: 2001-13-45\n").documents == [{"a": "2001-12-14", "b": "2001-13-45"}]
