"""JMESPath expressions turned into Python closures, giving what jmespath's interpreter gives.

`TreeInterpreter` walks the parsed tree on every search: per node, a lookup of
its type, of the method for that type, and a call that reads the node's fields
again. A history evaluates the same few policy expressions thousands of times,
so each tree is turned once into nested closures holding their children and
constants. Each closure does what the interpreter's method for its node does, in
the same order and with the same helpers; a node type not handled here is left
to the interpreter, and expression references (`&expr`, given to functions such
as sort_by) are the interpreter's own, so any expression evaluates as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from numbers import Number
from typing import Any

import jmespath
from jmespath import functions
from jmespath.visitor import TreeInterpreter

Closure = Callable[[Any], Any]

_EQUALS: Callable[[Any, Any], Any] = TreeInterpreter.COMPARATOR_FUNC["eq"]
# Types never equal to a number nor a boolean: comparing one needs none of jmespath's care
# for 0 and 1 against false and true.
_PLAIN = frozenset({str, type(None), list, dict})


def _equals(x: Any, y: Any) -> Any:
    if type(x) in _PLAIN or type(y) in _PLAIN:
        return x == y
    return _EQUALS(x, y)


def _is_false(value: Any) -> bool:
    # As the interpreter's `_is_false`: JMESPath's false values, by equality as jmespath tests them.
    return value == "" or value == [] or value == {} or value is None or value is False


def _is_actual_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, Number)


def _is_comparable(x: Any) -> bool:
    return _is_actual_number(x) or isinstance(x, str)


class Closures:
    """Closures by parsed tree, built on first use, calling the functions of one set of options."""

    def __init__(self, options: jmespath.Options) -> None:
        self._interpreter = TreeInterpreter(options)
        funcs = options.custom_functions if options.custom_functions is not None else functions.Functions()
        self._call = funcs.call_function
        dict_cls: Callable[[], dict[str, Any]] | None = options.dict_cls
        self._dict_cls: Callable[[], dict[str, Any]] = dict if dict_cls is None else dict_cls
        # id(tree) -> (tree, closure): the tree is held, so its id is not reused.
        self._built: dict[int, tuple[Any, Closure]] = {}

    def visit(self, node: Any, value: Any) -> Any:
        """What `TreeInterpreter.visit(node, value)` gives (a drop-in for it)."""
        built = self._built.get(id(node))
        if built is None:
            built = self._built[id(node)] = (node, self.closure(node))
        return built[1](value)

    def closure(self, node: Any) -> Closure:
        """A closure evaluating the parsed tree `node` on a value."""
        kind = node["type"]
        make = _MAKERS.get(kind)
        if make is None:
            interpreter = self._interpreter
            return lambda value: interpreter.visit(node, value)
        return make(self, node)

    def _children(self, node: Any) -> list[Closure]:
        return [self.closure(child) for child in node["children"]]

    # -- one maker per node type, after the interpreter's visit_<type> ------
    def _field(self, node: Any) -> Closure:
        name = node["value"]

        def field(value: Any) -> Any:
            if type(value) is dict:
                return value.get(name)
            try:
                return value.get(name)
            except AttributeError:
                return None
        return field

    def _chain(self, node: Any) -> Closure:
        # subexpression, index_expression, pipe: each child applied to the result of the one before.
        steps = self._children(node)
        if len(steps) == 2:
            first, second = steps
            return lambda value: second(first(value))

        def chain(value: Any) -> Any:
            for step in steps:
                value = step(value)
            return value
        return chain

    def _comparator(self, node: Any) -> Closure:
        left, right = self._children(node)
        op = node["value"]
        if op == "eq":
            return lambda value: _equals(left(value), right(value))
        if op == "ne":
            return lambda value: not _equals(left(value), right(value))
        compare = TreeInterpreter.COMPARATOR_FUNC[op]

        def ordering(value: Any) -> Any:
            # Ordering operators are only valid for numbers (and strings): anything else gives null.
            lhs, rhs = left(value), right(value)
            if not (_is_comparable(lhs) and _is_comparable(rhs)):
                return None
            return compare(lhs, rhs)
        return ordering

    def _identity(self, node: Any) -> Closure:
        return _same

    def _function(self, node: Any) -> Closure:
        args = self._children(node)
        name, call = node["value"], self._call
        return lambda value: call(name, [arg(value) for arg in args])

    def _filter_projection(self, node: Any) -> Closure:
        left, right, condition = self._children(node)
        whole = right is _same

        def filter_projection(value: Any) -> Any:
            base = left(value)
            if not isinstance(base, list):
                return None
            collected = []
            for element in base:
                if not _is_false(condition(element)):
                    current = element if whole else right(element)
                    if current is not None:
                        collected.append(current)
            return collected
        return filter_projection

    def _flatten(self, node: Any) -> Closure:
        (inner,) = self._children(node)

        def flatten(value: Any) -> Any:
            base = inner(value)
            if not isinstance(base, list):
                return None
            merged: list[Any] = []
            for element in base:
                if isinstance(element, list):
                    merged.extend(element)
                else:
                    merged.append(element)
            return merged
        return flatten

    def _index(self, node: Any) -> Closure:
        at = node["value"]

        def index(value: Any) -> Any:
            if not isinstance(value, list):
                return None
            try:
                return value[at]
            except IndexError:
                return None
        return index

    def _slice(self, node: Any) -> Closure:
        cut = slice(*node["children"])
        return lambda value: value[cut] if isinstance(value, list) else None

    def _key_val_pair(self, node: Any) -> Closure:
        return self.closure(node["children"][0])

    def _literal(self, node: Any) -> Closure:
        constant = node["value"]
        return lambda value: constant

    def _multi_select_dict(self, node: Any) -> Closure:
        pairs = [(child["value"], self.closure(child)) for child in node["children"]]
        dict_cls = self._dict_cls

        def multi_select_dict(value: Any) -> Any:
            if value is None:
                return None
            collected = dict_cls()
            for key, pick in pairs:
                collected[key] = pick(value)
            return collected
        return multi_select_dict

    def _multi_select_list(self, node: Any) -> Closure:
        picks = self._children(node)
        return lambda value: None if value is None else [pick(value) for pick in picks]

    def _or(self, node: Any) -> Closure:
        left, right = self._children(node)

        def or_expression(value: Any) -> Any:
            matched = left(value)
            return right(value) if _is_false(matched) else matched
        return or_expression

    def _and(self, node: Any) -> Closure:
        left, right = self._children(node)

        def and_expression(value: Any) -> Any:
            matched = left(value)
            return matched if _is_false(matched) else right(value)
        return and_expression

    def _not(self, node: Any) -> Closure:
        (inner,) = self._children(node)

        def not_expression(value: Any) -> Any:
            result = inner(value)
            if _is_actual_number(result) and result == 0:
                return False  # !0 is false: 0 is no false value in JMESPath
            return not result
        return not_expression

    def _projection(self, node: Any) -> Closure:
        left, right = self._children(node)

        def projection(value: Any) -> Any:
            base = left(value)
            if not isinstance(base, list):
                return None
            return _collected(right, base)
        return projection

    def _value_projection(self, node: Any) -> Closure:
        left, right = self._children(node)

        def value_projection(value: Any) -> Any:
            base = left(value)
            try:
                base = base.values()
            except AttributeError:
                return None
            return _collected(right, base)
        return value_projection


def _collected(right: Closure, elements: Iterable[Any]) -> list[Any]:
    """What `right` gives for each element, but None (a projection's right side)."""
    collected = []
    for element in elements:
        current = right(element)
        if current is not None:
            collected.append(current)
    return collected


def _same(value: Any) -> Any:
    return value


_MAKERS: dict[str, Callable[[Closures, Any], Closure]] = {
    "field": Closures._field,
    "subexpression": Closures._chain,
    "index_expression": Closures._chain,
    "pipe": Closures._chain,
    "comparator": Closures._comparator,
    "current": Closures._identity,
    "identity": Closures._identity,
    "function_expression": Closures._function,
    "filter_projection": Closures._filter_projection,
    "flatten": Closures._flatten,
    "index": Closures._index,
    "slice": Closures._slice,
    "key_val_pair": Closures._key_val_pair,
    "literal": Closures._literal,
    "multi_select_dict": Closures._multi_select_dict,
    "multi_select_list": Closures._multi_select_list,
    "or_expression": Closures._or,
    "and_expression": Closures._and,
    "not_expression": Closures._not,
    "projection": Closures._projection,
    "value_projection": Closures._value_projection,
}
