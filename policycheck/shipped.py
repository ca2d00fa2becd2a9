"""Documents that ship with policycheck and were validated when they shipped.

The built-in policies and extractors are validated against their schemas by the
test suite; validating them again on every run would import jsonschema (tens of
milliseconds, more than reading a small repository) for documents that cannot
have changed. A document is taken as valid only when its canonical form, with
the text of the schema it is checked against, has a digest listed in
`schemas/shipped-valid.txt`: an edited built-in policy, or a changed schema,
no longer matches and is validated as usual. `tests/test_shipped.py` keeps the
list current.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

LIST = "shipped-valid.txt"


@cache
def _schema_text(name: str) -> str:
    return resources.files("policycheck").joinpath("schemas").joinpath(name).read_text(encoding="utf-8")


@cache
def _listed() -> frozenset[str]:
    try:
        text = resources.files("policycheck").joinpath("schemas").joinpath(LIST).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line for line in text.split() if len(line) == 64)


def digest(schema_name: str, data: Any) -> str | None:
    """The digest of a document checked against a schema; None for data JSON cannot state canonically."""
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(f"{schema_name}\0{_schema_text(schema_name)}\0{text}".encode()).hexdigest()


def validated_when_shipped(schema_name: str, data: Any) -> bool:
    listed = _listed()
    return bool(listed) and digest(schema_name, data) in listed
