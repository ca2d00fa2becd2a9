"""Gateway API attachment semantics: what a controller would write into status.

`resolve()` is the one entry point; the profiles (spec, linkerd) select where
implementations differ from the specification.
"""

from __future__ import annotations

from collections.abc import Iterable

from policycheck.model import ResourceKey
from policycheck.resolver.routes import resolve_state
from policycheck.state import State
from policycheck.status import Resolution

PROFILES = ("spec", "linkerd")


def resolve(state: State, profile: str = "spec", routes: Iterable[ResourceKey] | None = None,
            gateways: bool = True) -> Resolution:
    """Predict status for every route of `state` (or only `routes`), and for Gateways when asked."""
    return resolve_state(state, profile, routes, gateways)
