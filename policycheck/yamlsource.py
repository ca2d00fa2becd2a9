"""YAML reading: LibYAML's C loader for the data, line numbers only on demand.

Parsing with the C loader and no position tracking is the fast path every blob
takes; the node tree with line marks is composed lazily, only for files that
end up with a finding, and cached per file.

The input may be hostile. LibYAML composes nodes recursively in C, so a deeply
nested document overflows the C stack and kills the process; aliases are shared
in memory but every consumer that walks the data (comparison, JMESPath, JSON)
pays for their expansion, so a "billion laughs" file costs nothing to parse and
hangs everything after. Before composing, a stream that could be deep or uses
aliases is walked as events (iteratively, bounded memory) and refused when its
nesting or its alias expansion exceeds fixed limits; a cheap, conservative screen
lets ordinary manifests skip that walk.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from sys import intern as _intern
from typing import Any

import yaml

try:  # LibYAML when the wheel has it (it almost always does)
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pure-Python fallback
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from yaml.nodes import ScalarNode

from policycheck import kubeyaml
from policycheck.model import PathPart

YAMLError = yaml.YAMLError

MAX_DEPTH = 100  # Kubernetes objects nest a few dozen levels at most
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add to a file once expanded
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Plain scalars other than strings that the implicit resolvers give, built by SafeConstructor's function.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp"))
_IGNORE: dict[Any, Any] = {}  # its `get` takes (parent node, index) and keeps nothing
# What can make equal key nodes construct unequal keys, or unequal ones equal keys that the
# screen for repeats must not see: merge keys (`<<`), explicit tags (`!`), NaN (not equal to
# itself) and the value key (a plain `=`, retagged as a string while merges are flattened).
_VALUE_KEY = re.compile(r"(?:^|[\s\[{,?:-])=(?:[\s,:\]}]|$)", re.MULTILINE)


class _Irregular(Exception):
    """A document that `_Loader._tree` leaves to SafeConstructor."""


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, noting keys that a mapping repeats (YAML keeps the last one).

    A repeated key is one whose (tag, text) an earlier key of the same mapping has. Unless the
    text holds what can make key nodes and constructed keys disagree (see `_unlike_keys`), equal
    key nodes construct equal keys, so a mapping whose dict has one entry per key node repeats
    none and the keys are compared one by one only when it has fewer. Merge (`<<`) and value
    (`=`) keys cannot occur then either, so SafeConstructor's flattening pass is skipped.

    String scalars, the bulk of a manifest, are taken as they are (SafeConstructor makes
    nothing else of them), without a construction step each. String keys are interned: a tree
    repeats a few dozen key names hundreds of thousands of times, and one copy of each keeps the
    parsed tree, and the pickles of the parse cache and of snapshots, smaller.

    A document of such text without anchors is a tree of strings, plain scalars, mappings and
    sequences: it is built from its nodes directly (`_tree`), without SafeConstructor's
    machinery for shared and recursive nodes; a repeated key, an unusual tag or an error
    sends the document the usual way, which notes and reports it as always.
    """

    def __init__(self, stream: str, exact: bool | None = None, lines: bool = False) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []
        # Each document's path-to-line map, read off the nodes composed anyway (None: not kept).
        self.lines: list[_Lines | None] | None = [] if lines else None
        self._exact = exact if exact is not None else _unlike_keys(stream)
        # Without anchors no node is shared (an alias refers to an anchor): the tree is built directly.
        self._anchored = "&" in stream
        if not self.yaml_path_resolvers:
            # Without path resolvers the composer's two calls per node do nothing: C callables that
            # do nothing either spare a Python call each.
            self.descend_resolver = _IGNORE.get  # type: ignore[method-assign,assignment]
            self.ascend_resolver = tuple  # type: ignore[method-assign,assignment]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A plain scalar gets the type Kubernetes' decoder gives it (kubeyaml), cached by its text:
        # the composer asks once per node, and the same few hundred plain scalars (keys above all)
        # again in every file.
        if kind is ScalarNode and not self.yaml_path_resolvers:
            return kubeyaml.plain_tag(value) if implicit[0] else _STR_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return super().construct_sequence(node, deep=deep)
        construct = self.construct_object
        return [child.value if child.tag == _STR_TAG and type(child) is ScalarNode else construct(child, deep=deep)
                for child in node.value]

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if self._exact or not isinstance(node, yaml.MappingNode):
            self._note_duplicates(node)
            return _json_keys(super().construct_mapping(node, deep=deep))
        try:
            mapping = self._mapping(node, deep)
        except Exception:
            self._note_duplicates(node)
            raise
        if len(mapping) != len(node.value):
            self._note_duplicates(node)
        return mapping

    def _mapping(self, node: yaml.MappingNode, deep: bool) -> dict[Any, Any]:
        """BaseConstructor.construct_mapping (no merge keys to flatten), strings taken as they are."""
        construct = self.construct_object
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is ScalarNode:
                key = _intern(key_node.value)
            else:
                key = kubeyaml.json_key(construct(key_node, deep=deep))
                if not isinstance(key, Hashable):
                    raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                            "found unhashable key", key_node.start_mark)
            mapping[key] = (value_node.value if value_node.tag == _STR_TAG and type(value_node) is ScalarNode
                            else construct(value_node, deep=deep))
        return mapping

    def get_data(self) -> Any:
        if self.lines is None and (self._exact or self._anchored):
            return super().get_data()
        if not self.check_node():
            return None
        node = self.get_node()
        if self.lines is not None:
            # Before construction, which flattens merge keys in place.
            self.lines.append(None if node is None else _lines_of(node))
        if self._exact or self._anchored:
            return self.construct_document(node)
        try:
            return self._tree(node)
        except Exception:  # a repeated key, an unusual tag, an error: SafeConstructor's way, its order of notes
            return self.construct_document(node)

    def _tree(self, node: Any) -> Any:
        """The data of a node of a tree (no anchors, so no node is shared), as construct_document
        gives it, without its generators, its memo of constructed nodes and a call per string.
        Raises for anything but strings, the implicit scalar types, mappings without a repeated
        key and sequences."""
        tag = node.tag
        cls = type(node)
        if cls is ScalarNode:
            if tag == _STR_TAG:
                return node.value
            if tag not in _SCALAR_TAGS:
                raise _Irregular(tag)
            return self.yaml_constructors[tag](self, node)
        tree = self._tree
        if cls is yaml.MappingNode and tag == _MAP_TAG:
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _STR_TAG and type(key_node) is ScalarNode:
                    key = _intern(key_node.value)
                else:
                    key = kubeyaml.json_key(tree(key_node))
                    if not isinstance(key, Hashable):
                        raise _Irregular("unhashable key")
                mapping[key] = (value_node.value if value_node.tag == _STR_TAG and type(value_node) is ScalarNode
                                else tree(value_node))
            if len(mapping) != len(node.value):
                raise _Irregular("repeated key")
            return mapping
        if cls is yaml.SequenceNode and tag == _SEQ_TAG:
            return [child.value if child.tag == _STR_TAG and type(child) is ScalarNode else tree(child)
                    for child in node.value]
        raise _Irregular(tag)

    def _note_duplicates(self, node: Any) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                    ident = (key_node.tag, key_node.value)
                    if ident in seen:
                        self.duplicates.append((key_node.start_mark.line + 1, str(key_node.value)))
                    seen.add(ident)


