"""Helpers for the resolver tests: hand-written manifests in, predicted status out."""

from __future__ import annotations

import textwrap

from policycheck.manifests import parse_file
from policycheck.model import GATEWAY_GROUP, ResourceKey
from policycheck.resolver import resolve
from policycheck.state import AbsenceOracle, State
from policycheck.status import ParentStatus, Resolution

NS = "apps"


def state_of(*docs: str, absence: AbsenceOracle | None = None) -> State:
    entries = [parse_file(f"m{i}.yaml", textwrap.dedent(doc).encode()) for i, doc in enumerate(docs)]
    return State.from_files(entries, absence) if absence else State.from_files(entries)


def resolve_docs(*docs: str, profile: str = "spec", absence: AbsenceOracle | None = None) -> Resolution:
    return resolve(state_of(*docs, absence=absence), profile)


def route_key(name: str, kind: str = "HTTPRoute", ns: str = NS, group: str = GATEWAY_GROUP) -> ResourceKey:
    return ResourceKey(group, kind, ns, name)


def parent_of(res: Resolution, name: str, kind: str = "HTTPRoute", ns: str = NS, index: int = 0,
              group: str = GATEWAY_GROUP) -> ParentStatus:
    return res.routes[route_key(name, kind, ns, group)].parents[index]


def accepted(p: ParentStatus) -> tuple[str, str]:
    cond = p.condition("Accepted")
    assert cond is not None
    return cond.status, cond.reason


def resolved(p: ParentStatus) -> tuple[str, str]:
    cond = p.condition("ResolvedRefs")
    assert cond is not None
    return cond.status, cond.reason


def gateway(name: str = "gw", listeners: str = "", ns: str = NS, extra: str = "") -> str:
    """A Gateway; `listeners` is the YAML list under spec.listeners (indented by 4)."""
    listeners = listeners or """
    - name: http
      port: 80
      protocol: HTTP
    """
    body = textwrap.indent(textwrap.dedent(listeners).strip("\n"), "  ")
    return (f"apiVersion: {GATEWAY_GROUP}/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n  gatewayClassName: demo\n{extra}  listeners:\n{body}\n")


def http_route(name: str = "r", parent_refs: str = "- name: gw", ns: str = NS, backends: str = "",
               hostnames: str = "", kind: str = "HTTPRoute", api: str = f"{GATEWAY_GROUP}/v1") -> str:
    refs = textwrap.indent(textwrap.dedent(parent_refs).strip("\n"), "    ")
    out = (f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
           f"spec:\n  parentRefs:\n{refs}\n")
    if hostnames:
        out += "  hostnames:\n" + textwrap.indent(textwrap.dedent(hostnames).strip("\n"), "    ") + "\n"
    if backends:
        out += "  rules:\n  - backendRefs:\n" + textwrap.indent(textwrap.dedent(backends).strip("\n"), "    ") + "\n"
    return out


def service(name: str = "svc", ns: str = NS, ports: str = "- name: http\n  port: 80", extra: str = "") -> str:
    body = textwrap.indent(ports, "    ")
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n{extra}  ports:\n{body}\n")


def namespace(name: str, labels: str = "") -> str:
    lab = f"  labels:\n{textwrap.indent(labels, '    ')}\n" if labels else ""
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n{lab}"
