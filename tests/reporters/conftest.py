"""Fixtures for the reporter tests; the data they serve is in data.py.

Golden files: set UPDATE_GOLDEN=1 to rewrite them from the current output, then review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from policycheck.findings import Finding, Report

from .data import GOLDEN, SARIF_SCHEMA, finding, one_commit, sample_report


@pytest.fixture
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="session")
def make_finding() -> Callable[..., Finding]:
    return finding


@pytest.fixture(scope="session")
def make_report() -> Callable[..., Report]:
    return one_commit


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"official SARIF 2.1.0 schema not found at {SARIF_SCHEMA} (shared/ is a sibling of the checkout)")
    data: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare output with tests/reporters/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.is_file(), f"{path} missing: run with UPDATE_GOLDEN=1 and review the file"
        assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check
