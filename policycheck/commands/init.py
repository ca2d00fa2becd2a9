"""`policycheck init`: a first `.policycheck.yaml` for the repository, from what its tree holds.

YAML that is not Kubernetes (CI workflows, mkdocs, Helm values, tool
configuration) is excluded, by folder where a whole folder holds nothing
else; the deploy roots (kustomizations no other one includes) and the
clusters found are written as comments, for the reader to check. An existing
configuration is never overwritten.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from policycheck.config import CONFIG_FILE, Config, parse_config
from policycheck.errors import GitError, UsageError
from policycheck.yamlsource import load_documents

_TOP_LEVEL_KIND = re.compile(r"^apiVersion:.*^kind:|^kind:.*^apiVersion:", re.MULTILINE | re.DOTALL)
_KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Files without apiVersion/kind that the GitOps layer still reads: kustomizations, and Helm charts' values
# and metadata (routes inside chart values are judged).
_READ_ANYWAY = re.compile(r"^(kustomization\.ya?ml|Kustomization|Chart\.ya?ml|.*values.*\.ya?ml)$")


def _files(root: Path) -> list[str]:
    """The repository's files (tracked and untracked, not ignored), or every file under root outside Git."""
    from policycheck.gitsource import GitSource

    try:
        return GitSource(str(root)).worktree()[0]
    except GitError:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                      if p.is_file() and not any(part.startswith(".git") for part in p.relative_to(root).parts))


def is_kubernetes(text: str) -> bool:
    """Whether a YAML file holds a Kubernetes object (or is meant to: a broken file with top-level
    `apiVersion:` and `kind:` lines is a manifest that does not parse, not a file to exclude)."""
    docs, error = load_documents(text)
    if any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
        return True
    return error is not None and bool(_TOP_LEVEL_KIND.search(text))


def survey(root: Path, paths: list[str]) -> tuple[list[str], list[str]]:
    """(YAML files that are not Kubernetes, YAML files that are or that GitOps tools read), repository-relative."""
    wanted = Config()
    other: list[str] = []
    manifests: list[str] = []
    for path in paths:
        if not wanted.wants(path):
            continue
        try:
            text = (root / path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        keep = _READ_ANYWAY.match(Path(path).name) is not None or is_kubernetes(text)
        (manifests if keep else other).append(path)
    return other, manifests


def excludes(other: list[str], manifests: list[str]) -> list[str]:
    """Patterns covering `other` and none of `manifests`: the highest folder holding no manifest, else the file."""
    holding = {str(Path(m).parent) for m in manifests}
    holding |= {str(p) for m in manifests for p in Path(m).parents}
    out: list[str] = []
    for path in other:
        parents = [p for p in reversed(Path(path).parents) if str(p) != "."]
        free = next((p for p in parents if str(p) not in holding), None)
        pattern = f"{free.as_posix()}/" if free is not None else path
        if pattern not in out:
            out.append(pattern)
    return sorted(out)


def deploy_roots(paths: list[str]) -> list[str]:
    """Folders holding a kustomization that is not below another kustomization's folder."""
    folders = sorted({str(Path(p).parent) for p in paths if Path(p).name in _KUSTOMIZATION})
    return [f for f in folders if not any(f != o and (o == "." or f.startswith(o + "/")) for o in folders)]


def clusters(root: Path, paths: list[str], config: Config) -> list[str]:
    """The clusters the tree deploys to, as a check of it would find them."""
    from policycheck.gitsource import blob_id
    from policycheck.loader import Loader

    blobs: dict[str, bytes] = {}
    files: dict[str, tuple[str, str]] = {}
    for path in paths:
        if not config.wants(path):
            continue
        try:
            data = (root / path).read_bytes()
        except OSError:
            continue
        blob = blob_id(data)
        blobs[blob] = data
        files[path] = ("100644", blob)
    loader = Loader(config, blobs.__getitem__)
    loader.state(files)
    return sorted(loader.layout.clusters)


def render(excluded: list[str], roots: list[str], found: list[str]) -> str:
    lines = ["# policycheck configuration, written by `policycheck init`: check it and edit freely.", ""]
    if excluded:
        lines += ["# YAML found in this tree that is not a Kubernetes manifest:", "exclude:"]
        lines += [f"  - {_quoted(p)}" for p in excluded]
    else:
        lines += ["# Every YAML file found is a Kubernetes manifest; list files never to read here:", "exclude: []"]
    lines.append("")
    if roots:
        lines.append("# Deploy roots found (kustomizations no other one includes):")
        lines += [f"#   - {r}" for r in roots]
    else:
        lines.append("# No kustomization found: every manifest is judged as deployed.")
    if found:
        lines.append(f"# Clusters found, each judged on its own: {', '.join(found)}")
    lines += ["", "# defaultNamespace: default", "# profile: spec        # or linkerd", "# failOn: new",
              "# disable: []", ""]
    return "\n".join(lines)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_init(repo: str | None) -> str:
    """Write the configuration; return what was written where (one line)."""
    root = Path(repo or os.getcwd()).resolve()
    try:
        from policycheck.gitsource import GitSource

        source = GitSource(str(root))
        if not source.bare:
            root = source.root.resolve()
    except GitError:
        pass
    target = root / CONFIG_FILE
    if target.exists():
        raise UsageError(f"{target} exists: refusing to overwrite it (edit it, or remove it first)")
    paths = _files(root)
    other, manifests = survey(root, paths)
    excluded = excludes(other, manifests)
    config = Config(exclude=tuple(excluded))
    text = render(excluded, deploy_roots(paths), clusters(root, paths, config))
    parse_config(text, CONFIG_FILE)  # what we write is valid configuration
    try:
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise UsageError(f"{target} exists: refusing to overwrite it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    return (f"wrote {target} ({len(excluded)} exclude pattern{'s' if len(excluded) != 1 else ''}, "
            f"{len(manifests)} YAML file{'s' if len(manifests) != 1 else ''} read)\n")
