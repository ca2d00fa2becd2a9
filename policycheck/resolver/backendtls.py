"""BackendTLSPolicy: its own status, and what it does to the routes whose backends it targets.

A backendRef to a Service that a BackendTLSPolicy targets makes the route's
ResolvedRefs False when "a BackendTLSPolicy is present that refers to the
Service, and the implementation is unable to meet the requirement"
(HTTPBackendRef): a policy that is not accepted because no CA certificate
reference resolves, or a `wellKnownCACertificates` value that is not known.

The policy's own conditions follow backendtlspolicy_types.go:
- ResolvedRefs False `InvalidCACertificateRef` for a ConfigMap that does not
  exist or holds no PEM `ca.crt`, `InvalidKind` for a kind that is neither
  ConfigMap nor Secret (a Secret is "Implementation-specific", so Unknown);
- Accepted False `NoValidCACertificate` when every reference is invalid,
  `Invalid` for an unknown `wellKnownCACertificates`, `Conflicted` for a policy
  that loses to an older one on the same Service and sectionName ("a policy
  with the oldest creation timestamp ... alphabetical order by
  {namespace}/{name}"), `TargetNotFound` when the targeted Service does not exist.
A policy with a sectionName applies to that Service port before one without.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from policycheck.model import CORE_GROUP, GATEWAY_GROUP, Resource, ResourceKey
from policycheck.resolver import certificates as certs
from policycheck.resolver.fields import as_dict, as_int, as_list, as_str, creation_timestamp, dicts
from policycheck.resolver.lookups import Lookups
from policycheck.status import FALSE, MISSING, TRUE, UNKNOWN, Condition, PolicyStatus, Presence

POLICY = (GATEWAY_GROUP, "BackendTLSPolicy")
WELL_KNOWN = ("System",)
BACKEND_CA = certs.RefRules(frozenset({certs.CONFIG_MAP}), "ConfigMap", "InvalidKind", "InvalidCACertificateRef",
                            certs.ca_bundle_problem)
# What a route's ResolvedRefs says when a BackendTLSPolicy on its backend cannot be met (an
# implementation's word: the spec names no reason for it).
ROUTE_REASON = "InvalidBackendTLS"


@dataclass(frozen=True)
class PolicyOutcome:
    resource: Resource
    accepted: Condition
    resolved: Condition
    targets: tuple[tuple[ResourceKey, str | None], ...]  # (Service, sectionName)

    @property
    def conflicted(self) -> bool:
        return self.accepted.reason == "Conflicted"


class _Source:
    """A reference source over one resolution's lookups (certificates.RefSource)."""

    def __init__(self, lookups: Lookups) -> None:
        self._lookups = lookups

    def get(self, key: ResourceKey) -> Resource | None:
        return self._lookups.state.get(key)

    def presence(self, key: ResourceKey) -> Presence:
        return self._lookups.state.presence(key)

    def permits(self, source: ResourceKey, target: ResourceKey) -> bool:
        return source.namespace == target.namespace  # references are local

    def produces(self, key: ResourceKey) -> bool:
        return self._lookups.producers.produces(key)


def _targets(res: Resource) -> tuple[tuple[ResourceKey, str | None], ...]:
    out = []
    for ref in dicts(res.spec.get("targetRefs")):
        group, kind, name = as_str(ref.get("group")) or "", as_str(ref.get("kind")) or "", as_str(ref.get("name"))
        if name and (group in ("", "core"), kind) == (True, "Service"):
            out.append((ResourceKey(CORE_GROUP, "Service", res.key.namespace, name),
                        as_str(ref.get("sectionName")) or None))
    return tuple(out)


def tls_targets(res: Resource) -> tuple[ResourceKey, ...]:
    """The Services a BackendTLSPolicy targets (what a change to it re-resolves)."""
    return tuple(t for t, _ in _targets(res))


def ca_names(res: Resource) -> frozenset[tuple[str, str]]:
    """(namespace, name) of every CA certificate reference of a BackendTLSPolicy, whatever the kind."""
    refs = as_list(as_dict(res.spec.get("validation")).get("caCertificateRefs"))
    return frozenset((res.key.namespace, name) for name in (as_str(as_dict(r).get("name")) for r in refs) if name)


