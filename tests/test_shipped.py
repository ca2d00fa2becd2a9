"""The list of shipped documents known valid is current, and only ever spares validating them.

Regenerate the list after editing a built-in policy, an extractor or a schema:
`UPDATE_SHIPPED=1 python -m pytest tests/test_shipped.py`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from policycheck import config as config_module
from policycheck import shipped
from policycheck.config import ConfigError, schema, validate
from policycheck.policy import builtin_dir
from policycheck.yamlsource import load_documents


def _documents() -> list[tuple[str, str, Any]]:
    """(file, schema name, data) of every document that ships with the package."""
    out = []
    for path in sorted(builtin_dir().glob("*.yaml")):
        docs, exc = load_documents(path.read_text(encoding="utf-8"))
        assert exc is None and len(docs) == 1, path
        out.append((path.name, "policy.schema.json", docs[0]))
    folder = resources.files("policycheck").joinpath("extractors")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            docs, exc = load_documents(entry.read_text(encoding="utf-8"))
            assert exc is None and len(docs) == 1, entry.name
            out.append((entry.name, "extractor.schema.json", docs[0]))
    return out


def test_every_shipped_document_is_valid_and_listed() -> None:
    documents = _documents()
    assert len(documents) >= 10
    for name, schema_name, data in documents:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema(schema_name))
                                                 .iter_errors(data))
        assert error is None, f"{name}: {error.message if error else ''}"
    digests = sorted({d for _, s, data in documents if (d := shipped.digest(s, data)) is not None})
    assert len(digests) == len(documents)
    listed = Path(str(resources.files("policycheck").joinpath("schemas").joinpath(shipped.LIST)))
    text = "".join(f"{d}\n" for d in digests)
    if os.environ.get("UPDATE_SHIPPED") == "1":
        listed.write_text(text, encoding="ascii")
        shipped._listed.cache_clear()
    assert listed.read_text(encoding="ascii") == text, \
        "schemas/shipped-valid.txt is stale: UPDATE_SHIPPED=1 python -m pytest tests/test_shipped.py"
    assert all(shipped.validated_when_shipped(s, data) for _, s, data in documents)


def test_an_edited_built_in_policy_is_validated_again() -> None:
    name, schema_name, data = next(d for d in _documents() if d[1] == "policy.schema.json")
    edited = {**data, "severity": "fatal"}
    assert not shipped.validated_when_shipped(schema_name, edited)
    saved = config_module.known_valid
    config_module.known_valid = None
    try:
        with pytest.raises(ConfigError, match="severity"):
            validate(edited, schema_name, name, "severity: fatal\n")
    finally:
        config_module.known_valid = saved


def test_data_json_cannot_state_is_never_taken_as_listed() -> None:
    assert shipped.digest("policy.schema.json", {1: {2, 3}}) is None
    assert not shipped.validated_when_shipped("policy.schema.json", {"id": float("nan")})
