"""Indexes read once per resolution and shared by every module of the resolver (reused while unchanged)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from policycheck.model import GATEWAY_GROUP
from policycheck.resolver.certificates import PRODUCER_KINDS, SecretProducers
from policycheck.resolver.grants import Grants
from policycheck.resolver.memo import KindMemo
from policycheck.resolver.namespaces import Namespaces
from policycheck.state import State

if TYPE_CHECKING:
    from policycheck.resolver.backendtls import BackendTLS


@dataclass(frozen=True)
class Lookups:
    state: State
    profile: str
    namespaces: Namespaces = field(init=False)
    grants: Grants = field(init=False)
    producers: SecretProducers = field(init=False)

    def __post_init__(self) -> None:
        # Frozen for callers; the indexes are built here, once, or taken from the previous
        # resolution when the objects they read are the same.
        grants = self.state.of_kind(GATEWAY_GROUP, "ReferenceGrant")
        producers = [res for gk in PRODUCER_KINDS for res in self.state.of_kind(*gk)]
        object.__setattr__(self, "namespaces", Namespaces(self.state))
        object.__setattr__(self, "grants", _GRANTS.get(grants, lambda: Grants(self.state)))
        object.__setattr__(self, "producers", _PRODUCERS.get(producers, lambda: SecretProducers(self.state)))

    @cached_property
    def backend_tls(self) -> BackendTLS:
        """BackendTLSPolicies with their outcomes, read on the first backend that asks."""
        from policycheck.resolver.backendtls import BackendTLS  # it reads these lookups
        return BackendTLS(self)


_GRANTS: KindMemo[Grants] = KindMemo()
_PRODUCERS: KindMemo[SecretProducers] = KindMemo()