def _constructor(construct: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda _loader, node: construct(node)


for _tag, _construct in ((kubeyaml.BOOL, kubeyaml.construct_bool), (kubeyaml.INT, kubeyaml.construct_int),
                         (kubeyaml.FLOAT, kubeyaml.construct_float), (kubeyaml.TIMESTAMP, kubeyaml.construct_timestamp),
                         (kubeyaml.BINARY, kubeyaml.construct_binary)):
    _Loader.add_constructor(_tag, _constructor(_construct))


def _json_keys(mapping: Any) -> Any:
    """A constructed mapping with the keys JSON gives it (see kubeyaml.json_key)."""
    if not isinstance(mapping, dict) or all(type(k) is str for k in mapping):
        return mapping
    return {kubeyaml.json_key(k): v for k, v in mapping.items()}


def _unlike_keys(text: str) -> bool:
    """Whether the text may hold keys whose nodes and constructed values compare differently."""
    return ("<<" in text or "!" in text or ".nan" in text or ".NaN" in text or ".NAN" in text
            or ("=" in text and _VALUE_KEY.search(text) is not None))


@dataclass(frozen=True)
class Loaded:
    """What a stream gave: its documents, the error that stopped it, repeated keys (line, key)."""

    documents: list[Any]
    error: yaml.YAMLError | None
    duplicates: tuple[tuple[int, str], ...] = ()
    # With `load_stream(lines=True)`, the documents' line maps for a `LineMap` (None: composed
    # later, if ever: the stream stopped early, or its aliases need the node tree kept).
    lines: tuple[_Lines | None, ...] | None = None


def load_documents(text: str) -> tuple[list[Any], yaml.YAMLError | None]:
    """All documents of a stream that parse, and the error that stopped it, if any."""
    loaded = load_stream(text)
    return loaded.documents, loaded.error


def load_stream(text: str, lines: bool = False, *, renamed: bool = False) -> Loaded:
    """Documents, stopping error and duplicate keys; refuses streams too deep or alias-heavy to walk.

    With `lines`, the line maps a `LineMap` would compose later are read off the nodes the load
    composes anyway: for files likely to be shown (those a commit changed), composing twice costs
    more than mapping every document once.
    """
    limit, refusal = _screen(text)
    docs: list[Any] = []
    loader: Any = _Loader(text, lines=lines and not _aliased(text))
    try:
        while (limit is None or len(docs) < limit) and loader.check_data():
            docs.append(loader.get_data())
    except yaml.YAMLError as exc:
        unique = None if renamed else _unique_anchors(text, exc)
        if unique is not None:
            return load_stream(unique, lines, renamed=True)
        return Loaded(docs, exc, tuple(loader.duplicates))
    except (RecursionError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        problem = yaml.YAMLError(f"cannot be read: {type(exc).__name__}: {exc}")
        return Loaded(docs, problem, tuple(loader.duplicates))
    finally:
        loader.dispose()
    mapped = tuple(loader.lines) if loader.lines is not None and refusal is None else None
    return Loaded(docs, refusal, tuple(loader.duplicates), mapped)


def _unique_anchors(text: str, exc: yaml.YAMLError) -> str | None:
    """The stream with each redefined anchor renamed, and the aliases after it renamed with it.

    YAML 1.2 and the decoders Kubernetes, Flux and Argo CD use (go-yaml) let a later `&name`
    replace an earlier one: an alias names the latest node so anchored. PyYAML refuses the stream
    instead. Renaming keeps every line and what each alias refers to, so the stream then reads as
    those decoders read it. The pure-Python parser is used for its character positions; this runs
    only for a stream that LibYAML refused for this reason (`exc`). None: refused for another
    reason, or nothing to rename.
    """
    if not (isinstance(exc, yaml.composer.ComposerError) and "found duplicate anchor" in str(exc.context)):
        return None
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the text
    current: dict[str, str] = {}
    seen: set[str] = set()
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            anchor: str | None = getattr(event, "anchor", None)
            at: int = getattr(event.start_mark, "index", 0)
            if isinstance(event, yaml.DocumentEndEvent):
                current.clear()
                seen.clear()
            elif anchor is None:
                continue
            elif isinstance(event, yaml.AliasEvent):
                if current.get(anchor, anchor) != anchor:
                    start = text.find("*" + anchor, at) + 1
                    edits.append((start, start + len(anchor), current[anchor]))
            else:
                name = anchor
                if anchor in seen:
                    n = 2
                    while f"{anchor}-{n}" in seen or f"{anchor}-{n}" in text:
                        n += 1
                    name = f"{anchor}-{n}"
                    start = text.find("&" + anchor, at) + 1
                    edits.append((start, start + len(anchor), name))
                seen.update((anchor, name))
                current[anchor] = name
    except yaml.YAMLError:
        if not edits:
            return None
    if not edits or any(start <= 0 for start, _, _ in edits):
        return None
    out, last = [], 0
    for start, end, name in edits:
        out.append(text[last:start])
        out.append(name)
        last = end
    out.append(text[last:])
    return "".join(out)


def _aliased(text: str) -> bool:
    """Whether the stream may use aliases: a `LineMap` keeps such a stream's nodes, not line maps."""
    return "*" in text and "&" in text


def _screen(text: str) -> tuple[int | None, yaml.YAMLError | None]:
    """How many documents of the stream may be composed (None: all), and why the rest may not."""
    found = _scan(text) if _needs_scan(text) else None
    return found if found is not None else (None, None)


def _needs_scan(text: str) -> bool:
    """Whether the stream could nest deeper than MAX_DEPTH or use aliases.

    Sound upper bound, never an estimate: each flow level needs a bracket; a
    block collection nested on a new line is indented further every two levels,
    and one opened on the same line follows a run of `- `, `? ` or `: ` indicators.
    """
    if "*" in text and "&" in text:
        return True
    flow = text.count("[") + text.count("{")
    # flow + 2 * (block + 2) > MAX_DEPTH for the longest prefix `block`: one line's prefix that long is enough.
    block = (MAX_DEPTH - 4 - flow) // 2 + 1
    return block <= 0 or _block_prefix(block).search(text) is not None


@functools.cache
def _block_prefix(length: int) -> re.Pattern[str]:
    """A line that starts with at least `length` indentation or block indicators."""
    return re.compile(rf"^[ \t?:-]{{{length}}}", re.MULTILINE)


def _scan(text: str) -> tuple[int, yaml.YAMLError] | None:
    """The first document that nests too deep or whose aliases expand too far, and why."""
    parser = _BaseLoader(text)
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    stack: list[list[Any]] = []  # [size, anchor] of each open collection
    anchors: dict[str, int] = {}
    doc = expanded = 0
    try:
        while True:
            event: Any = parser.get_event()
            if event is None:
                return None
            cls = type(event)
            problem = ""
            if cls in starts:
                stack.append([1, event.anchor])
                if len(stack) > MAX_DEPTH:
                    problem = f"nesting deeper than {MAX_DEPTH} levels"
            elif cls in ends:
                size, anchor = stack.pop()
                if anchor is not None:
                    anchors[anchor] = size
                if stack:
                    stack[-1][0] = min(stack[-1][0] + size, MAX_ALIAS_NODES + 1)
            elif cls is yaml.ScalarEvent:
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                if stack:
                    stack[-1][0] += 1
            elif cls is yaml.AliasEvent:
                if any(anchor == event.anchor for _, anchor in stack):
                    problem = f"alias *{event.anchor} refers to a node that contains it"
                else:
                    size = anchors.get(event.anchor, 1)
                    expanded += size
                    if stack:
                        stack[-1][0] = min(stack[-1][0] + size, MAX_ALIAS_NODES + 1)
                    if expanded > MAX_ALIAS_NODES:
                        problem = f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
            elif cls is yaml.DocumentEndEvent:
                doc += 1
                anchors.clear()
            if problem:
                return doc, yaml.MarkedYAMLError(problem=f"{problem}; not read", problem_mark=event.start_mark)
    except yaml.YAMLError:
        return None  # the load itself reports syntax errors, at the same place
    finally:
        parser.dispose()


def error_line(exc: yaml.YAMLError, text: str | None = None) -> int:
    """The 1-based line of a parse error. A construct left open until the end of `text` (a `[`, a
    quote) is reported where it starts: the end of the file, past its last line, says nothing."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if problem is not None and context is not None and text is not None and _at_end(problem, text):
        problem = context
    mark = problem or context
    line = int(mark.line) + 1 if mark is not None else 1
    return min(line, max(1, text.count("\n") + (not text.endswith("\n")))) if text is not None else line


def _at_end(mark: Any, text: str) -> bool:
    """Whether a mark is at the end of the text, past anything but blank lines."""
    lines = text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    last = len(lines) - 1
    return bool(mark.line > last or (mark.line == last and mark.column >= len(lines[last].rstrip())))


def error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        return f"{context}, {problem}" if context else str(problem)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _Positions(_BaseLoader):  # type: ignore[misc,valid-type]
    """Composes nodes for their positions only: every node gets one tag, without resolving it
    (a line is found by the keys' text, whatever their type)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        return _STR_TAG


# The lines of one document: each path of a node to the line of its key (of the item itself in
# a sequence), the document's own path () to the line it starts on.
_Lines = dict[tuple[PathPart, ...], int]


class LineMap:
    """Maps (document index, path) to a 1-based line, composing the file once.

    The node tree is read into a map of path to line and dropped: a tree kept for every file
    with a finding is hundreds of objects each that the cyclic collector walks again and again
    for as long as the state lives. A stream with aliases keeps its tree (an alias repeats the
    anchored node under every path that refers to it).
    """

    def __init__(self, text: str, lines: tuple[_Lines | None, ...] | None = None) -> None:
        self._text: str | None = text
        # Given `lines` (from `load_stream`), the text is kept only to pickle: it is smaller.
        self._nodes: list[_Lines | yaml.Node | None] | None = None if lines is None else list(lines)

    def __getstate__(self) -> dict[str, Any]:
        return {"_text": self._text, "_nodes": None} if self._text is not None else dict(self.__dict__)

    def _compose(self, renamed: bool = False) -> list[_Lines | yaml.Node | None]:
        if self._nodes is None:
            nodes: list[yaml.Node | None] = []
            text = self._text or ""
            aliased = _aliased(text)
            limit, _ = _screen(text)
            loader = _Positions(text)
            try:
                while (limit is None or len(nodes) < limit) and loader.check_node():
                    nodes.append(loader.get_node())
            except yaml.YAMLError as exc:
                unique = None if renamed else _unique_anchors(text, exc)
                if unique is not None:
                    self._text = unique
            except (RecursionError, ValueError):
                pass
            finally:
                loader.dispose()
            if self._text is not None and self._text is not text:
                return self._compose(renamed=True)  # composed again with the redefined anchors renamed
            self._nodes = list(nodes) if aliased else [None if n is None else _lines_of(n) for n in nodes]
            self._text = None
        return self._nodes

    def __call__(self, doc_index: int, path: tuple[PathPart, ...]) -> int:
        nodes = self._compose()
        if doc_index >= len(nodes) or nodes[doc_index] is None:
            return 1
        node = nodes[doc_index]
        if isinstance(node, dict):
            for end in range(len(path), 0, -1):
                line = node.get(path[:end])
                if line is not None:
                    return line
            return node[()]
        assert node is not None
        line = node.start_mark.line + 1
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line


def _lines_of(root: yaml.Node) -> _Lines:
    """The path-to-line map `LineMap.__call__` walks `_child` for: where a mapping repeats a key,
    the first one's subtree (as `_child` finds it)."""
    lines: _Lines = {(): root.start_mark.line + 1}
    stack: list[tuple[tuple[PathPart, ...], yaml.Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub: tuple[PathPart, ...] = (*path, key.value)
                    if sub not in lines:
                        lines[sub] = key.start_mark.line + 1
                        stack.append((sub, value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                sub = (*path, index)
                lines[sub] = item.start_mark.line + 1
                stack.append((sub, item))
    return lines


def _child(node: yaml.Node, part: PathPart) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None

