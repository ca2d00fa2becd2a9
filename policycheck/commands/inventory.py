"""`policycheck inventory`: what a state deploys, object by object, and why.

With PATH (a folder holding a kustomization) it is what `kustomize build PATH`
emits; without, every object the state judges. Files are read from disk (the
repository's working tree, or the current folder outside Git) or, with `--rev`,
from a commit; `file` is always relative to the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from policycheck import inventoryreport
from policycheck.build.files import DiskFiles, Files, TreeFiles
from policycheck.build.kustomize import Builder, kustomization_file
from policycheck.errors import GitError, UsageError

if TYPE_CHECKING:
    from policycheck.config import Config
    from policycheck.gitsource import GitSource
    from policycheck.state import State


def run_inventory(path: str | None, rev: str | None, repo: str | None, config_file: str | None, fmt: str) -> str:
    source, root = _source(repo, rev is not None)
    files: Files
    if rev is not None:
        assert source is not None
        sha = source.resolve(rev)
        tree = {p: b for p, (m, b) in source.tree(sha).items() if not m.startswith(("120", "160"))}
        files = TreeFiles(tree, lambda p: source.read_blob(tree[p]))
    else:
        files = DiskFiles(str(root))
    if path is None:
        return _state_inventory(source, root, rev, config_file, fmt)
    folder = _folder(path, root, rev is not None)
    if kustomization_file(files, folder) is None:
        raise UsageError(f"{path}: no kustomization.yaml in this folder")
    build = Builder(files).build(folder)
    return inventoryreport.render_build(build, fmt)


def _source(repo: str | None, need_git: bool) -> tuple[GitSource | None, Path]:
    from policycheck.gitsource import GitSource

    try:
        source = GitSource(repo)
    except GitError:
        if need_git:
            raise
        return None, Path(repo or os.getcwd()).resolve()
    top = source.repo.working_tree_dir
    return source, Path(top).resolve() if top is not None else Path(repo or os.getcwd()).resolve()


def _folder(path: str, root: Path, from_git: bool) -> str:
    """PATH relative to the repository root, with `/` ("" is the root)."""
    if from_git:
        rel = Path(path.strip("/") or ".")
    else:
        full = (Path.cwd() / path).resolve()
        try:
            rel = full.relative_to(root)
        except ValueError:
            raise UsageError(f"{path}: outside the repository {root}") from None
    text = rel.as_posix()
    return "" if text == "." else text


def _state_inventory(source: GitSource | None, root: Path, rev: str | None, config_file: str | None,
                     fmt: str) -> str:
    from dataclasses import replace

    from policycheck.gitops.layout import deployed_by, not_deployed
    from policycheck.loader import Loader, load_paths
    from policycheck.setup_run import load_config

    if rev is not None:
        from policycheck.gitbatch import BlobStream

        assert source is not None
        sha = source.resolve(rev)
        config = load_config(source, sha, config_file, None)
        files = source.tree(sha)

        def build(cfg: Config) -> tuple[State, Loader]:
            wanted = [b for p, (m, b) in sorted(files.items()) if cfg.wants(p) and not m.startswith(("120", "160"))]
            with BlobStream(str(source.repo.git_dir), wanted) as stream:
                def read(blob: str) -> bytes:
                    data = stream.get(blob)
                    return data if data is not None else source.read_blob(blob)

                loader = Loader(cfg, read)
                return loader.state(files), loader
    else:
        config = load_config(None, None, config_file, root)

        def build(cfg: Config) -> tuple[State, Loader]:
            cwd = Path.cwd()
            try:
                os.chdir(root)  # paths of the state are relative to the repository root
                loader = Loader(cfg)
                return load_paths((".",), cfg, loader), loader
            finally:
                os.chdir(cwd)
    state, loader = build(config)
    layout = loader.layout
    memory = layout.memory_of(state)
    chains = deployed_by(layout)
    left_out = not_deployed(layout, memory.raw if memory is not None else {})
    clusters = sorted(layout.clusters)
    per_cluster: dict[str | None, State]
    if len(clusters) >= 2:  # each cluster's own state: what it deploys and what every cluster shares
        per_cluster = {name: build(replace(config, unit=name))[0] for name in clusters}
    else:
        per_cluster = {clusters[0] if clusters else None: state}
    return inventoryreport.render_state(per_cluster, chains, left_out, layout.repository, fmt)
