"""Work reused across resolutions of consecutive states.

Consecutive states share the `Resource` objects (and their bodies) of unchanged
files, so anything computed from a body, or from one kind's objects, can be kept
while those objects are the same (`is`). Each memo holds its inputs, so an id is
never reused while its entry lives, and each is bounded so that a long history
does not grow memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from policycheck.model import Resource

T = TypeVar("T")

BODY_LIMIT = 200_000


class BodyMemo(Generic[T]):
    """A value per (body, key, extra), for values that depend on nothing but the object itself."""

    def __init__(self, limit: int = BODY_LIMIT) -> None:
        self._limit = limit
        self._entries: dict[int, tuple[dict[str, Any], Hashable, T]] = {}

    def get(self, res: Resource, extra: Hashable, compute: Callable[[], T]) -> T:
        hit = self._entries.get(id(res.body))
        tag = (res.key, extra)
        if hit is not None and hit[0] is res.body and hit[1] == tag:
            return hit[2]
        value = compute()
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[id(res.body)] = (res.body, tag, value)
        return value


class KindMemo(Generic[T]):
    """The last value built from a list of objects, reused while the list holds the same objects.

    A state hands out the very list of its parent for a kind none of whose objects changed
    (`State.of_kind`), and lists are never mutated, so that list itself answers at once.
    """

    def __init__(self) -> None:
        self._source: Sequence[Resource] = ()
        self._inputs: tuple[Resource, ...] = ()
        self._value: T | None = None

    def get(self, resources: Sequence[Resource], compute: Callable[[], T]) -> T:
        if self._value is not None and (resources is self._source or (len(resources) == len(self._inputs) and all(
                a is b for a, b in zip(resources, self._inputs, strict=True)))):
            self._source = resources
            return self._value
        value = compute()
        self._source, self._inputs, self._value = resources, tuple(resources), value
        return value
