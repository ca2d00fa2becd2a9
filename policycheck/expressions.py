"""Compiling JMESPath expressions from files a change may write, within bounds.

Checking a compiled tree, turning it into closures and evaluating it all recurse once per
level, and so does the parser: an expression nested a few hundred levels deep would end in a
RecursionError. Such an expression is refused where it is loaded, as a `file:line` error.
"""

from __future__ import annotations

from typing import Any

import jmespath

# Far beyond any real policy, well within Python's recursion limit for every walk of the tree.
MAX_EXPRESSION_DEPTH = 100


class TooDeep(ValueError):
    """An expression nested deeper than MAX_EXPRESSION_DEPTH levels."""

    def __init__(self) -> None:
        super().__init__(f"JMESPath expression nests deeper than {MAX_EXPRESSION_DEPTH} levels")


def compile_bounded(expr: str) -> Any:
    """jmespath.compile, refusing (TooDeep) a tree deeper than MAX_EXPRESSION_DEPTH; a syntax error
    raises JMESPathError as jmespath.compile does."""
    try:
        compiled = jmespath.compile(expr)
    except RecursionError:  # the parser descends once per level
        raise TooDeep from None
    if _depth(compiled.parsed) > MAX_EXPRESSION_DEPTH:
        raise TooDeep
    return compiled


def _depth(root: Any) -> int:
    """How deep an expression's tree nests, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.get("children", ()))
    return deepest
