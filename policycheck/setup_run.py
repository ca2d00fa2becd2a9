"""Assembling a run: configuration, policies and where they come from.

In a range check the configuration and policies are read from the base
revision by default, so a change cannot weaken the check that judges it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from policycheck.config import CONFIG_FILE, Config, parse_config
from policycheck.errors import ConfigError, GitError
from policycheck.findings import PolicyInfo
from policycheck.gitsource import GitSource
from policycheck.policy import Policy, builtin_dir, check_unique, load_folder, load_texts


def load_config(source: GitSource | None, rev: str | None, explicit: str | None, root: Path | None) -> Config:
    """`--config FILE`, else `.policycheck.yaml` at `rev` (or on disk when rev is None), else defaults;
    with the URLs of the repository's remotes (which name this repository in GitOps sources)."""
    config = _read_config(source, rev, explicit, root)
    if source is None and root is not None:
        try:
            source = GitSource(str(root))
        except GitError:
            return config
    return replace(config, remotes=source.remote_urls()) if source is not None else config


def _read_config(source: GitSource | None, rev: str | None, explicit: str | None, root: Path | None) -> Config:
    if explicit:
        path = Path(explicit)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read configuration: {exc}", explicit) from None
        return parse_config(text, explicit)
    if source is not None and rev is not None:
        tree = source.tree(rev)
        if CONFIG_FILE in tree:
            data = source.read_blob(tree[CONFIG_FILE][1])
            return parse_config(_decode(data, CONFIG_FILE), f"{CONFIG_FILE}@{rev[:12]}")
        return Config()
    if root is not None and (root / CONFIG_FILE).is_file():
        try:
            return parse_config((root / CONFIG_FILE).read_text(encoding="utf-8"), CONFIG_FILE)
        except UnicodeDecodeError:
            raise ConfigError("not UTF-8 text", CONFIG_FILE) from None
    return Config()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", name) from None


def load_policies(config: Config, extra_dirs: tuple[str, ...] = (), source: GitSource | None = None,
                  rev: str | None = None, root: Path | None = None) -> list[Policy]:
    """Built-ins, then the configuration's policy folders (at `rev` when given), then --policies."""
    policies: list[Policy] = []
    builtin_ids: set[str] = set()
    if config.builtin_policies:
        builtin = load_folder(builtin_dir(), "policies")
        known = builtin_ids = {p.id for p in builtin}
        for i, pid in enumerate(config.enable):
            if pid not in known:
                raise ConfigError(f"enable: unknown built-in policy {pid!r} (see `policycheck policies list`)",
                                  config.source or CONFIG_FILE, config.line_of("enable", i))
        policies += [p for p in builtin if not p.opt_in or p.id in config.enable]
    for i, folder in enumerate(config.policy_dirs):
        if source is not None and rev is not None:
            prefix = folder.strip("/") + "/"
            files = [(path, _decode(source.read_blob(blob), path))
                     for path, (_, blob) in sorted(source.tree(rev).items())
                     if path.startswith(prefix) and "/" not in path[len(prefix):] and path.endswith(".yaml")]
            if not files and not any(p.startswith(prefix) for p in source.tree(rev)):
                raise ConfigError(f"policyDirs: no folder {folder!r} at {rev[:12]}", config.source,
                                  config.line_of("policyDirs", i))
            policies += load_texts(files)
        else:
            path = (root or Path.cwd()) / folder
            inside = (root or Path.cwd()).resolve()
            if path.resolve() != inside and inside not in path.resolve().parents:  # never read outside the repo
                raise ConfigError(f"policyDirs: {folder!r} is outside the repository", config.source or CONFIG_FILE,
                                  config.line_of("policyDirs", i))
            if not path.is_dir():
                raise ConfigError(f"policyDirs: no folder {folder!r}", config.source or CONFIG_FILE,
                                  config.line_of("policyDirs", i))
            policies += load_folder(path, folder.rstrip("/"))
    for folder in extra_dirs:
        path = Path(folder)
        if not path.is_dir():
            raise ConfigError(f"--policies: no folder {folder!r}")
        policies += load_folder(path)
    check_unique(policies)
    check_ids(config, {p.id for p in policies} | builtin_ids)
    return [p for p in policies if p.id not in config.disable]


def check_ids(config: Config, known_ids: set[str]) -> None:
    """Every policy id the configuration names exists: a typo must not disable nothing silently."""
    named: list[tuple[str, tuple[str | int, ...]]] = [(pid, ("disable", i)) for i, pid in enumerate(config.disable)]
    named += [(pid, (section, pid)) for section in ("severity", "params") for pid in getattr(config, section)]
    named += [(pid, ("forbidSuppressing", i)) for i, pid in enumerate(config.forbid_suppressing)]
    for pid, path in named:
        if pid not in known_ids:
            raise ConfigError(f"{path[0]}: unknown policy id {pid!r} (see `policycheck policies list`)",
                              config.source or CONFIG_FILE, config.line_of(*path))


def select_policies(policies: list[Policy], known: set[str], skip: tuple[str, ...] = (),
                    only: tuple[str, ...] = ()) -> list[Policy]:
    """The policies in force narrowed by `--only` and `--skip`; an id nobody defines is a usage error.

    `known` holds every id that exists (opt-in and disabled ones too). The loader's
    reserved ids are accepted and change nothing: its diagnostics always show.
    """
    import difflib

    from policycheck.diagnostics import RESERVED
    from policycheck.errors import UsageError

    for flag, ids in (("--skip", skip), ("--only", only)):
        for pid in ids:
            if pid not in known and pid not in RESERVED:
                close = difflib.get_close_matches(pid, sorted(known | set(RESERVED)), n=3, cutoff=0.6)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                raise UsageError(f"{flag} {pid}: no such policy{hint} (see `policycheck policies list`)")
    return [p for p in policies if (not only or p.id in only) and p.id not in skip]


def known_policy_ids(config: Config, policies: list[Policy]) -> set[str]:
    """Every policy id that exists for this configuration: built-in (opt-in included), loaded, disabled."""
    builtin = {p.id for p in load_folder(builtin_dir(), "policies")} if config.builtin_policies else set()
    return builtin | {p.id for p in policies} | set(config.disable) | set(config.enable)


def policy_infos(policies: list[Policy]) -> tuple[PolicyInfo, ...]:
    return tuple(PolicyInfo(p.id, p.severity, p.description, p.help or p.rationale, p.source, p.title,
                             p.rationale, p.example)
                 for p in sorted(policies, key=lambda p: p.id))
