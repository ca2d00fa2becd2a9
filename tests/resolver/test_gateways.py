"""Gateway, listener and ListenerSet status decided from manifests."""

from __future__ import annotations

from resolver.resolverkit import NS, accepted, gateway, http_route, namespace, parent_of, resolve_docs

from policycheck.model import GATEWAY_GROUP, ResourceKey
from policycheck.status import GatewayStatus, ListenerStatus, Presence, Resolution

GW = ResourceKey(GATEWAY_GROUP, "Gateway", NS, "gw")

TLS_SECRET = f"""
apiVersion: v1
kind: Secret
metadata:
  name: cert
  namespace: {NS}
type: kubernetes.io/tls
stringData:
  tls.crt: |
    -----BEGIN CERTIFICATE-----
    MAcwADAAAwEA
    -----END CERTIFICATE-----
  tls.key: |
    -----BEGIN PRIVATE KEY-----
    MAMCAQA=
    -----END PRIVATE KEY-----
"""


def https(cert_ref: str = "- name: cert") -> str:
    refs = "\n".join("      " + line for line in cert_ref.splitlines())
    return f"- name: https\n  port: 443\n  protocol: HTTPS\n  tls:\n    certificateRefs:\n{refs}"


def listener(res: Resolution, name: str, gw: ResourceKey = GW) -> ListenerStatus:
    return next(lst for lst in res.gateways[gw].listeners if lst.name == name)


def cond(obj: ListenerStatus | GatewayStatus, ctype: str) -> tuple[str, str]:
    c = next(c for c in obj.conditions if c.type == ctype)
    return c.status, c.reason


