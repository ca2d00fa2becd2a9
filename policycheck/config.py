"""`.policycheck.yaml`: what to read, which policies, how strict, what lives elsewhere.

The file is validated against a JSON Schema shipped with the package; an error
names the file and the line of the offending node.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
import yaml

from policycheck.errors import ConfigError
from policycheck.yamlsource import LineMap, error_line, error_text, load_documents

CONFIG_FILE = ".policycheck.yaml"
DEFAULT_INCLUDE = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class Config:
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    default_namespace: str = "default"
    policy_dirs: tuple[str, ...] = ()
    builtin_policies: bool = True
    disable: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    profile: str = "spec"
    fail_on: str = "new"
    max_file_bytes: int = 5 * 1024 * 1024
    mesh: dict[str, str] = field(default_factory=dict)
    external_parents: tuple[dict[str, str], ...] = ()
    forbid_suppressing: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    policy_source: str = "base"
    scopes: tuple[Any, ...] = ()
    extractors: tuple[Any, ...] = ()
    source: str = ""  # the file it came from, or "" for defaults

    def wants(self, path: str) -> bool:
        """Whether a repository path is a manifest to read."""
        if path == CONFIG_FILE:
            return False
        name = path.rsplit("/", 1)[-1]
        if not any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(path, g) for g in self.include):
            return False
        return not any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g)
                       or path.startswith(g.rstrip("/") + "/") for g in self.exclude)


def schema(name: str) -> dict[str, Any]:
    text = resources.files("policycheck").joinpath("schemas", name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(data: Any, schema_name: str, source: str, text: str, doc_index: int = 0) -> None:
    """Validate against a shipped schema; the best error becomes `file:line: message`."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    line = LineMap(text)(doc_index, path)
    where = "/".join(str(p) for p in path) or "top level"
    raise ConfigError(f"{where}: {error.message}", source, line)


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    docs, exc = load_documents(text)
    if exc is not None:
        raise ConfigError(f"YAML does not parse: {error_text(exc)}", source, error_line(exc))
    data = docs[0] if docs else None
    if data is None:
        return Config(source=source)
    validate(data, "config.schema.json", source, text)
    return Config(
        include=tuple(data.get("include", DEFAULT_INCLUDE)),
        exclude=tuple(data.get("exclude", ())),
        default_namespace=data.get("defaultNamespace", "default"),
        policy_dirs=tuple(data.get("policyDirs", ())),
        builtin_policies=data.get("builtinPolicies", True),
        disable=tuple(data.get("disable", ())),
        enable=tuple(data.get("enable", ())),
        severity=dict(data.get("severity", {})),
        profile=data.get("profile", "spec"),
        fail_on=data.get("failOn", "new"),
        max_file_bytes=data.get("maxFileBytes", 5 * 1024 * 1024),
        mesh=dict(data.get("mesh", {})),
        external_parents=tuple(data.get("externalParents", ())),
        forbid_suppressing=tuple(data.get("forbidSuppressing", ())),
        variables=dict(data.get("variables", {})),
        params=dict(data.get("params", {})),
        policy_source=data.get("policySource", "base"),
        scopes=tuple(data.get("scopes", ())),
        extractors=tuple(data.get("extractors", ())),
        source=source,
    )


def dump_default() -> str:
    return yaml.safe_dump({"include": list(DEFAULT_INCLUDE), "defaultNamespace": "default"})
