"""YAML reading: LibYAML's C loader for the data, line numbers only on demand.

Parsing with the C loader and no position tracking is the fast path every blob
takes; the node tree with line marks is composed lazily, only for files that
end up with a finding, and cached per file.
"""

from __future__ import annotations

from typing import Any

import yaml

try:  # LibYAML when the wheel has it (it almost always does)
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-Python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from policycheck.model import PathPart

YAMLError = yaml.YAMLError


def load_documents(text: str) -> tuple[list[Any], yaml.YAMLError | None]:
    """All documents of a stream that parse, and the error that stopped it, if any."""
    docs: list[Any] = []
    loader = _Loader(text)
    try:
        while loader.check_data():
            docs.append(loader.get_data())
    except yaml.YAMLError as exc:
        return docs, exc
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        return docs, yaml.YAMLError(f"cannot be read: {type(exc).__name__}: {exc}")
    finally:
        loader.dispose()
    return docs, None


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
            loader = _Loader(self._text or "")
            try:
                while loader.check_node():
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
