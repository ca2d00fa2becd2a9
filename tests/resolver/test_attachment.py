"""Route attachment to Gateway listeners: each reason of Accepted, each allowedRoutes rule."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from resolver.resolverkit import accepted, gateway, http_route, namespace, parent_of, resolve_docs
from textrepo import TextRepo

from policycheck.model import ResourceKey
from policycheck.resolver import attachment, resolve
from policycheck.resolver.listeners import ListenerState
from policycheck.resolver.lookups import Lookups
from policycheck.status import ParentRef

TWO_LISTENERS = """
- name: web
  port: 80
  protocol: HTTP
- name: alt
  port: 8080
  protocol: HTTP
"""


def test_accepted_through_every_listener() -> None:
    p = parent_of(resolve_docs(gateway(listeners=TWO_LISTENERS), http_route()), "r")
    assert accepted(p) == ("True", "Accepted")
    assert p.attached_to == ("web", "alt")


def test_section_name_selects_one_listener() -> None:
    route = http_route(parent_refs="- name: gw\n  sectionName: alt")
    p = parent_of(resolve_docs(gateway(listeners=TWO_LISTENERS), route), "r")
    assert p.attached_to == ("alt",)


def test_unknown_section_name_is_no_matching_parent() -> None:
    p = parent_of(resolve_docs(gateway(), http_route(parent_refs="- name: gw\n  sectionName: nope")), "r")
    assert accepted(p) == ("False", "NoMatchingParent")
    assert p.attached_to == ()


def test_port_must_match_a_listener() -> None:
    docs = (gateway(listeners=TWO_LISTENERS),)
    ok = parent_of(resolve_docs(*docs, http_route(parent_refs="- name: gw\n  port: 8080")), "r")
    assert accepted(ok)[0] == "True"
    p = parent_of(resolve_docs(*docs, http_route(parent_refs="- name: gw\n  port: 81")), "r")
    assert accepted(p) == ("False", "NoMatchingParent")


def test_section_name_and_port_must_both_match() -> None:
    p = parent_of(resolve_docs(gateway(listeners=TWO_LISTENERS),
                               http_route(parent_refs="- name: gw\n  sectionName: web\n  port: 8080")), "r")
    assert accepted(p) == ("False", "NoMatchingParent")


def test_missing_gateway_is_no_matching_parent() -> None:
    p = parent_of(resolve_docs(http_route()), "r")
    assert accepted(p) == ("False", "NoMatchingParent")
    assert p.presence.state == "missing"
    cond = p.condition("Accepted")
    assert cond is not None and "not found in the repository" in cond.message


def test_from_same_rejects_other_namespace() -> None:
    p = parent_of(resolve_docs(gateway(ns="infra"), http_route(parent_refs="- name: gw\n  namespace: infra")), "r")
    assert accepted(p) == ("False", "NotAllowedByListeners")


def test_from_all_admits_other_namespace() -> None:
    listeners = "- name: http\n  port: 80\n  protocol: HTTP\n  allowedRoutes:\n    namespaces:\n      from: All"
    p = parent_of(resolve_docs(gateway(ns="infra", listeners=listeners),
                               http_route(parent_refs="- name: gw\n  namespace: infra")), "r")
    assert accepted(p) == ("True", "Accepted")


SELECTOR = """
- name: http
  port: 80
  protocol: HTTP
  allowedRoutes:
    namespaces:
      from: Selector
      selector:
        matchExpressions:
        - key: team
          operator: In
          values: [web, api]
