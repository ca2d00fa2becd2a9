"""Assembling a run: configuration, policies and where they come from.

In a range check the configuration and policies are read from the base
revision by default, so a change cannot weaken the check that judges it.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from policycheck.config import CONFIG_FILE, Config, parse_config
from policycheck.errors import ConfigError, GitError
from policycheck.findings import PolicyInfo
from policycheck.gitsource import GitSource
from policycheck.policy import Policy, builtin_dir, check_unique, load_folder, load_texts, parse_policy, policy_files

LINK_MODE = "120000"
T = TypeVar("T")


def load_config(source: GitSource | None, rev: str | None, explicit: str | None, root: Path | None,
                repo_root: Path | None = None) -> Config:
    """`--config FILE`, else `.policycheck.yaml` at `rev` (or on disk when rev is None), else defaults;
    with the URLs of the repository's remotes (which name this repository in GitOps sources).

    With `rev` and the working tree's `repo_root`, a `--config FILE` inside the repository is read
    at `rev` too (the base of a range: a change cannot relax the file that judges it)."""
    config = _read_config(source, rev, explicit, root, repo_root or root)
    if source is None and root is not None:
        try:
            source = GitSource(str(root))
        except GitError:
            return config
    return replace(config, remotes=source.remote_urls()) if source is not None else config


def _read_config(source: GitSource | None, rev: str | None, explicit: str | None, root: Path | None,
                 repo_root: Path | None) -> Config:
    if explicit:
        inside = repo_path(explicit, repo_root)
        if inside is not None and source is not None and rev is not None:
            text = tree_text(source, rev, source.tree(rev), inside, "--config")
            if text is None:
                raise ConfigError(f"--config: {inside} is not in the base revision {rev[:12]}, where a file of the "
                                  "repository is read (`--policy-source head` reads it from the change)")
            return parse_config(text, f"{inside}@{rev[:12]}")
        return disk_document(Path(explicit), repo_root, explicit, parse_config)
    if source is not None and rev is not None:
        text = tree_text(source, rev, source.tree(rev), CONFIG_FILE, CONFIG_FILE)
        return Config() if text is None else parse_config(text, f"{CONFIG_FILE}@{rev[:12]}")
    if root is not None and (root / CONFIG_FILE).is_file():
        return disk_document(root / CONFIG_FILE, root, CONFIG_FILE, parse_config)
    return Config()


def repo_path(named: str, root: Path | None) -> str | None:
    """The repository path ("" for the top) of a file or folder named on the command line, or None
    when it lies outside the working tree (or there is none). Where the name is, not where a link
    there points: a link inside the repository is the repository's."""
    if root is None:
        return None
    where = Path(os.path.abspath(named))
    candidates = {where, Path(os.path.realpath(where.parent)) / where.name}
    for top in {root.absolute(), root.resolve()}:
        for path in candidates:
            if path == top or top in path.parents:
                return path.relative_to(top).as_posix().removeprefix(".")
    return None


def tree_text(source: GitSource, rev: str, tree: dict[str, tuple[str, str]], path: str, label: str) -> str | None:
    """The text of a file of a commit's tree (None when absent). A symbolic link is followed within
    the tree; one that leaves it is refused, without a word of where it points."""
    entry = tree.get(path)
    if entry is not None and entry[0] == LINK_MODE:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path),
                                                   source.read_blob(entry[1]).decode("utf-8", "replace")))
        entry = tree.get(target) if not target.startswith(("/", "../")) and target != ".." else None
        if entry is None or entry[0] == LINK_MODE:
            raise ConfigError(f"a symbolic link to a file outside the repository (at {rev[:12]}); not read", label)
    return None if entry is None else _decode(source.read_blob(entry[1]), label)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", name) from None


def disk_document(path: Path, root: Path | None, label: str, parse: Callable[[str, str], T]) -> T:
    """A configuration or policy file on disk, parsed. One in the repository that is a link to a file
    outside it is refused without a word of what it holds or where it points: the repository's files
    are the change's to write, the files of the machine that runs the check are not theirs to read.
    A file outside the repository is read only when the command line names it."""
    refuse_outside_link(path, root, label)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", label) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", label) from None
    return parse(text, label)


def refuse_outside_link(path: Path, root: Path | None, label: str) -> None:
    """Refuse a file of the repository that is a link to a file outside it, saying nothing of either."""
    if root is not None and repo_path(str(path), root) is not None:
        real = path.resolve()
        top = root.resolve()
        if real != top and top not in real.parents:
            raise ConfigError("a symbolic link to a file outside the repository; not read", label)


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
    tree = source.tree(rev) if source is not None and rev is not None else None
    for i, folder in enumerate(config.policy_dirs):
        if source is not None and rev is not None and tree is not None:
            prefix = folder.strip("/") + "/"
            if not any(p.startswith(prefix) for p in tree):
                raise ConfigError(f"policyDirs: no folder {folder!r} at {rev[:12]}", config.source,
                                  config.line_of("policyDirs", i))
            policies += _tree_policies(source, rev, tree, prefix)
        else:
            path = (root or Path.cwd()) / folder
            inside = (root or Path.cwd()).resolve()
            if path.resolve() != inside and inside not in path.resolve().parents:  # never read outside the repo
                raise ConfigError(f"policyDirs: {folder!r} is outside the repository", config.source or CONFIG_FILE,
                                  config.line_of("policyDirs", i))
            if not path.is_dir():
                raise ConfigError(f"policyDirs: no folder {folder!r}", config.source or CONFIG_FILE,
                                  config.line_of("policyDirs", i))
            policies += _disk_policies(path, folder.rstrip("/"), root or Path.cwd())
    for folder in extra_dirs:
        # A folder of the repository is read where the configuration is: at the base of a range.
        at = repo_path(folder, root) if tree is not None else None
        if source is not None and rev is not None and tree is not None and at is not None:
            prefix = f"{at}/" if at else ""
            if not any(p.startswith(prefix) for p in tree):
                raise ConfigError(f"--policies: no folder {at or '.'!r} in the base revision {rev[:12]}, where a "
                                  "folder of the repository is read (`--policy-source head` reads it from the change)")
            policies += _tree_policies(source, rev, tree, prefix)
            continue
        if not Path(folder).is_dir():
            raise ConfigError(f"--policies: no folder {folder!r}")
        policies += _disk_policies(Path(folder), None, root)
    check_unique(policies)
    check_ids(config, {p.id for p in policies} | builtin_ids)
    return [p for p in policies if p.id not in config.disable]


def _tree_policies(source: GitSource, rev: str, tree: dict[str, tuple[str, str]], prefix: str) -> list[Policy]:
    """The policies of one folder of a commit's tree (`prefix` ends in `/`, or is "" for the top): its
    `*.yaml` files as a glob on disk finds them (no hidden ones)."""
    files: list[tuple[str, str]] = []
    for path in sorted(tree):
        name = path[len(prefix):]
        if path.startswith(prefix) and "/" not in name and name.endswith(".yaml") and not name.startswith("."):
            text = tree_text(source, rev, tree, path, path)
            if text is not None:
                files.append((path, text))
    return load_texts(files)


def _disk_policies(folder: Path, label: str | None, root: Path | None) -> list[Policy]:
    """The policies of a folder on disk; `label` names them in messages (else their path)."""
    policies: list[Policy] = []
    for path in policy_files(folder):
        def parse(text: str, name: str, stem: str = path.stem) -> Policy:
            return parse_policy(text, name, stem)

        policies.append(disk_document(path, root, f"{label}/{path.name}" if label else str(path), parse))
    return policies


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
