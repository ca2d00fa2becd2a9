"""`policycheck status`: the predicted status of every route, no Git needed."""

from __future__ import annotations

from pathlib import Path

from policycheck.loader import Loader, load_paths
from policycheck.resolver import resolve
from policycheck.setup_run import load_config


def run_status(paths: tuple[str, ...], rev: str | None, repo: str | None, config_file: str | None,
               profile: str | None, fmt: str) -> str:
    from policycheck import statusreport

    if rev is not None:
        from policycheck.gitsource import GitSource

        source = GitSource(repo)
        sha = source.resolve(rev)
        config = load_config(source, sha, config_file, None)
        state = Loader(config, source.read_blob).state(
            {p: v for p, v in source.tree(sha).items()
             if not paths or any(p == x.strip("/") or p.startswith(x.strip("/") + "/") for x in paths)})
    else:
        config = load_config(None, None, config_file, Path.cwd())
        state = load_paths(paths or (".",), config)
    resolution = resolve(state, profile or config.profile)
    if fmt == "json":
        return statusreport.render_json(resolution)
    return statusreport.render_text(resolution)
