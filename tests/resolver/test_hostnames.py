"""Hostname intersection between listeners and routes."""

from __future__ import annotations

import pytest

from policycheck.resolver.hostnames import intersects, listener_accepts


@pytest.mark.parametrize(("a", "b", "want"), [
    ("foo.example.com", "foo.example.com", True),
    ("foo.example.com", "bar.example.com", False),
    ("*.example.com", "foo.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "*.foo.example.com", True),
    ("*.foo.example.com", "*.example.com", True),
    ("*.example.com", "*.example.org", False),
    ("Foo.Example.com", "foo.example.com", True),
])
def test_intersects(a: str, b: str, want: bool) -> None:
    assert intersects(a, b) is want
    assert intersects(b, a) is want


def test_absent_hostnames_match_everything() -> None:
    assert listener_accepts(None, ["x.com"])
    assert listener_accepts("x.com", [])
    assert not listener_accepts("x.com", ["y.com", "*.z.com"])
