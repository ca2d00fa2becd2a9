"""`policycheck status`: the predicted status of every route, no Git needed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from policycheck.collector import long_lived
from policycheck.config import Config
from policycheck.loader import LINK_MODE, Loader, load_paths
from policycheck.resolver import resolve
from policycheck.setup_run import load_config
from policycheck.state import State

if TYPE_CHECKING:
    from policycheck.gitsource import GitSource


def run_status(paths: tuple[str, ...], rev: str | None, repo: str | None, config_file: str | None,
               profile: str | None, fmt: str) -> str:
    from policycheck import config as config_module
    from policycheck.cache import ValidDocuments

    try:
        with long_lived():  # everything the command builds is kept until it prints
            out = _run_status(paths, rev, repo, config_file, profile, fmt)
        if isinstance(config_module.known_valid, ValidDocuments):
            config_module.known_valid.save()
        return out
    finally:
        config_module.known_valid = None


def _remember_valid(source: GitSource) -> None:
    """Documents (extractors) validated by an earlier run of this repository are not validated again."""
    from policycheck import config as config_module
    from policycheck.cache import ValidDocuments, cache_folder

    folder = cache_folder(source.repo.common_dir)
    config_module.known_valid = ValidDocuments(folder) if folder is not None else None


def _run_status(paths: tuple[str, ...], rev: str | None, repo: str | None, config_file: str | None,
                profile: str | None, fmt: str) -> str:
    from policycheck import statusreport

    if rev is not None:
        from policycheck.gitsource import GitSource

        source = GitSource(repo)
        _remember_valid(source)
        sha = source.resolve(rev)
        config = load_config(source, sha, config_file, None)
        files = {p: v for p, v in source.tree(sha).items()
                 if not paths or any(p == x.strip("/") or p.startswith(x.strip("/") + "/") for x in paths)}

        def build(cfg: Config) -> tuple[State, Loader]:
            from policycheck.gitbatch import BlobStream

            # Every blob the loader will read, in the order it reads them, through one pipelined git process.
            wanted = [b for p, (m, b) in sorted(files.items())
                      if cfg.wants(p) and m != LINK_MODE and not m.startswith("160")]
            source.promisor.fetch(wanted)
            with BlobStream(str(source.repo.git_dir), wanted, limit=cfg.max_file_bytes) as stream:
                def read(blob: str) -> bytes:
                    data = stream.get(blob)
                    return data if data is not None else source.read_blob(blob, cfg.max_file_bytes)

                loader = Loader(cfg, read)
                return loader.state(files), loader
    else:
        config = load_config(None, None, config_file, Path.cwd())

        def build(cfg: Config) -> tuple[State, Loader]:
            loader = Loader(cfg)
            return load_paths(paths or (".",), cfg, loader), loader
    state, loader = build(config)
    clusters = sorted(loader.layout.clusters)
    if len(clusters) >= 2:  # each cluster on its own (gitops/units.py)
        from dataclasses import replace

        from policycheck.gitops import units

        per_unit = {name: resolve(build(replace(config, unit=name))[0], profile or config.profile)
                    for name in clusters}
        return units.status_json(per_unit) if fmt == "json" else units.status_text(per_unit)
    resolution = resolve(state, profile or config.profile)
    if fmt == "json":
        return statusreport.render_json(resolution)
    return statusreport.render_text(resolution)
