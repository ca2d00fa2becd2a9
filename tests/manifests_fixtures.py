"""Small hand-written manifests shared by the pipeline tests."""

from __future__ import annotations


def service(name: str, namespace: str = "default", port: int = 80, extra: str = "") -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  ports:
    - name: http
      port: {port}
{extra}"""


def mesh_route(name: str, parent: str, namespace: str = "default", api: str = "gateway.networking.k8s.io/v1",
               group: str = "core", port: int = 80, backend: str | None = None) -> str:
    backends = f"""      backendRefs:
        - name: {backend}
          port: 80
""" if backend else ""
    return f"""apiVersion: {api}
kind: HTTPRoute
metadata:
  name: {name}
  namespace: {namespace}
spec:
  parentRefs:
    - group: {group}
      kind: Service
      name: {parent}
      port: {port}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
{backends}"""


def gateway(name: str, namespace: str = "default", listeners: str = "http:80") -> str:
    rows = []
    for item in listeners.split(","):
        lname, port = item.split(":")
        rows.append(f"""    - name: {lname}
      protocol: HTTP
      port: {port}
""")
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  namespace: {namespace}
spec:
  gatewayClassName: example
  listeners:
{"".join(rows)}"""


def gateway_route(name: str, gw: str, namespace: str = "default", section: str | None = None,
                  backend: str | None = None) -> str:
    sec = f"\n      sectionName: {section}" if section else ""
    backends = f"""      backendRefs:
        - name: {backend}
          port: 80
""" if backend else ""
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: {namespace}
spec:
  parentRefs:
    - name: {gw}{sec}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
{backends}"""