def test_attached_routes_and_supported_kinds() -> None:
    res = resolve_docs(gateway(), http_route("a"), http_route("b"), http_route("c", parent_refs="- name: other"))
    http = listener(res, "http")
    assert http.attached_routes == 2
    assert set(http.supported_kinds) == {(GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")}
    assert cond(res.gateways[GW], "Accepted") == ("True", "Accepted")
    assert res.gateways[GW].attached_listener_sets == 0


def test_unsupported_protocol() -> None:
    res = resolve_docs(gateway(listeners="- name: odd\n  port: 80\n  protocol: SCTP"))
    odd = listener(res, "odd")
    assert cond(odd, "Accepted") == ("False", "UnsupportedProtocol")
    assert odd.supported_kinds == ()
    assert cond(res.gateways[GW], "Accepted") == ("False", "ListenersNotValid")


def test_some_invalid_listeners_keep_the_gateway_accepted() -> None:
    listeners = "- name: http\n  port: 80\n  protocol: HTTP\n- name: odd\n  port: 81\n  protocol: SCTP"
    assert cond(resolve_docs(gateway(listeners=listeners)).gateways[GW], "Accepted") == ("True", "ListenersNotValid")


def test_invalid_route_kinds() -> None:
    listeners = """
    - name: http
      port: 80
      protocol: HTTP
      allowedRoutes:
        kinds:
        - kind: HTTPRoute
        - kind: TCPRoute
    """
    http = listener(resolve_docs(gateway(listeners=listeners)), "http")
    assert cond(http, "ResolvedRefs") == ("False", "InvalidRouteKinds")
    assert http.supported_kinds == ((GATEWAY_GROUP, "HTTPRoute"),)


def test_certificate_present_missing_and_malformed() -> None:
    ok = listener(resolve_docs(gateway(listeners=https()), TLS_SECRET), "https")
    assert cond(ok, "ResolvedRefs") == ("True", "ResolvedRefs")
    assert cond(ok, "Programmed") == ("True", "Programmed")
    missing = listener(resolve_docs(gateway(listeners=https())), "https")
    assert cond(missing, "ResolvedRefs") == ("False", "InvalidCertificateRef")
    malformed = TLS_SECRET.replace("BEGIN CERTIFICATE", "BEGIN NOTHING")
    assert cond(listener(resolve_docs(gateway(listeners=https()), malformed), "https"), "ResolvedRefs") == (
        "False", "InvalidCertificateRef")


def test_certificate_of_unsupported_kind() -> None:
    res = resolve_docs(gateway(listeners=https("- name: cert\n  kind: ConfigMap")), TLS_SECRET)
    assert cond(listener(res, "https"), "ResolvedRefs") == ("False", "InvalidCertificateRef")


def test_certificate_made_by_cert_manager_counts_as_present() -> None:
    certificate = f"""
    apiVersion: cert-manager.io/v1
    kind: Certificate
    metadata:
      name: c
      namespace: {NS}
    spec:
      secretName: cert
    """
    assert cond(listener(resolve_docs(gateway(listeners=https()), certificate), "https"), "ResolvedRefs")[0] == "True"


def test_a_gateway_annotated_for_cert_manager_has_its_certificates_issued() -> None:
    issuer = "  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\n"
    annotated = gateway(listeners=https()).replace(f"  namespace: {NS}\n", f"  namespace: {NS}\n{issuer}", 1)
    assert "cluster-issuer" in annotated
    assert cond(listener(resolve_docs(annotated), "https"), "ResolvedRefs") == ("True", "ResolvedRefs")
    other = gateway("other", listeners=https("- name: cert"))
    res = resolve_docs(other, gateway("gw2", listeners=https("- name: another")).replace(
        f"  namespace: {NS}\n", f"  namespace: {NS}\n  annotations:\n    cert-manager.io/issuer: ca\n", 1))
    other_key = ResourceKey(GATEWAY_GROUP, "Gateway", NS, "other")
    assert cond(listener(res, "https", other_key), "ResolvedRefs") == ("False", "InvalidCertificateRef")


def test_certificate_of_unknown_presence_is_unknown() -> None:
    res = resolve_docs(gateway(listeners=https()), absence=lambda key: Presence("unknown", "a chart makes it"))
    assert cond(listener(res, "https"), "ResolvedRefs") == ("Unknown", "Pending")


def test_cross_namespace_certificate_needs_a_grant() -> None:
    ref = "- name: cert\n  namespace: certs"
    secret = TLS_SECRET.replace(f"namespace: {NS}", "namespace: certs")
    grant = f"""
    apiVersion: gateway.networking.k8s.io/v1beta1
    kind: ReferenceGrant
    metadata:
      name: g
      namespace: certs
    spec:
      from:
      - group: gateway.networking.k8s.io
        kind: Gateway
        namespace: {NS}
      to:
      - group: ""
        kind: Secret
    """
    denied = listener(resolve_docs(gateway(listeners=https(ref)), secret), "https")
    assert cond(denied, "ResolvedRefs") == ("False", "RefNotPermitted")
    allowed = listener(resolve_docs(gateway(listeners=https(ref)), secret, grant), "https")
    assert cond(allowed, "ResolvedRefs") == ("True", "ResolvedRefs")


def test_unresolved_listener_still_takes_routes() -> None:
    res = resolve_docs(gateway(listeners=https()), http_route())
    assert listener(res, "https").attached_routes == 1
    assert accepted(parent_of(res, "r")) == ("True", "Accepted")


def test_hostname_conflict_between_gateway_listeners() -> None:
    listeners = "- name: a\n  port: 80\n  protocol: HTTP\n- name: b\n  port: 80\n  protocol: HTTP"
    res = resolve_docs(gateway(listeners=listeners))
    assert cond(listener(res, "a"), "Conflicted") == ("True", "HostnameConflict")
    assert cond(listener(res, "b"), "Accepted") == ("False", "HostnameConflict")


def test_protocol_conflict_between_gateway_listeners() -> None:
    listeners = "- name: a\n  port: 80\n  protocol: HTTP\n- name: b\n  port: 80\n  protocol: TCP"
    assert cond(listener(resolve_docs(gateway(listeners=listeners)), "b"), "Conflicted") == ("True", "ProtocolConflict")


def test_invalid_parameters_ref() -> None:
    extra = "  infrastructure:\n    parametersRef:\n      group: example.com\n      kind: Params\n      name: p\n"
    assert cond(resolve_docs(gateway(extra=extra)).gateways[GW], "Accepted") == ("False", "InvalidParameters")


def test_backend_client_certificate_ref() -> None:
    extra = "  tls:\n    backend:\n      clientCertificateRef:\n        name: cert\n"
    assert cond(resolve_docs(gateway(extra=extra)).gateways[GW], "ResolvedRefs") == (
        "False", "InvalidClientCertificateRef")
    assert cond(resolve_docs(gateway(extra=extra), TLS_SECRET).gateways[GW], "ResolvedRefs") == (
        "True", "ResolvedRefs")


def test_frontend_ca_certificate_refs() -> None:
    extra = "  tls:\n    frontend:\n      default:\n        validation:\n          caCertificateRefs:\n" \
            "          - kind: ConfigMap\n            name: ca\n"
    res = resolve_docs(gateway(listeners=https(), extra=extra), TLS_SECRET)
    https_listener = listener(res, "https")
    assert cond(https_listener, "ResolvedRefs") == ("False", "InvalidCACertificateRef")
    assert cond(https_listener, "Accepted") == ("False", "NoValidCACertificate")
    wrong_kind = extra.replace("ConfigMap", "Service")
    res = resolve_docs(gateway(listeners=https(), extra=wrong_kind), TLS_SECRET)
    assert cond(listener(res, "https"), "ResolvedRefs") == ("False", "InvalidCACertificateKind")


# --- ListenerSets ---------------------------------------------------------------

def listener_set(name: str, ns: str = NS, listeners: str = "", gw_ns: str = NS) -> str:
    listeners = listeners or f"  - name: {name}-l\n    port: 80\n    protocol: HTTP\n    hostname: {name}.example.com\n"
    return (f"apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  parentRef:\n    name: gw\n    namespace: {gw_ns}\n  listeners:\n{listeners}")


ALLOW_SAME = "  allowedListeners:\n    namespaces:\n      from: Same\n"


def ls_status(res: Resolution, name: str, ns: str = NS) -> GatewayStatus:
    return res.listener_sets[ResourceKey(GATEWAY_GROUP, "ListenerSet", ns, name)]


def test_listener_sets_are_not_allowed_by_default() -> None:
    res = resolve_docs(gateway(), listener_set("ls"))
    assert cond(ls_status(res, "ls"), "Accepted") == ("False", "NotAllowed")
    assert res.gateways[GW].attached_listener_sets == 0


def test_listener_set_allowed_from_same_namespace_only() -> None:
    res = resolve_docs(gateway(extra=ALLOW_SAME), listener_set("ls"), listener_set("other", ns="elsewhere"),
                       namespace("elsewhere"))
    assert cond(ls_status(res, "ls"), "Accepted") == ("True", "Accepted")
    assert cond(ls_status(res, "other", "elsewhere"), "Accepted") == ("False", "NotAllowed")
    assert res.gateways[GW].attached_listener_sets == 1


def test_listener_set_losing_every_listener_is_not_valid() -> None:
    clash = "  - name: dup\n    port: 80\n    protocol: TCP\n"
    res = resolve_docs(gateway(extra=ALLOW_SAME), listener_set("ls", listeners=clash))
    status = ls_status(res, "ls")
    assert cond(status, "Accepted") == ("False", "ListenersNotValid")
    assert cond(status.listeners[0], "Conflicted") == ("True", "ProtocolConflict")
    assert cond(listener(res, "http"), "Conflicted") == ("False", "NoConflicts")


def test_routes_attach_to_listener_set_listeners() -> None:
    route = http_route(parent_refs="- name: ls\n  kind: ListenerSet\n  group: gateway.networking.k8s.io")
    res = resolve_docs(gateway(extra=ALLOW_SAME), listener_set("ls"), route)
    assert accepted(parent_of(res, "r")) == ("True", "Accepted")
    assert ls_status(res, "ls").listeners[0].attached_routes == 1
    assert listener(res, "http").attached_routes == 0


def test_gateway_section_name_does_not_reach_listener_set_listeners() -> None:
    route = http_route(parent_refs="- name: gw\n  sectionName: ls-l")
    res = resolve_docs(gateway(extra=ALLOW_SAME), listener_set("ls"), route)
    assert accepted(parent_of(res, "r")) == ("False", "NoMatchingParent")


def test_route_to_listener_set_not_accepted_by_its_gateway() -> None:
    route = http_route(parent_refs="- name: ls\n  kind: ListenerSet\n  group: gateway.networking.k8s.io")
    res = resolve_docs(gateway(), listener_set("ls"), route)
    assert accepted(parent_of(res, "r")) == ("False", "NoMatchingParent")


def test_a_hostname_rendered_at_deploy_time_is_unknown_not_refused() -> None:
    listeners = "- name: https\n  port: 443\n  protocol: HTTPS\n  hostname: '*.example.com'\n"
    res = resolve_docs(gateway(listeners=listeners), http_route(hostnames="- '{{ .Release.Name }}.other.io'"))
    assert accepted(parent_of(res, "r"))[0] == "Unknown"
    res = resolve_docs(gateway(listeners=listeners), http_route(hostnames="- app.other.io"))
    assert accepted(parent_of(res, "r"))[0] == "False"
