"""Indexes read once per resolution and shared by every module of the resolver."""

from __future__ import annotations

from dataclasses import dataclass, field

from policycheck.resolver.certificates import SecretProducers
from policycheck.resolver.grants import Grants
from policycheck.resolver.namespaces import Namespaces
from policycheck.state import State


@dataclass(frozen=True)
class Lookups:
    state: State
    profile: str
    namespaces: Namespaces = field(init=False)
    grants: Grants = field(init=False)
    producers: SecretProducers = field(init=False)

    def __post_init__(self) -> None:
        # Frozen for callers; the indexes are built here, once.
        object.__setattr__(self, "namespaces", Namespaces(self.state))
        object.__setattr__(self, "grants", Grants(self.state))
        object.__setattr__(self, "producers", SecretProducers(self.state))