def _own(lookups: Lookups, res: Resource) -> tuple[Condition, Condition]:
    """(Accepted, ResolvedRefs) of one policy on its own, before conflicts."""
    validation = as_dict(res.spec.get("validation"))
    checks = []
    source = _Source(lookups)
    for raw in as_list(validation.get("caCertificateRefs")):
        ref = as_dict(raw)
        kind = as_str(ref.get("kind")) or "ConfigMap"
        if (as_str(ref.get("group")) or "") in ("", "core") and kind == "Secret":
            checks.append(certs.RefCheck(UNKNOWN, "Pending", f"Secret {as_str(ref.get('name'))}: a Secret as a CA "
                                         "certificate reference is implementation-specific"))
        else:
            checks.append(certs.check_ref(source, res.key, raw, BACKEND_CA))
    worst = certs.worst(checks)
    resolved = Condition("ResolvedRefs", worst.status, worst.reason, worst.message)
    well_known = validation.get("wellKnownCACertificates")
    if well_known is not None and well_known not in WELL_KNOWN:
        return Condition("Accepted", FALSE, "Invalid", f"wellKnownCACertificates {well_known!r} is not known"), resolved
    if checks and all(c.status == FALSE for c in checks):
        return Condition("Accepted", FALSE, "NoValidCACertificate",
                         f"no CA certificate reference resolves: {worst.message}"), resolved
    if checks and not any(c.status == TRUE for c in checks) and well_known is None:
        return Condition("Accepted", UNKNOWN, "Pending", worst.message), resolved
    targets = _targets(res)
    if targets and all(lookups.state.presence(t).state == MISSING for t, _ in targets):
        return Condition("Accepted", FALSE, "TargetNotFound", "no targeted Service is in the repository"), resolved
    return Condition("Accepted", TRUE, "Accepted"), resolved


def _order(res: Resource) -> tuple[int, str, str, str]:
    stamp = creation_timestamp(res.body)
    return (0 if stamp else 1, stamp, res.key.namespace, res.key.name)


class BackendTLS:
    """Every BackendTLSPolicy of a state with its outcome, and the policies by targeted Service."""

    def __init__(self, lookups: Lookups) -> None:
        self.outcomes: dict[ResourceKey, PolicyOutcome] = {}
        self._by_service: dict[ResourceKey, list[PolicyOutcome]] = defaultdict(list)
        claimed: set[tuple[ResourceKey, str | None]] = set()
        for res in sorted(lookups.state.of_kind(*POLICY), key=_order):
            accepted, resolved = _own(lookups, res)
            targets = _targets(res)
            if any(t in claimed for t in targets):
                accepted = Condition("Accepted", FALSE, "Conflicted",
                                     "an older BackendTLSPolicy targets the same Service and sectionName")
            claimed.update(targets)
            outcome = PolicyOutcome(res, accepted, resolved, targets)
            self.outcomes[res.key] = outcome
            for service, _ in targets:
                self._by_service[service].append(outcome)

    def problem(self, lookups: Lookups, service: ResourceKey, port: int | None) -> Condition | None:
        """The route's ResolvedRefs for a backend on this Service port when a policy there cannot be met."""
        outcomes = [o for o in self._by_service.get(service, ()) if not o.conflicted]
        if not outcomes:
            return None
        named = _port_name(lookups, service, port)
        chosen = next((o for o in outcomes if (service, named) in o.targets and named is not None), None)
        if chosen is None:
            chosen = next((o for o in outcomes if (service, None) in o.targets), None)
        if chosen is None or chosen.accepted.status == TRUE:
            return None
        status = FALSE if chosen.accepted.status == FALSE else UNKNOWN
        return Condition("ResolvedRefs", status, ROUTE_REASON if status == FALSE else "Pending",
                         f"BackendTLSPolicy {chosen.resource.key.namespace}/{chosen.resource.key.name} on {service} "
                         f"cannot be met: {chosen.accepted.reason}: {chosen.accepted.message}")

    def statuses(self, ancestors: Mapping[ResourceKey, set[ResourceKey]]) -> dict[ResourceKey, PolicyStatus]:
        """Each policy's status, with the Gateways its Services are reached through (`ancestors` by Service)."""
        out = {}
        for k, o in self.outcomes.items():
            through = sorted({gw for t, _ in o.targets for gw in ancestors.get(t, ())})
            out[k] = PolicyStatus(k, (o.accepted, o.resolved), tuple(t for t, _ in o.targets), tuple(through))
        return out


def _port_name(lookups: Lookups, service: ResourceKey, port: int | None) -> str | None:
    res = lookups.state.get(service)
    if res is None or port is None:
        return None
    for item in dicts(res.spec.get("ports")):
        if as_int(item.get("port")) == port:
            return as_str(item.get("name"))
    return None
