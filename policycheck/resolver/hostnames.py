"""Hostname intersection between a listener and a route, wildcards included.

A wildcard `*.example.com` matches any name with at least one more label in
front of `example.com` (not `example.com` itself); two wildcards intersect when
one's suffix contains the other's. An absent hostname on either side matches
everything.
"""

from __future__ import annotations

from collections.abc import Iterable


def _matches(wildcard: str, host: str) -> bool:
    """Whether `*.suffix` covers `host` (precise or wildcard)."""
    suffix = wildcard[1:]  # ".example.com"
    if host.startswith("*."):
        return host[1:].endswith(suffix)
    return host.endswith(suffix) and len(host) > len(suffix)


def intersects(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if a.startswith("*.") and b.startswith("*."):
        return a[1:].endswith(b[1:]) or b[1:].endswith(a[1:])
    if a.startswith("*."):
        return _matches(a, b)
    if b.startswith("*."):
        return _matches(b, a)
    return False


def listener_accepts(listener_hostname: str | None, route_hostnames: Iterable[str]) -> bool:
    names = list(route_hostnames)
    if not listener_hostname or not names:
        return True
    return any(intersects(listener_hostname, name) for name in names)