"""


def test_selector_with_match_expressions() -> None:
    route = http_route(parent_refs="- name: gw\n  namespace: infra")
    yes = resolve_docs(gateway(ns="infra", listeners=SELECTOR), namespace("apps", "team: web"), route)
    no = resolve_docs(gateway(ns="infra", listeners=SELECTOR), namespace("apps", "team: db"), route)
    assert accepted(parent_of(yes, "r")) == ("True", "Accepted")
    assert accepted(parent_of(no, "r")) == ("False", "NotAllowedByListeners")


def test_selector_on_namespace_without_manifest_is_unknown() -> None:
    p = parent_of(resolve_docs(gateway(ns="infra", listeners=SELECTOR),
                               http_route(parent_refs="- name: gw\n  namespace: infra")), "r")
    assert accepted(p) == ("Unknown", "Pending")


def test_kind_not_allowed_by_listener() -> None:
    listeners = "- name: tls\n  port: 443\n  protocol: TLS\n  tls:\n    mode: Passthrough"
    p = parent_of(resolve_docs(gateway(listeners=listeners), http_route()), "r")
    assert accepted(p) == ("False", "NotAllowedByListeners")


def test_a_refusal_names_listeners_in_plain_words() -> None:
    """No "no listener matching any listener": a parentRef without port or sectionName selects them all."""
    listeners = "- name: tls\n  port: 443\n  protocol: TLS\n  tls:\n    mode: Passthrough"
    p = parent_of(resolve_docs(gateway(listeners=listeners), http_route()), "r")
    message = next(c.message for c in p.conditions if c.type == "Accepted")
    assert message == "no listener of Gateway apps/gw allows kind HTTPRoute", message
    p = parent_of(resolve_docs(gateway(listeners=listeners), http_route(parent_refs="- name: gw\n  port: 443")), "r")
    message = next(c.message for c in p.conditions if c.type == "Accepted")
    assert message == "no listener of Gateway apps/gw matching port 443 allows kind HTTPRoute", message


def test_explicit_kinds_restrict_the_listener() -> None:
    listeners = "- name: http\n  port: 80\n  protocol: HTTP\n  allowedRoutes:\n    kinds:\n    - kind: GRPCRoute"
    res = resolve_docs(gateway(listeners=listeners), http_route(), http_route("g", kind="GRPCRoute"))
    assert accepted(parent_of(res, "r")) == ("False", "NotAllowedByListeners")
    assert accepted(parent_of(res, "g", kind="GRPCRoute")) == ("True", "Accepted")


def test_default_kinds_per_protocol() -> None:
    listeners = """
    - name: tcp
      port: 9000
      protocol: TCP
    - name: udp
      port: 9001
      protocol: UDP
    - name: tls
      port: 9443
      protocol: TLS
      tls:
        mode: Passthrough
    """
    api = "gateway.networking.k8s.io/v1alpha2"
    res = resolve_docs(gateway(listeners=listeners), http_route("t", kind="TCPRoute", api=api),
                       http_route("u", kind="UDPRoute", api=api), http_route("s", kind="TLSRoute", api=api))
    assert parent_of(res, "t", kind="TCPRoute").attached_to == ("tcp",)
    assert parent_of(res, "u", kind="UDPRoute").attached_to == ("udp",)
    assert parent_of(res, "s", kind="TLSRoute").attached_to == ("tls",)


HOSTS = """
- name: exact
  port: 80
  protocol: HTTP
  hostname: www.example.com
- name: wild
  port: 80
  protocol: HTTP
  hostname: "*.example.org"
"""


def test_hostname_intersection_with_wildcards() -> None:
    res = resolve_docs(gateway(listeners=HOSTS),
                       http_route("a", hostnames="- www.example.com"),
                       http_route("b", hostnames="- a.b.example.org"),
                       http_route("c", hostnames="- '*.example.com'"),
                       http_route("d", hostnames="- other.net\n- example.org"))
    assert parent_of(res, "a").attached_to == ("exact",)
    assert parent_of(res, "b").attached_to == ("wild",)
    assert parent_of(res, "c").attached_to == ("exact",)
    assert accepted(parent_of(res, "d")) == ("False", "NoMatchingListenerHostname")


def test_unsupported_listener_takes_no_routes() -> None:
    listeners = "- name: odd\n  port: 80\n  protocol: SCTP"
    p = parent_of(resolve_docs(gateway(listeners=listeners), http_route()), "r")
    assert accepted(p) == ("False", "NotAllowedByListeners")


def test_unsupported_parent_kind_gets_no_status() -> None:
    p = parent_of(resolve_docs(http_route(parent_refs="- name: x\n  group: example.com\n  kind: Thing")), "r")
    assert not p.managed and p.conditions == ()


def test_a_kept_outcome_serves_an_edited_route_until_its_namespace_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An outcome is reused for a new body with the same parentRef and hostnames, not past a label edit."""
    route = "- name: gw\n  namespace: infra"
    repo = TextRepo({"gw.yaml": gateway(ns="infra", listeners=SELECTOR), "ns.yaml": namespace("apps", "team: web"),
                     "r.yaml": http_route(parent_refs=route, backends="- name: a\n  port: 80")})
    resolve(repo.state())
    computed: list[str] = []
    real = attachment.attach

    def counting(lookups: Lookups, key: ResourceKey, hostnames: Sequence[str], ref: ParentRef,
                 listeners: tuple[ListenerState, ...], label: str) -> attachment.Attachment:
        found = real(lookups, key, hostnames, ref, listeners, label)
        computed.append(found.reason)
        return found

    monkeypatch.setattr(attachment, "attach", counting)
    repo.put("r.yaml", http_route(parent_refs=route, backends="- name: b\n  port: 80"))
    assert accepted(parent_of(resolve(repo.state()), "r")) == ("True", "Accepted")
    assert computed == []
    repo.put("ns.yaml", namespace("apps", "team: db"))
    assert accepted(parent_of(resolve(repo.state()), "r")) == ("False", "NotAllowedByListeners")
    assert computed == ["NotAllowedByListeners"]
