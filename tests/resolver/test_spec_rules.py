"""The specification's rules on attachment and conditions, one table row each, quoting the text.

Quotes are from gateway-api v1.6.1: apis/v1/gateway_types.go, httproute_types.go,
shared_types.go, grpcroute_types.go, backendtlspolicy_types.go and GEP-1713.
docs/spec-rules.md lists every rule with the row that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from resolver.resolverkit import NS, gateway, http_route, namespace, resolve_docs, service

from policycheck.model import GATEWAY_GROUP, ResourceKey
from policycheck.status import GatewayStatus, ListenerStatus, ParentStatus, PolicyStatus, Resolution

GW = ResourceKey(GATEWAY_GROUP, "Gateway", NS, "gw")


def route(res: Resolution, name: str = "r", kind: str = "HTTPRoute", index: int = 0) -> ParentStatus:
    return res.routes[ResourceKey(GATEWAY_GROUP, kind, NS, name)].parents[index]


def cond(obj: ParentStatus | ListenerStatus | GatewayStatus, ctype: str) -> tuple[str, str]:
    found = next(c for c in obj.conditions if c.type == ctype)
    return found.status, found.reason


def listener(res: Resolution, name: str, owner: str = "gw", kind: str = "Gateway") -> ListenerStatus:
    key = ResourceKey(GATEWAY_GROUP, kind, NS, owner)
    table = res.gateways if kind == "Gateway" else res.listener_sets
    return next(lst for lst in table[key].listeners if lst.name == name)


def listeners(*items: str) -> str:
    """Listener items, each `name port protocol [hostname]`; TLS ones pass through, HTTPS ones name Secret `cert`."""
    out = []
    for item in items:
        name, port, protocol, *host = item.split()
        text = f"- name: {name}\n  port: {port}\n  protocol: {protocol}\n"
        if host:
            text += f"  hostname: {host[0]}\n"
        if protocol == "HTTPS":
            text += "  tls:\n    certificateRefs:\n    - name: cert\n"
        if protocol == "TLS":
            text += "  tls:\n    mode: Passthrough\n"
        out.append(text)
    return "".join(out)


def listener_set(name: str, body: str, created: str = "") -> str:
    stamp = f"  creationTimestamp: '{created}'\n" if created else ""
    indented = "".join("  " + line + "\n" for line in body.splitlines())
    return (f"apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata:\n  name: {name}\n"
            f"  namespace: {NS}\n{stamp}spec:\n  parentRef:\n    name: gw\n  listeners:\n{indented}")


ALLOW = "  allowedListeners:\n    namespaces:\n      from: Same\n"
CERT = f"""
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: cert
  namespace: {NS}
spec:
  secretName: cert
