"""`.policycheck.yaml`: what to read, which policies, how strict, what lives elsewhere.

The file is validated against a JSON Schema shipped with the package; an error
names the file and the line of the offending node.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from policycheck.errors import ConfigError
from policycheck.model import PathPart
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
    repo_urls: tuple[str, ...] = ()  # `repoURLs`: the URLs naming this repository
    # Not read from the file: the URLs of the repository's Git remotes (this repository when
    # `repoURLs` is not set).
    remotes: tuple[str, ...] = ()
    # Not read from the file: the one cluster a run judges on its own (see gitops/units.py);
    # None judges every placement together.
    unit: str | None = None
    # Where each node of the file is, for errors found after validation (an
    # unknown policy id under `disable:`).
    lines: LineMap | None = field(default=None, repr=False, compare=False)
    line_prefix: tuple[PathPart, ...] = field(default=(), repr=False, compare=False)

    def line_of(self, *path: PathPart) -> int | None:
        """The line of a node of the configuration file, or None for defaults."""
        if self.lines is None:
            return None
        return self.lines(0, self.line_prefix + path)

    def wants(self, path: str) -> bool:
        """Whether a repository path is a manifest to read."""
        if path == CONFIG_FILE:
            return False
        name = path.rsplit("/", 1)[-1]
        if not any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(path, g) for g in self.include):
            return False
        return not any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g)
                       or path.startswith(g.rstrip("/") + "/") for g in self.exclude)


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """A shipped JSON Schema (read once; treat as read-only)."""
    text = resources.files("policycheck").joinpath("schemas").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# Set by a run that remembers documents found valid before (`cache.ValidDocuments`): given
# (schema name, document), whether it passed that schema already. Those are not validated
# again, so a warm run does not even import jsonschema.
known_valid: Callable[[str, Any], bool] | None = None


def validate(data: Any, schema_name: str, source: str, text: str | LineMap, doc_index: int = 0,
             prefix: tuple[PathPart, ...] = ()) -> None:
    """Validate against a shipped schema; the best error becomes `file:line: message`.

    `prefix` is where `data` sits inside the document, for a mapping embedded in
    a larger file (a test case's configuration).
    """
    if known_valid is not None and known_valid(schema_name, data):
        return
    from policycheck.shipped import validated_when_shipped

    if validated_when_shipped(schema_name, data):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    path = prefix + tuple(error.absolute_path)
    line = (text if isinstance(text, LineMap) else LineMap(text))(doc_index, path)
    where = "/".join(str(p) for p in path) or "top level"
    raise ConfigError(f"{where}: {error.message}", source, line)


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    docs, exc = load_documents(text)
    if exc is not None:
        raise ConfigError(f"YAML does not parse: {error_text(exc)}", source, error_line(exc, text))
    if len(docs) > 1:
        raise ConfigError("the configuration is one YAML document, not several", source, 1)
    data = docs[0] if docs else None
    if data is None:
        return Config(source=source)
    validate(data, "config.schema.json", source, text)
    return config_from_data(data, source, LineMap(text))


def config_from_data(data: dict[str, Any], source: str, lines: LineMap | None = None,
                     prefix: tuple[PathPart, ...] = (), base: Config | None = None) -> Config:
    """A validated mapping as a Config; keys it leaves out keep `base`'s values (or the defaults)."""
    b = base or Config()

    def get(key: str, default: Any) -> Any:
        return data.get(key, default)

    return Config(
        include=tuple(get("include", b.include)),
        exclude=tuple(get("exclude", b.exclude)),
        default_namespace=get("defaultNamespace", b.default_namespace),
        policy_dirs=tuple(get("policyDirs", b.policy_dirs)),
        builtin_policies=get("builtinPolicies", b.builtin_policies),
        disable=tuple(get("disable", b.disable)),
        enable=tuple(get("enable", b.enable)),
        severity=dict(get("severity", b.severity)),
        profile=get("profile", b.profile),
        fail_on=get("failOn", b.fail_on),
        max_file_bytes=get("maxFileBytes", b.max_file_bytes),
        mesh=dict(get("mesh", b.mesh)),
        external_parents=tuple(get("externalParents", b.external_parents)),
        forbid_suppressing=tuple(get("forbidSuppressing", b.forbid_suppressing)),
        variables=dict(get("variables", b.variables)),
        params=dict(get("params", b.params)),
        policy_source=get("policySource", b.policy_source),
        scopes=tuple(get("scopes", b.scopes)),
        extractors=tuple(get("extractors", b.extractors)),
        source=source,
        repo_urls=tuple(get("repoURLs", b.repo_urls)),
        remotes=b.remotes,
        unit=b.unit,
        lines=lines if lines is not None else b.lines,
        line_prefix=prefix if lines is not None else b.line_prefix,
    )


def load_mapping(text: str, source: str, schema_name: str, holds: str) -> dict[str, Any]:
    """The one mapping a policy or test-case file holds, validated; errors name file and line."""
    docs, exc = load_documents(text)
    if exc is not None:
        raise ConfigError(f"YAML does not parse: {error_text(exc)}", source, error_line(exc, text))
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise ConfigError(f"a {holds}", source, 1)
    data: dict[str, Any] = docs[0]
    validate(data, schema_name, source, text)
    return data
