"""A read-only mapping derived from another by a few changes, without copying it.

Consecutive states of a history differ in a handful of files, yet their maps
(files by path, objects by key) hold thousands of entries. Copying such a map
per commit makes a commit cost the size of the repository, twice over: once to
copy it, and again each time the cyclic collector walks the fresh copy. An
`Overlay` shares a flat dict with the maps it was derived from and keeps only
its own changes over it; once those outgrow a fraction of the whole, the next
derived map is flat again, so lookups stay two probes and the copying, spread
over the commits, stays proportional to what they changed.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Any, TypeVar, cast

K = TypeVar("K")
V = TypeVar("V")


class _Gone:
    """Marks a key the overlay removed from its base."""


_GONE: Any = _Gone()
_ABSENT: Any = object()
# Changes kept over the shared dict before the next derived map is made flat again:
# a fraction of its size (the copying then averages a few entries per change).
_MIN_TOP = 64
_TOP_SHIFT = 4


class Overlay(Mapping[K, V]):
    """A flat dict shared with related maps, and this map's own changes over it (never mutated)."""

    __slots__ = ("_base", "_len", "_top")

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        self._base: dict[K, V] = dict(items) if items is not None else {}
        self._top: dict[K, V] = {}
        self._len = len(self._base)

    @classmethod
    def adopt(cls, items: dict[K, V]) -> Overlay[K, V]:
        """An overlay over `items` itself, which the caller hands over and no longer changes."""
        out: Overlay[K, V] = cls.__new__(cls)
        out._base, out._top, out._len = items, {}, len(items)
        return out

    @classmethod
    def of(cls, items: Mapping[K, V]) -> Overlay[K, V]:
        """`items` itself when it is an overlay, else an overlay over a copy of it."""
        return items if isinstance(items, Overlay) else cls(items)

    def derive(self, put: Mapping[K, V] | Iterable[tuple[K, V]] = (), drop: Iterable[K] = ()) -> Overlay[K, V]:
        """A new map: this one without the keys in `drop`, then with the entries of `put`."""
        top = dict(self._top)
        size = self._len
        base = self._base
        for key in drop:
            held = top.get(key, _ABSENT)
            if held is _GONE or (held is _ABSENT and key not in base):
                continue  # not there (or dropped already)
            size -= 1
            if key in base:
                top[key] = _GONE
            else:
                del top[key]
        for key, value in put.items() if isinstance(put, Mapping) else put:
            held = top.get(key, _ABSENT)
            if held is _GONE or (held is _ABSENT and key not in base):
                size += 1
            top[key] = value
        out: Overlay[K, V] = Overlay.__new__(Overlay)
        if len(top) > max(_MIN_TOP, len(base) >> _TOP_SHIFT):
            flat = dict(base)
            for key, value in top.items():
                if value is _GONE:
                    del flat[key]
                else:
                    flat[key] = value
            out._base, out._top = flat, {}
        else:
            out._base, out._top = base, top
        out._len = size
        return out

    def __getitem__(self, key: K) -> V:
        value = self._top.get(key, _ABSENT)
        if value is _ABSENT:
            return self._base[key]
        if value is _GONE:
            raise KeyError(key)
        return cast(V, value)

    def get(self, key: K, default: Any = None) -> Any:  # as dict.get: the default's type, or V
        value = self._top.get(key, _ABSENT)
        if value is _ABSENT:
            return self._base.get(key, default)
        return default if value is _GONE else value

    def __contains__(self, key: object) -> bool:
        value = self._top.get(key, _ABSENT)  # type: ignore[call-overload,arg-type]
        if value is _ABSENT:
            return key in self._base
        return value is not _GONE

    def __iter__(self) -> Iterator[K]:
        top = self._top
        if not top:
            return iter(self._base)
        return self._walk(top)

    def _walk(self, top: dict[K, V]) -> Iterator[K]:
        # The base's order, then the keys it did not have, in the order they were added.
        base = self._base
        for key in base:
            if top.get(key, _ABSENT) is not _GONE:
                yield key
        for key, value in top.items():
            if value is not _GONE and key not in base:
                yield key

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def _pairs(self) -> Iterator[tuple[K, V]]:
        # As `_walk`, with the values: a lookup per key through `__getitem__` would double the cost.
        base, top = self._base, self._top
        if not top:
            yield from base.items()
            return
        for key, value in base.items():
            held = top.get(key, _ABSENT)
            if held is _ABSENT:
                yield key, value
            elif held is not _GONE:
                yield key, held
        for key, held in top.items():
            if held is not _GONE and key not in base:
                yield key, held

    def differing(self, other: Overlay[K, V]) -> set[K] | None:
        """The keys whose values (by identity) may differ between this map and `other`, found from
        their own changes alone; None when they do not share a flat dict (one was made flat since)."""
        if self._base is not other._base:
            return None
        mine, theirs = self._top, other._top
        return {key for key in mine.keys() | theirs.keys() if mine.get(key, _ABSENT) is not theirs.get(key, _ABSENT)}

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"Overlay({dict(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return len(self) == len(other) and all(k in other and other[k] == v for k, v in self.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Stored flat: a stored map is read on its own, with nothing to share.
        return Overlay, (dict(self),)


class _Values(ValuesView[V]):
    _mapping: Overlay[Any, V]

    def __iter__(self) -> Iterator[V]:
        return (value for _, value in self._mapping._pairs())


class _Items(ItemsView[K, V]):
    _mapping: Overlay[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return self._mapping._pairs()
