"""References from Gateways and ListenerSets to Secrets and ConfigMaps.

A referenced Secret counts as present when a manifest defines it, or when a
producer in the repository names it: cert-manager `Certificate.spec.secretName`,
a `SealedSecret`, an `ExternalSecret` target. A Secret written as a manifest is
also checked for content (a TLS Secret needs PEM `tls.crt` and `tls.key`); a
produced one is trusted, its content is made in the cluster.

When neither shows, the state's presence oracle decides: `missing` gives False
(as it is in a self-contained tree such as the conformance suite, where every
Secret is a manifest), `unknown` / `external` give Unknown, for repositories
where Secrets are known to come from elsewhere.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from policycheck.model import CORE_GROUP, Resource, ResourceKey
from policycheck.resolver.fields import as_dict, as_str, metadata
from policycheck.resolver.grants import Grants
from policycheck.resolver.refs import normalize_group
from policycheck.state import State
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN

SECRET = (CORE_GROUP, "Secret")
CONFIG_MAP = (CORE_GROUP, "ConfigMap")


@dataclass(frozen=True)
class RefCheck:
    """The outcome of one object reference: a condition status, reason and message."""

    status: str
    reason: str
    message: str


OK = RefCheck(TRUE, "ResolvedRefs", "")


class SecretProducers:
    """Names of Secrets that objects in the repository produce, by namespace."""

    def __init__(self, state: State) -> None:
        self.names: set[tuple[str, str]] = set()
        for res in state.of_kind("cert-manager.io", "Certificate"):
            name = as_str(res.spec.get("secretName"))
            if name:
                self.names.add((res.key.namespace, name))
        for res in state.of_kind("bitnami.com", "SealedSecret"):
            self.names.add((res.key.namespace, res.key.name))
            tmpl = as_str(metadata(as_dict(res.spec.get("template"))).get("name"))
            if tmpl:
                self.names.add((res.key.namespace, tmpl))
        for res in state.of_kind("external-secrets.io", "ExternalSecret"):
            target = as_str(as_dict(res.spec.get("target")).get("name"))
            self.names.add((res.key.namespace, target or res.key.name))

    def produces(self, key: ResourceKey) -> bool:
        return (key.group, key.kind) == SECRET and (key.namespace, key.name) in self.names


def _pem(value: Any, encoded: bool) -> str | None:
    if not isinstance(value, str):
        return None
    if not encoded:
        return value
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None


def _field(res: Resource, key: str) -> str | None:
    """A data key of a Secret/ConfigMap as text: stringData/data, base64 decoded for Secrets."""
    secret = res.key.kind == "Secret"
    string_data = as_dict(res.body.get("stringData")) if secret else {}
    if key in string_data:
        return _pem(string_data[key], encoded=False)
    data = as_dict(res.body.get("data"))
    if key in data:
        return _pem(data[key], encoded=secret)
    binary = as_dict(res.body.get("binaryData"))
    if key in binary:
        return _pem(binary[key], encoded=True)
    return None


def tls_secret_problem(res: Resource) -> str | None:
    """Why a Secret cannot serve as a TLS certificate, or None when it can."""
    crt, key = _field(res, "tls.crt"), _field(res, "tls.key")
    if crt is None or key is None:
        return "has no tls.crt and tls.key"
    if "-----BEGIN CERTIFICATE-----" not in crt:
        return "tls.crt is not a PEM certificate"
    if "PRIVATE KEY-----" not in key:
        return "tls.key is not a PEM private key"
    return None


def ca_bundle_problem(res: Resource) -> str | None:
    """Why a ConfigMap/Secret cannot serve as a CA bundle, or None when it can."""
    ca = _field(res, "ca.crt")
    if ca is None:
        return "has no ca.crt"
    if "-----BEGIN CERTIFICATE-----" not in ca:
        return "ca.crt is not a PEM certificate"
    return None


@dataclass(frozen=True)
class RefRules:
    """What a reference may name and which reasons report its failures."""

    allowed: frozenset[tuple[str, str]]
    default_kind: str
    invalid_kind: str
    invalid_ref: str
    content: Callable[[Resource], str | None]


LISTENER_CERT = RefRules(frozenset({SECRET}), "Secret", "InvalidCertificateRef", "InvalidCertificateRef",
                         tls_secret_problem)
CLIENT_CERT = RefRules(frozenset({SECRET}), "Secret", "InvalidClientCertificateRef",
                       "InvalidClientCertificateRef", tls_secret_problem)
CA_CERT = RefRules(frozenset({CONFIG_MAP, SECRET}), "ConfigMap", "InvalidCACertificateKind",
                   "InvalidCACertificateRef", ca_bundle_problem)


def check_ref(state: State, grants: Grants, producers: SecretProducers, owner: ResourceKey, raw: Any,
              rules: RefRules) -> RefCheck:
    """Resolve one SecretObjectReference-like item from `owner`."""
    ref = as_dict(raw)
    name = as_str(ref.get("name"))
    if not name:
        return RefCheck(FALSE, rules.invalid_ref, "reference has no name")
    group = normalize_group(as_str(ref.get("group")) or "", "spec")
    kind = as_str(ref.get("kind")) or rules.default_kind
    if (group, kind) not in rules.allowed:
        gk = f"{kind}.{group}" if group else kind
        return RefCheck(FALSE, rules.invalid_kind, f"{gk} {name}: unsupported kind of reference")
    target = ResourceKey(group, kind, as_str(ref.get("namespace")) or owner.namespace, name)
    if not grants.permits(owner, target):
        return RefCheck(FALSE, "RefNotPermitted",
                        f"{target} is in another namespace and no ReferenceGrant there permits it")
    res = state.get(target)
    if res is not None:
        problem = rules.content(res)
        return OK if problem is None else RefCheck(FALSE, rules.invalid_ref, f"{target} {problem}")
    if producers.produces(target):
        return OK
    presence = state.presence(target)
    if presence.state in (MISSING, PRESENT):
        return RefCheck(FALSE, rules.invalid_ref, f"{target} not found in the repository")
    return RefCheck(UNKNOWN, "Pending", f"{target}: {presence.reason or presence.state}")


def worst(checks: list[RefCheck]) -> RefCheck:
    """The first False, else the first Unknown, else OK."""
    return next((c for c in checks if c.status == FALSE), next((c for c in checks if c.status == UNKNOWN), OK))
