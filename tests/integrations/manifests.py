"""Manifests the integration tests commit: two Services and routes that attach to them."""

from __future__ import annotations

SERVICES = """\
apiVersion: v1
kind: Service
metadata:
  name: test-service
  namespace: default
spec:
  ports:
    - name: http
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: other-service
  namespace: default
spec:
  ports:
    - name: http
      port: 80
"""

OTHER_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: other-service
  namespace: default
spec:
  ports:
    - name: http
      port: 80
"""


def route(name: str, parent: str) -> str:
    """An HTTPRoute attached to the Service `parent` (port 80), as Linkerd's mesh mode writes it."""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: default
spec:
  parentRefs:
    - group: core
      kind: Service
      name: {parent}
      port: 80
  rules:
    - backendRefs:
        - name: {parent}
          port: 80
"""
