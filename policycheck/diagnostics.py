"""Loader diagnostics: problems reading manifests, reported under reserved ids.

These are not judgments (those live in policies/), so they are raised by the
loader itself; their ids are reserved and cannot be used by a policy file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policycheck.findings import ResourceRef

PARSE_ERROR = "manifest-parse-error"
SKIPPED = "manifest-skipped"
DUPLICATE = "duplicate-resource"
POLICY_ERROR = "policy-runtime-error"
DUPLICATE_KEY = "duplicate-key"
NOT_KUBERNETES = "not-kubernetes"
UNCHECKED = "manifest-unchecked"

RESERVED: dict[str, str] = {
    PARSE_ERROR: "A file with a YAML name could not be parsed; its objects are not checked.",
    SKIPPED: "A file was not parsed on purpose (Helm template, size limit, binary, LFS pointer).",
    DUPLICATE: "The same object (group, kind, namespace, name) is defined twice in one state.",
    POLICY_ERROR: "A policy failed while evaluating a resource: the check could not run.",
    DUPLICATE_KEY: "A YAML mapping repeats a key; the last value is read, other tools may refuse the file.",
    NOT_KUBERNETES: "A YAML file that is not a Kubernetes manifest (no apiVersion and kind, or another tool's "
                    "local tags) is skipped.",
    UNCHECKED: "A change edits a manifest that could not be read before it and still cannot: what it wrote "
               "there was not checked.",
}

# Title, how to fix and an example for each reserved id: what a rule shows beside its description
# (SARIF rule help). An id missing here gets a title made from the id and a generic hint.
RESERVED_HELP: dict[str, tuple[str, str, str]] = {
    PARSE_ERROR: (
        "Manifest does not parse",
        "Fix the YAML syntax at the line given, or exclude the file in .policycheck.yaml (exclude:) when it "
        "is not a manifest.",
        "spec:\n  parentRefs:\n  - name: edge\n   namespace: infra   # indentation breaks the mapping",
    ),
    SKIPPED: (
        "Manifest not read",
        "Render templates before checking, keep manifests under the size limit, or exclude the file in "
        ".policycheck.yaml when it is not meant to be checked.",
        "metadata:\n  name: {{ .Release.Name }}   # a Helm template, not a manifest",
    ),
    DUPLICATE: (
        "Object defined twice",
        "Keep one definition of the object, or give the second a different name or namespace.",
        "# routes/a.yaml and routes/b.yaml both define\nkind: HTTPRoute\nmetadata: {name: shop, namespace: team-a}",
    ),
    POLICY_ERROR: (
        "Policy could not run",
        "Fix the policy's expression (run `policycheck test`), or the manifest field it could not read.",
        "forEach: \"spec.rules[].backendRefs[].port\"   # a number where the expression expects a list",
    ),
    DUPLICATE_KEY: (
        "Mapping repeats a key",
        "Remove the repeated key; keep the value that is meant.",
        "metadata:\n  name: shop\n  name: shop-v2   # the second name wins here, other tools may refuse the file",
    ),
    NOT_KUBERNETES: (
        "Not a Kubernetes manifest",
        "Nothing to fix: the file is read by another tool. Exclude it in .policycheck.yaml (exclude:) to "
        "silence the note.",
        "include: !reference [.setup, script]   # GitLab CI, not Kubernetes",
    ),
    UNCHECKED: (
        "Manifest edited while it cannot be read",
        "Fix the file at the line given (the commit named broke it) so that the change can be checked.",
        "# routes/a.yaml does not parse since an earlier commit; this change edits it again",
    ),
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found while reading a file, located at file and line."""

    file: str
    line: int
    id: str
    severity: str  # "error" | "warning" | "info"
    message: str
    # The object concerned, when there is one (a copy of an object defined twice).
    resource: ResourceRef | None = field(default=None, compare=False)
    # Its identity across commits when not its id alone: a manifest that cannot be read names
    # its content, so every change that leaves it unreadable is judged anew.
    ref: str = field(default="", compare=False)
