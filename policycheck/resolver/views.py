"""Gateway and ListenerSet views kept from one resolution to the next.

Building a Gateway's view (the states of its listeners and of its ListenerSets')
costs far more than attaching one route to it, and consecutive states of a
history share nearly all their objects: a commit that edits one route should
attach that route to the views the previous commit built. A view is kept with
the objects it was built from (the Gateway and its ListenerSets, compared by
identity) and the answers it read from the state (reads.py), and reused only
when all of them are the same; a kept view is therefore always the view a
fresh computation would give, whatever else the commit changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from policycheck.model import Resource, ResourceKey
from policycheck.resolver.gateways import (
    LISTENER_SET_KINDS,
    GatewayView,
    ListenerSetView,
    gateway_view,
    listener_sets_by_gateway,
    missing_parent_listener_set,
)
from policycheck.resolver.lookups import Lookups
from policycheck.resolver.memo import KindMemo
from policycheck.resolver.reads import Answers, Reads

V = TypeVar("V")

PER_KEY = 4
LIMIT = 10_000


@dataclass(frozen=True)
class _Kept(Generic[V]):
    sources: tuple[Resource, ...]
    answers: Answers
    view: V


class _Table(Generic[V]):
    """The last few views built for each key (a Gateway's or a ListenerSet's), the latest first.

    A few rather than one: a run may resolve states of different branches in turn (the
    parents of a merge), and each should find its own views.
    """

    def __init__(self, per_key: int = PER_KEY, limit: int = LIMIT) -> None:
        self._per_key = per_key
        self._limit = limit
        self._kept: dict[ResourceKey, list[_Kept[V]]] = {}

    def get(self, key: ResourceKey, sources: Sequence[Resource], lookups: Lookups,
            compute: Callable[[Reads], V]) -> V:
        entries = self._kept.get(key)
        if entries is None:
            if len(self._kept) >= self._limit:
                self._kept.clear()
            entries = self._kept[key] = []
        for i, kept in enumerate(entries):
            if len(kept.sources) == len(sources) and all(
                    a is b for a, b in zip(kept.sources, sources, strict=True)) and kept.answers.hold(lookups):
                if i:
                    entries.insert(0, entries.pop(i))
                return kept.view
        reads = Reads(lookups)
        view = compute(reads)
        entries.insert(0, _Kept(tuple(sources), reads.answers(), view))
        del entries[self._per_key:]
        return view


_GATEWAYS: _Table[GatewayView] = _Table()
_ORPHANS: _Table[ListenerSetView] = _Table()
_LS_INDEX: KindMemo[dict[ResourceKey, list[Resource]]] = KindMemo()


def listener_sets_of(lookups: Lookups) -> dict[ResourceKey, list[Resource]]:
    """ListenerSets by the Gateway they name, rebuilt only when a ListenerSet changed."""
    state = lookups.state
    every = [res for group, kind in LISTENER_SET_KINDS for res in state.of_kind(group, kind)]
    return _LS_INDEX.get(every, lambda: listener_sets_by_gateway(lookups))


def gateway(lookups: Lookups, gw: Resource, listener_sets: Sequence[Resource]) -> GatewayView:
    """The view of a Gateway with these ListenerSets, kept while its inputs are the same."""
    return _GATEWAYS.get(gw.key, (gw, *listener_sets), lookups, lambda reads: gateway_view(reads, gw, listener_sets))


def orphan(lookups: Lookups, ls: Resource) -> ListenerSetView:
    """The view of a ListenerSet whose Gateway the state does not hold, kept likewise."""
    return _ORPHANS.get(ls.key, (ls,), lookups, lambda reads: missing_parent_listener_set(reads, ls))
