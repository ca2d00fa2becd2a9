"""What a Gateway's view asks of one resolution's state, recorded with the answers.

A Gateway's listener states (and those of its ListenerSets) are a function of
the Gateway, its ListenerSets and a few questions put to the state: the objects
that certificate and parameter references name and their presence, whether a
ReferenceGrant permits a reference, whether a producer makes a Secret, and the
labels of a namespace (its Namespace object). Computing the view through
`Reads` keeps every question with its answer; another state that gives the
same answers (the same objects, by identity) gives the same view, so
`Answers.hold` is exactly the condition for reusing it, whatever changed
elsewhere in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.lookups import Lookups
from policycheck.status import Presence


@dataclass(frozen=True)
class Answers:
    """The questions one computation asked, with their answers; holds no state."""

    objects: tuple[tuple[ResourceKey, Resource | None], ...]
    presences: tuple[tuple[ResourceKey, Presence], ...]
    permits: tuple[tuple[ResourceKey, ResourceKey, bool], ...]
    produces: tuple[tuple[ResourceKey, bool], ...]

    def hold(self, lookups: Lookups) -> bool:
        """Whether `lookups` answers every question the same way.

        Asked for every Gateway a commit's routes name: the cheap questions first, as
        plain loops, and the presence oracle, the dearest, last.
        """
        state = lookups.state
        for key, res in self.objects:
            if state.get(key) is not res:
                return False
        grants, producers = lookups.grants, lookups.producers
        for source, target, ok in self.permits:
            if grants.permits(source, target) is not ok:
                return False
        for key, ok in self.produces:
            if producers.produces(key) is not ok:
                return False
        return all(state.presence(key) == presence for key, presence in self.presences)


class Reads:
    """The questions a view may ask, answered by `lookups` and recorded."""

    def __init__(self, lookups: Lookups) -> None:
        self._lookups = lookups
        self._objects: dict[ResourceKey, Resource | None] = {}
        self._presences: dict[ResourceKey, Presence] = {}
        self._permits: dict[tuple[ResourceKey, ResourceKey], bool] = {}
        self._produces: dict[ResourceKey, bool] = {}

    def get(self, key: ResourceKey) -> Resource | None:
        if key not in self._objects:
            self._objects[key] = self._lookups.state.get(key)
        return self._objects[key]

    def presence(self, key: ResourceKey) -> Presence:
        if key not in self._presences:
            self._presences[key] = self._lookups.state.presence(key)
        return self._presences[key]

    def permits(self, source: ResourceKey, target: ResourceKey) -> bool:
        if (source, target) not in self._permits:
            self._permits[(source, target)] = self._lookups.grants.permits(source, target)
        return self._permits[(source, target)]

    def produces(self, key: ResourceKey) -> bool:
        if key not in self._produces:
            self._produces[key] = self._lookups.producers.produces(key)
        return self._produces[key]

    def selects(self, selector: Any, namespace: str) -> bool | None:
        """A label selector on a namespace: the answer reads the selector and the Namespace object only."""
        self.get(ResourceKey(CORE_GROUP, "Namespace", "", namespace))
        return self._lookups.namespaces.selects(selector, namespace)

    def answers(self) -> Answers:
        return Answers(tuple(self._objects.items()), tuple(self._presences.items()),
                       tuple((s, t, ok) for (s, t), ok in self._permits.items()), tuple(self._produces.items()))
