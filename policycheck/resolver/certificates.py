"""References from Gateways and ListenerSets to Secrets and ConfigMaps.

A referenced Secret counts as present when a manifest defines it, or when a
producer in the repository names it: cert-manager `Certificate.spec.secretName`,
a `SealedSecret`, an `ExternalSecret` target. A Secret written as a manifest is
also checked for content (a TLS Secret needs PEM `tls.crt` and `tls.key` whose
blocks are base64 DER, pem.py); a produced one is trusted, its content is made in the cluster.

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
from typing import Any, Protocol

from policycheck.model import CORE_GROUP, GATEWAY_GROUP, Resource, ResourceKey
from policycheck.resolver import pem
from policycheck.resolver.fields import as_dict, as_list, as_str, dicts, metadata
from policycheck.resolver.refs import normalize_group
from policycheck.state import State
from policycheck.status import FALSE, MISSING, PRESENT, TRUE, UNKNOWN, Presence

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
        for gk in PRODUCER_KINDS:
            for res in state.of_kind(*gk):
                self.names.update(produced_names(res))

    def produces(self, key: ResourceKey) -> bool:
        return (key.group, key.kind) == SECRET and (key.namespace, key.name) in self.names


PRODUCER_KINDS = (("cert-manager.io", "Certificate"), ("bitnami.com", "SealedSecret"),
                  ("external-secrets.io", "ExternalSecret"), (GATEWAY_GROUP, "Gateway"))
# cert-manager's gateway-shim issues the certificates a Gateway so annotated names in its listeners.
_ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


def produced_names(res: Resource) -> set[tuple[str, str]]:
    """(namespace, name) of the Secrets one producer object makes (empty for any other kind)."""
    ns, kind = res.key.namespace, (res.key.group, res.key.kind)
    if kind == PRODUCER_KINDS[0]:
        name = as_str(res.spec.get("secretName"))
        return {(ns, name)} if name else set()
    if kind == PRODUCER_KINDS[1]:
        tmpl = as_str(metadata(as_dict(res.spec.get("template"))).get("name"))
        return {(ns, res.key.name), (ns, tmpl)} if tmpl else {(ns, res.key.name)}
    if kind == PRODUCER_KINDS[2]:
        target = as_str(as_dict(res.spec.get("target")).get("name"))
        return {(ns, target or res.key.name)}
    if kind == PRODUCER_KINDS[3]:
        annotations = as_dict(metadata(res.body).get("annotations"))
        if not any(as_str(annotations.get(a)) for a in _ISSUER_ANNOTATIONS):
            return set()
        out = set()
        for listener in as_list(res.spec.get("listeners")):
            for raw in as_list(as_dict(as_dict(listener).get("tls")).get("certificateRefs")):
                ref = as_dict(raw)
                name = as_str(ref.get("name"))
                if name and (as_str(ref.get("kind")) or "Secret") == "Secret" and not as_str(ref.get("group")):
                    out.add((as_str(ref.get("namespace")) or ns, name))
        return out
    return set()


def certificate_names(res: Resource) -> frozenset[tuple[str, str]]:
    """(namespace, name) of every Secret / ConfigMap a Gateway or ListenerSet names, whatever the kind.

    Listener certificateRefs, frontend caCertificateRefs (default and per port) and the backend
    clientCertificateRef; a superset, read to know which Gateways a changed Secret can touch.
    """
    spec = res.spec
    raws: list[Any] = []
    for lst in dicts(spec.get("listeners")):
        raws.extend(as_list(as_dict(lst.get("tls")).get("certificateRefs")))
    tls = as_dict(spec.get("tls"))
    frontend = as_dict(tls.get("frontend"))
    validations = [as_dict(as_dict(frontend.get("default")).get("validation"))]
    validations += [as_dict(as_dict(p.get("tls")).get("validation")) for p in dicts(frontend.get("perPort"))]
    for v in validations:
        raws.extend(as_list(v.get("caCertificateRefs")))
    raws.append(as_dict(tls.get("backend")).get("clientCertificateRef"))
    out = set()
    for raw in raws:
        ref = as_dict(raw)
        name = as_str(ref.get("name"))
        if name:
            out.add((as_str(ref.get("namespace")) or res.key.namespace, name))
    return frozenset(out)


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
    return pem.certificates_problem(crt, "tls.crt") or pem.private_key_problem(key, "tls.key")


def ca_bundle_problem(res: Resource) -> str | None:
    """Why a ConfigMap/Secret cannot serve as a CA bundle, or None when it can."""
    ca = _field(res, "ca.crt")
    if ca is None:
        return "has no ca.crt"
    return pem.certificates_problem(ca, "ca.crt")


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


class RefSource(Protocol):
    """What resolving a reference asks of a state (resolver.reads records it)."""

    def get(self, key: ResourceKey) -> Resource | None: ...

    def presence(self, key: ResourceKey) -> Presence: ...

    def permits(self, source: ResourceKey, target: ResourceKey) -> bool: ...

    def produces(self, key: ResourceKey) -> bool: ...


def check_ref(source: RefSource, owner: ResourceKey, raw: Any, rules: RefRules) -> RefCheck:
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
    if not source.permits(owner, target):
        return RefCheck(FALSE, "RefNotPermitted",
                        f"{target} is in another namespace and no ReferenceGrant there permits it")
    res = source.get(target)
    if res is not None:
        problem = rules.content(res)
        return OK if problem is None else RefCheck(FALSE, rules.invalid_ref, f"{target} {problem}")
    if source.produces(target):
        return OK
    presence = source.presence(target)
    if presence.state in (MISSING, PRESENT):
        return RefCheck(FALSE, rules.invalid_ref, f"{target} not found in the repository")
    return RefCheck(UNKNOWN, "Pending", f"{target}: {presence.reason or presence.state}")


def worst(checks: list[RefCheck]) -> RefCheck:
    """The first False, else the first Unknown, else OK."""
    return next((c for c in checks if c.status == FALSE), next((c for c in checks if c.status == UNKNOWN), OK))
