"""Loader diagnostics: problems reading manifests, reported under reserved ids.

These are not judgments (those live in policies/), so they are raised by the
loader itself; their ids are reserved and cannot be used by a policy file.
"""

from __future__ import annotations

from dataclasses import dataclass

PARSE_ERROR = "manifest-parse-error"
SKIPPED = "manifest-skipped"
DUPLICATE = "duplicate-resource"
POLICY_ERROR = "policy-runtime-error"
DUPLICATE_KEY = "duplicate-key"

RESERVED: dict[str, str] = {
    PARSE_ERROR: "A file with a YAML name could not be parsed; its objects are not checked.",
    SKIPPED: "A file was not parsed on purpose (Helm template, size limit, binary, LFS pointer).",
    DUPLICATE: "The same object (group, kind, namespace, name) is defined twice in one state.",
    POLICY_ERROR: "A policy failed while evaluating a resource: the check could not run.",
    DUPLICATE_KEY: "A YAML mapping repeats a key; the last value is read, other tools may refuse the file.",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found while reading a file, located at file and line."""

    file: str
    line: int
    id: str
    severity: str  # "error" | "warning" | "info"
    message: str
