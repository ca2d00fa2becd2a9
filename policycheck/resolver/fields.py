"""Type-safe reads of manifest bodies.

Manifests come from users and any field may hold the wrong type (a string where
a list belongs, a map where an int belongs). The resolver reads every field
through these helpers so a malformed body degrades to "absent", never a crash;
CRD validation (validation.py) is what reports the wrong types.
"""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: Any) -> int | None:
    """An int, but never a bool (YAML `true` is not a port)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def dicts(value: Any) -> list[dict[str, Any]]:
    """The mapping items of a list field; other items are skipped."""
    return [item for item in as_list(value) if isinstance(item, dict)]


def metadata(body: dict[str, Any]) -> dict[str, Any]:
    return as_dict(body.get("metadata"))


def creation_timestamp(body: dict[str, Any]) -> str:
    """metadata.creationTimestamp as written (RFC 3339 sorts as text), '' when absent."""
    stamp = metadata(body).get("creationTimestamp")
    return stamp if isinstance(stamp, str) else ""