"""




def stamped(doc: str, created: str) -> str:
    """A manifest with metadata.creationTimestamp set."""
    return doc.replace("metadata:\n", f"metadata:\n  creationTimestamp: '{created}'\n", 1)


def tls_secret(cert_body: str, key_body: str = "MAMCAQA=") -> str:
    """Secret `cert` with one PEM block each; MAcwADAAAwEA is a DER SEQUENCE {SEQUENCE, SEQUENCE, BIT STRING}."""
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: cert\n  namespace: {NS}\ntype: kubernetes.io/tls\n"
            f"stringData:\n  tls.crt: |\n    -----BEGIN CERTIFICATE-----\n    {cert_body}\n"
            f"    -----END CERTIFICATE-----\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    {key_body}\n"
            f"    -----END PRIVATE KEY-----\n")


def selector_listener(selector: str) -> str:
    return ("- name: sel\n  port: 80\n  protocol: HTTP\n  allowedRoutes:\n    namespaces:\n      from: Selector\n"
            + "".join(f"      {line}\n" for line in selector.splitlines()))


def tls_policy(name: str, ca: str = "- name: ca\n  group: ''\n  kind: ConfigMap", created: str = "",
               section: str = "") -> str:
    stamp = f"  creationTimestamp: '{created}'\n" if created else ""
    sect = f"    sectionName: {section}\n" if section else ""
    refs = "".join(f"      {line}\n" for line in ca.splitlines())
    return (f"apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata:\n  name: {name}\n"
            f"  namespace: {NS}\n{stamp}spec:\n  targetRefs:\n  - group: ''\n    kind: Service\n    name: svc\n{sect}"
            f"  validation:\n    hostname: svc.example.com\n    caCertificateRefs:\n{refs}")


CA_MAP = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ca\n  namespace: {NS}\ndata:\n  ca.crt: |\n"
          "    -----BEGIN CERTIFICATE-----\n    MAcwADAAAwEA\n    -----END CERTIFICATE-----\n")
BACKEND = "- name: svc\n  port: 443"
SVC = service(ports="- name: https\n  port: 443")


def policy(res: Resolution, name: str) -> PolicyStatus:
    return res.policies[ResourceKey(GATEWAY_GROUP, "BackendTLSPolicy", NS, name)]


@dataclass(frozen=True)
class Rule:
    id: str
    quote: str
    docs: tuple[str, ...]
    check: Callable[[Resolution], None]


def _expect(actual: object, wanted: object) -> None:
    assert actual == wanted


RULES = [
    Rule("attachment-ignores-listener-status",
         "Successful attachment of a Route to a Listener is based solely on the combination of the AllowedRoutes "
         "field on the corresponding Listener and the Route's ParentRefs field. ... Listener or Route status does "
         "not impact successful attachment, i.e. the AttachedRoutes field count MUST be set for Listeners, even if "
         "the Accepted condition of an individual Listener is set to False.",
         (gateway(listeners=listeners("a 80 HTTP", "b 80 HTTP")), http_route()),
         lambda res: (_expect(cond(route(res), "Accepted"), ("True", "Accepted")),
                      _expect(cond(listener(res, "a"), "Accepted"), ("False", "HostnameConflict")),
                      _expect(listener(res, "a").attached_routes, 1),
                      _expect(listener(res, "b").attached_routes, 1),
                      _expect(route(res).served, "False"))),
    Rule("attached-routes-count-only-accepted-routes",
         "Routes with any other value for the Accepted condition MUST NOT be included in this count.",
         (gateway(listeners=listeners("a 80 HTTP a.example.com")),
          http_route(hostnames="- b.example.com"), http_route("s")),
         lambda res: (_expect(cond(route(res), "Accepted"), ("False", "NoMatchingListenerHostname")),
                      _expect(listener(res, "a").attached_routes, 1))),
    Rule("served-by-an-accepted-listener",
         "Listener or Route status does not impact successful attachment",
         (gateway(listeners=listeners("a 80 HTTP", "b 80 HTTP", "c 81 HTTP")), http_route()),
         lambda res: (_expect(route(res).attached_to, ("a", "b", "c")), _expect(route(res).served, "True"))),
    Rule("served-subject-to-gateway-status",
         "Note that the route's availability is also subject to the Gateway's own status conditions and listener "
         "status.",
         (gateway(extra="  infrastructure:\n    parametersRef:\n      group: example.com\n      kind: Params\n"
                        "      name: missing\n"), http_route()),
         lambda res: (_expect(cond(route(res), "Accepted"), ("True", "Accepted")),
                      _expect(route(res).served, "False"),
                      _expect("InvalidParameters" in route(res).unserved, True))),
    Rule("distinct-per-protocol",
         "The set of listeners that all share a protocol value MUST have _different_ values for _at least one_ of "
         "these fields to be distinct: * **HTTP, HTTPS, TLS**: Port, Hostname * **TCP, UDP**: Port",
         (gateway(listeners=listeners("web 443 HTTPS shop.example.com", "pass 443 TLS shop.example.com")), CERT),
         lambda res: (_expect(cond(listener(res, "web"), "Conflicted"), ("False", "NoConflicts")),
                      _expect(cond(listener(res, "pass"), "Accepted"), ("True", "Accepted")))),
    Rule("compatible-listeners-are-implementation-specific",
         "Compatible combinations in Extended support are expected to vary across implementations. A combination "
         "that is compatible for one implementation may not be compatible for another.",
         (gateway(listeners=listeners("web 443 HTTPS shop.example.com", "pass 443 TLS shop.example.com")), CERT),
         lambda res: (_expect(cond(listener(res, "web"), "Programmed"), ("Unknown", "Pending")),
                      _expect(cond(listener(res, "pass"), "Programmed"), ("Unknown", "Pending")))),
    Rule("same-protocol-same-port-same-hostname-conflict",
         "If a set of Listeners contains Listeners that are not distinct, then those Listeners are _Conflicted_, "
         "and the implementation MUST set the \"Conflicted\" condition in the Listener Status to \"True\".",
         (gateway(listeners=listeners("a 80 HTTP x.example.com", "b 80 HTTP X.example.com")),),
         lambda res: (_expect(cond(listener(res, "a"), "Conflicted"), ("True", "HostnameConflict")),
                      _expect(cond(listener(res, "b"), "Conflicted"), ("True", "HostnameConflict")))),
    Rule("tcp-shares-no-port",
         "In this case all the Listeners that share a port with the TCP Listener are not distinct and so MUST NOT "
         "be accepted.",
         (gateway(listeners=listeners("a 80 HTTP", "b 80 TCP")),),
         lambda res: (_expect(cond(listener(res, "a"), "Accepted"), ("False", "ProtocolConflict")),
                      _expect(cond(listener(res, "b"), "Accepted"), ("False", "ProtocolConflict")))),
    Rule("no-winner-among-gateway-listeners",
         "The implementation MUST NOT pick one conflicting Listener as the winner. ALL indistinct Listeners must "
         "not be accepted for processing.",
         (gateway(listeners=listeners("a 80 HTTP", "b 80 HTTP", "c 80 HTTP")),),
         lambda res: _expect({cond(listener(res, n), "Accepted") for n in "abc"}, {("False", "HostnameConflict")})),
    Rule("listeners-not-valid-on-conflict",
         "The implementation MUST set a \"ListenersNotValid\" condition on the Gateway Status when the Gateway "
         "contains Conflicted Listeners whether or not they accept the Gateway.",
         (gateway(listeners=listeners("a 80 HTTP", "b 80 HTTP", "c 81 HTTP")),),
         lambda res: _expect(cond(res.gateways[GW], "Accepted"), ("True", "ListenersNotValid"))),
    Rule("no-winner-within-a-listener-set",
         "Regarding Conflict Management, Listeners in a ListenerSet follow the same rules of Listeners on a Gateway "
         "resource.",
         (gateway(extra=ALLOW), listener_set("ls", listeners("a 8080 HTTP", "b 8080 HTTP", "c 8081 HTTP"))),
         lambda res: _expect([cond(listener(res, n, "ls", "ListenerSet"), "Conflicted") for n in "abc"],
                             [("True", "HostnameConflict"), ("True", "HostnameConflict"), ("False", "NoConflicts")])),
    Rule("listener-set-precedence",
         "In the case of a conflict, the Listener Precedence should be respected: the first Listener in the "
         "precedence list MUST be accepted and should not have a `Conflicted` condition, while conflicting "
         "listeners MUST have a `Conflicted` condition set to `True`",
         (gateway(extra=ALLOW), listener_set("new", listeners("x 8080 HTTP"), "2025-02-01T00:00:00Z"),
          listener_set("old", listeners("w 8080 HTTP"), "2025-01-01T00:00:00Z")),
         lambda res: (_expect(cond(listener(res, "w", "old", "ListenerSet"), "Conflicted"), ("False", "NoConflicts")),
                      _expect(cond(listener(res, "x", "new", "ListenerSet"), "Conflicted"),
                              ("True", "HostnameConflict")))),
    Rule("no-matching-parent-is-for-port-and-section-name",
         "NoMatchingParent: This reason is used with the \"Accepted\" condition when a Route ParentRef specifies "
         "a Port and/or SectionName that does not match any Listeners in the parent.",
         (gateway(), http_route(parent_refs="- name: gw\n  sectionName: nope"),
          http_route("p", parent_refs="- name: gw\n  port: 8080")),
         lambda res: (_expect(cond(route(res), "Accepted"), ("False", "NoMatchingParent")),
                      _expect(cond(route(res, "p"), "Accepted"), ("False", "NoMatchingParent")))),
    Rule("not-allowed-by-listeners-for-kind",
         "NotAllowedByListeners: This reason is used with the \"Accepted\" condition when the route has not been "
         "accepted by a Gateway because the Gateway has no Listener whose allowedRoutes criteria permit the route",
         (gateway(listeners=listeners("odd 80 SCTP", "tcp 81 TCP")), http_route(),
          http_route("t", parent_refs="- name: gw\n  sectionName: tcp")),
         lambda res: (_expect(cond(route(res), "Accepted"), ("False", "NotAllowedByListeners")),
                      _expect(cond(route(res, "t"), "Accepted"), ("False", "NotAllowedByListeners")))),
    Rule("not-allowed-by-listeners-for-namespace",
         "NotAllowedByListeners: ... no Listener whose allowedRoutes criteria permit the route",
         (gateway(ns="infra"), namespace("infra"), http_route(parent_refs="- name: gw\n  namespace: infra")),
         lambda res: _expect(cond(route(res), "Accepted"), ("False", "NotAllowedByListeners"))),
    Rule("selector-required-for-from-selector",
         "Selector must be specified when From is set to \"Selector\". In that case, only Routes in Namespaces "
         "matching this Selector will be selected by this Gateway.",
         (gateway(listeners=selector_listener("")), http_route()),
         lambda res: (_expect(cond(listener(res, "sel"), "Programmed"), ("False", "Invalid")),
                      _expect(cond(listener(res, "sel"), "Accepted")[0], "False"),
                      _expect(cond(route(res), "Accepted"), ("False", "NotAllowedByListeners")))),
    Rule("invalid-label-selector",
         "only Routes in Namespaces matching this Selector will be selected by this Gateway (a LabelSelector "
         "whose Exists expression has values is invalid and matches nothing)",
         (gateway(listeners=selector_listener(
             "selector:\n  matchExpressions:\n  - key: team\n    operator: Exists\n    values: [web]")),
          namespace(NS, "team: web"), http_route()),
         lambda res: (_expect(cond(listener(res, "sel"), "Programmed"), ("False", "Invalid")),
                      _expect(cond(route(res), "Accepted"), ("False", "NotAllowedByListeners")))),
    Rule("valid-label-selector",
         "Selector must be specified when From is set to \"Selector\". In that case, only Routes in Namespaces "
         "matching this Selector will be selected by this Gateway.",
         (gateway(listeners=selector_listener(
             "selector:\n  matchExpressions:\n  - key: team\n    operator: In\n    values: [web]")),
          namespace(NS, "team: web"), http_route()),
         lambda res: (_expect(cond(listener(res, "sel"), "Programmed"), ("True", "Programmed")),
                      _expect(cond(route(res), "Accepted"), ("True", "Accepted")))),
    Rule("certificate-data-not-base64",
         "A CertificateRef is considered invalid when it refers to a nonexistent or unsupported resource or kind, "
         "or when the data within that resource is malformed.",
         (gateway(listeners=listeners("web 443 HTTPS")), tls_secret("not*base64!")),
         lambda res: _expect(cond(listener(res, "web"), "ResolvedRefs"), ("False", "InvalidCertificateRef"))),
    Rule("certificate-data-not-der",
         "A CertificateRef is considered invalid when it refers to a nonexistent or unsupported resource or kind, "
         "or when the data within that resource is malformed.",
         (gateway(listeners=listeners("web 443 HTTPS")), tls_secret("bm90IHJlYWxseQ==")),
         lambda res: _expect(cond(listener(res, "web"), "ResolvedRefs"), ("False", "InvalidCertificateRef"))),
    Rule("private-key-data-not-der",
         "A CertificateRef is considered invalid when it refers to a nonexistent or unsupported resource or kind, "
         "or when the data within that resource is malformed.",
         (gateway(listeners=listeners("web 443 HTTPS")), tls_secret("MAcwADAAAwEA", "MIIE")),
         lambda res: _expect(cond(listener(res, "web"), "ResolvedRefs"), ("False", "InvalidCertificateRef"))),
    Rule("certificate-data-well-formed",
         "A CertificateRef is considered invalid when ... the data within that resource is malformed (well-formed "
         "data is not).",
         (gateway(listeners=listeners("web 443 HTTPS")), tls_secret("MAcwADAAAwEA")),
         lambda res: _expect(cond(listener(res, "web"), "ResolvedRefs"), ("True", "ResolvedRefs"))),
    Rule("named-address-is-implementation-specific",
         "A NamedAddress provides a way to reference a specific IP address by name. ... Support: "
         "Implementation-specific",
         (gateway(extra="  addresses:\n  - type: NamedAddress\n    value: my-static-ip\n"), http_route()),
         lambda res: (_expect(cond(res.gateways[GW], "Accepted"), ("Unknown", "Pending")),
                      _expect(cond(res.gateways[GW], "Programmed"), ("Unknown", "Pending")),
                      _expect(cond(route(res), "Accepted"), ("True", "Accepted")))),
    Rule("ip-address-is-extended",
         "IPAddressType ... Support: Extended (the default profile claims Extended features)",
         (gateway(extra="  addresses:\n  - type: IPAddress\n    value: 10.0.0.1\n"),),
         lambda res: _expect(cond(res.gateways[GW], "Accepted"), ("True", "Accepted"))),
    Rule("backend-tls-policy-unmet-fails-route-resolved-refs",
         "In all cases, the implementation MUST ensure the `ResolvedRefs` Condition on the Route is set to "
         "`status: False` ... The BackendTLSPolicy object is installed in the cluster, a BackendTLSPolicy is "
         "present that refers to the Service, and the implementation is unable to meet the requirement.",
         (gateway(), SVC, tls_policy("p"), http_route(backends=BACKEND)),
         lambda res: (_expect(cond(route(res), "ResolvedRefs"), ("False", "InvalidBackendTLS")),
                      _expect(cond(route(res), "Accepted"), ("True", "Accepted")),
                      _expect(cond(policy(res, "p"), "Accepted"), ("False", "NoValidCACertificate")),
                      _expect(cond(policy(res, "p"), "ResolvedRefs"), ("False", "InvalidCACertificateRef")))),
    Rule("backend-tls-policy-ca-without-ca-crt",
         "A CACertificateRef is invalid if: It refers to a resource that cannot be resolved (e.g., the referenced "
         "resource does not exist) or is misconfigured (e.g., a ConfigMap does not contain a key named `ca.crt`).",
         (gateway(), SVC, tls_policy("p"), CA_MAP.replace("ca.crt", "other"), http_route(backends=BACKEND)),
         lambda res: (_expect(cond(policy(res, "p"), "ResolvedRefs"), ("False", "InvalidCACertificateRef")),
                      _expect(cond(route(res), "ResolvedRefs"), ("False", "InvalidBackendTLS")))),
    Rule("backend-tls-policy-invalid-kind",
         "It refers to an unknown or unsupported kind of resource. In this case, the Reason must be set to "
         "`InvalidKind` ... If ALL CACertificateRefs are invalid, the implementation MUST also ensure the "
         "`Accepted` Condition on the BackendTLSPolicy is set to `status: False`, with a Reason "
         "`NoValidCACertificate`.",
         (gateway(), SVC, tls_policy("p", "- name: ca\n  group: example.com\n  kind: Bundle"),
          http_route(backends=BACKEND)),
         lambda res: (_expect(cond(policy(res, "p"), "ResolvedRefs"), ("False", "InvalidKind")),
                      _expect(cond(policy(res, "p"), "Accepted"), ("False", "NoValidCACertificate")),
                      _expect(cond(route(res), "ResolvedRefs")[0], "False"))),
    Rule("backend-tls-policy-met",
         "ResolvedRefs ... a BackendTLSPolicy is present that refers to the Service (and the implementation can "
         "meet it: the route's references resolve)",
         (gateway(), SVC, tls_policy("p"), CA_MAP, http_route(backends=BACKEND)),
         lambda res: (_expect(cond(policy(res, "p"), "Accepted"), ("True", "Accepted")),
                      _expect(policy(res, "p").ancestors, (GW,)),
                      _expect(cond(route(res), "ResolvedRefs"), ("True", "ResolvedRefs")))),
    Rule("backend-tls-policy-conflict",
         "When more than one BackendTLSPolicy selects the same target and sectionName, ... The older policy by "
         "creation timestamp takes precedence. ... For any BackendTLSPolicy that does not take precedence, the "
         "implementation MUST ensure the `Accepted` Condition is set to `status: False`, with Reason `Conflicted`.",
         (gateway(), SVC, CA_MAP, tls_policy("new", created="2025-02-01T00:00:00Z"),
          tls_policy("old", "- name: missing\n  group: ''\n  kind: ConfigMap", created="2025-01-01T00:00:00Z"),
          http_route(backends=BACKEND)),
         lambda res: (_expect(cond(policy(res, "new"), "Accepted"), ("False", "Conflicted")),
                      _expect(cond(policy(res, "old"), "Accepted"), ("False", "NoValidCACertificate")),
                      _expect(cond(route(res), "ResolvedRefs")[0], "False"))),
    Rule("backend-tls-policy-section-name-first",
         "They select different sectionNames in the same target. (A policy on the Service's port and one on the "
         "whole Service are distinct; the one on the port serves it.)",
         (gateway(), SVC, CA_MAP, tls_policy("whole", "- name: missing\n  group: ''\n  kind: ConfigMap"),
          tls_policy("port", section="https"), http_route(backends=BACKEND)),
         lambda res: (_expect(cond(policy(res, "port"), "Accepted"), ("True", "Accepted")),
                      _expect(cond(route(res), "ResolvedRefs"), ("True", "ResolvedRefs")))),
    Rule("unsupported-core-protocol",
         "If an implementation does not support a specified protocol, it MUST set the \"Accepted\" condition to "
         "False for the affected Listener with a reason of \"UnsupportedProtocol\". ... Un-prefixed names are "
         "reserved for core protocols.",
         (gateway(listeners=listeners("odd 80 SCTP")), http_route()),
         lambda res: (_expect(cond(listener(res, "odd"), "Accepted"), ("False", "UnsupportedProtocol")),
                      _expect(cond(res.gateways[GW], "Accepted"), ("False", "ListenersNotValid")),
                      _expect(cond(route(res), "Accepted"), ("False", "NotAllowedByListeners")))),
    Rule("custom-protocol-is-implementation-specific",
         "Implementations can define their own protocols if a core ProtocolType does not exist. Such definitions "
         "must use prefixed name ... Any protocol defined by implementations will fall under "
         "Implementation-specific conformance.",
         (gateway(listeners=listeners("odd 80 example.com/odd")), http_route()),
         lambda res: (_expect(cond(listener(res, "odd"), "Accepted"), ("Unknown", "Pending")),
                      _expect(cond(listener(res, "odd"), "Programmed"), ("Unknown", "Pending")),
                      _expect(cond(res.gateways[GW], "Accepted"), ("Unknown", "Pending")),
                      _expect(cond(route(res), "Accepted"), ("Unknown", "Pending")))),
    Rule("custom-protocol-beside-a-core-listener",
         "Any protocol defined by implementations will fall under Implementation-specific conformance. (A route "
         "that a core listener accepts is Accepted whatever the other listener does.)",
         (gateway(listeners=listeners("odd 80 example.com/odd", "web 81 HTTP")), http_route()),
         lambda res: (_expect(cond(route(res), "Accepted"), ("True", "Accepted")),
                      _expect(route(res).attached_to, ("web",)),
                      _expect(cond(res.gateways[GW], "Accepted"), ("True", "ListenersNotValid")))),
    Rule("http-and-grpc-routes-on-one-listener",
         "If a Route (A) of type HTTPRoute or GRPCRoute is attached to a Listener and that listener already has "
         "another Route (B) of the other type attached and the intersection of the hostnames of A and B is "
         "non-empty, then the implementation MUST accept exactly one of these two routes, determined by the "
         "following criteria, in order: * The oldest Route based on creation timestamp. ... The rejected Route "
         "MUST raise an 'Accepted' condition with a status of 'False' in the corresponding RouteParentStatus.",
         (gateway(), stamped(http_route("h", hostnames="- a.example.com"), "2025-02-01T00:00:00Z"),
          stamped(http_route("g", kind="GRPCRoute", hostnames="- '*.example.com'"), "2025-01-01T00:00:00Z"),
          http_route("other", hostnames="- b.example.net")),
         lambda res: (_expect(cond(route(res, "h"), "Accepted"), ("False", "Conflicted")),
                      _expect(cond(route(res, "g", "GRPCRoute"), "Accepted"), ("True", "Accepted")),
                      _expect(cond(route(res, "other"), "Accepted"), ("True", "Accepted")),
                      _expect(listener(res, "http").attached_routes, 2))),
    Rule("http-and-grpc-routes-by-name",
         "* The Route appearing first in alphabetical order by \"{namespace}/{name}\".",
         (gateway(), http_route("b"), http_route("a", kind="GRPCRoute")),
         lambda res: (_expect(cond(route(res, "b"), "Accepted"), ("False", "Conflicted")),
                      _expect(cond(route(res, "a", "GRPCRoute"), "Accepted"), ("True", "Accepted")))),
]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule(rule: Rule) -> None:
    rule.check(resolve_docs(*rule.docs))


def test_rule_ids_are_unique() -> None:
    assert len({r.id for r in RULES}) == len(RULES)


def test_docs_list_every_rule_and_only_these() -> None:
    """docs/spec-rules.md names each row by its id, and names no row that is not here."""
    text = (Path(__file__).parents[2] / "docs" / "spec-rules.md").read_text(encoding="utf-8")
    named = {m for m in re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", text) if m != "parent-accepts-route"}
    assert named == {r.id for r in RULES}
