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

import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # LibYAML when the wheel has it (it almost always does)
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pure-Python fallback
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from policycheck.model import PathPart

YAMLError = yaml.YAMLError

MAX_DEPTH = 100  # Kubernetes objects nest a few dozen levels at most
MAX_ALIAS_NODES = 100_000  # nodes that aliases may add to a file once expanded
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BLOCK_PREFIX = re.compile(r"^[ \t?:-]*", re.MULTILINE)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, noting keys that a mapping repeats (YAML keeps the last one)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                    ident = (key_node.tag, key_node.value)
                    if ident in seen:
                        self.duplicates.append((key_node.start_mark.line + 1, str(key_node.value)))
                    seen.add(ident)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Loaded:
    """What a stream gave: its documents, the error that stopped it, repeated keys (line, key)."""

    documents: list[Any]
    error: yaml.YAMLError | None
    duplicates: tuple[tuple[int, str], ...] = ()


def load_documents(text: str) -> tuple[list[Any], yaml.YAMLError | None]:
    """All documents of a stream that parse, and the error that stopped it, if any."""
    loaded = load_stream(text)
    return loaded.documents, loaded.error


def load_stream(text: str) -> Loaded:
    """Documents, stopping error and duplicate keys; refuses streams too deep or alias-heavy to walk."""
    limit: int | None = None
    refusal: yaml.YAMLError | None = None
    if _needs_scan(text):
        found = _scan(text)
        if found is not None:
            limit, refusal = found
    docs: list[Any] = []
    loader: Any = _Loader(text)
    try:
        while (limit is None or len(docs) < limit) and loader.check_data():
            docs.append(loader.get_data())
    except yaml.YAMLError as exc:
        return Loaded(docs, exc, tuple(loader.duplicates))
    except (RecursionError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        problem = yaml.YAMLError(f"cannot be read: {type(exc).__name__}: {exc}")
        return Loaded(docs, problem, tuple(loader.duplicates))
    finally:
        loader.dispose()
    return Loaded(docs, refusal, tuple(loader.duplicates))


def _needs_scan(text: str) -> bool:
    """Whether the stream could nest deeper than MAX_DEPTH or use aliases.

    Sound upper bound, never an estimate: each flow level needs a bracket; a
    block collection nested on a new line is indented further every two levels,
    and one opened on the same line follows a run of `- `, `? ` or `: ` indicators.
    """
    if "*" in text and "&" in text:
        return True
    flow = text.count("[") + text.count("{")
    if flow > MAX_DEPTH:
        return True
    block = max((len(m.group(0)) for m in _BLOCK_PREFIX.finditer(text)), default=0)
    return flow + 2 * (block + 2) > MAX_DEPTH


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


def error_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else 1


def error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        return f"{context}, {problem}" if context else str(problem)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class LineMap:
    """Maps (document index, path) to a 1-based line, composing the file once."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._nodes: list[yaml.Node | None] | None = None

    def _compose(self) -> list[yaml.Node | None]:
        if self._nodes is None:
            nodes: list[yaml.Node | None] = []
            text = self._text or ""
            found = _scan(text) if _needs_scan(text) else None
            limit = found[0] if found is not None else None
            loader = _Loader(text)
            try:
                while (limit is None or len(nodes) < limit) and loader.check_node():
                    nodes.append(loader.get_node())
            except (yaml.YAMLError, RecursionError, ValueError):
                pass
            finally:
                loader.dispose()
            self._nodes, self._text = nodes, None
        return self._nodes

    def __call__(self, doc_index: int, path: tuple[PathPart, ...]) -> int:
        nodes = self._compose()
        if doc_index >= len(nodes) or nodes[doc_index] is None:
            return 1
        node = nodes[doc_index]
        assert node is not None
        line = node.start_mark.line + 1
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line


def _child(node: yaml.Node, part: PathPart) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None
