"""`policycheck check`: judge commits, the index or the working tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policycheck.config import Config
from policycheck.engine import Engine
from policycheck.errors import UsageError
from policycheck.findings import PASS, STAGED, WORKTREE, CommitResult, Report
from policycheck.gitsource import Change, GitSource, blob_id, check_revision
from policycheck.loader import Loader
from policycheck.runner import Runner, Target
from policycheck.setup_run import load_config, load_policies, policy_infos
from policycheck.state import State


@dataclass(frozen=True)
class CheckOptions:
    repo: str | None = None
    revision: str | None = None
    staged: bool = False
    base: str | None = None
    net: bool = False
    history: bool = False
    config: str | None = None
    policy_dirs: tuple[str, ...] = ()
    profile: str | None = None
    fail_on: str | None = None
    list_all: bool = False
    policy_source: str | None = None  # base | head


def plan(source: GitSource, opts: CheckOptions) -> tuple[list[Target], str | None]:
    """The targets to judge, and the revision whose configuration and policies apply."""
    if opts.staged:
        head = source.head()
        index = source.index()
        tree = source.tree(head)
        staged_changes = _diff_listings(tree, index)
        return [Target(STAGED, head, None, tuple(staged_changes))], head
    if opts.base is not None:
        head = source.resolve(opts.revision or "HEAD")
        base = source.merge_base(source.resolve(opts.base), head)
        if opts.net:
            info = source.commit_info(head)
            return [Target(head, base, f"{base[:12]}..{head[:12]} (net) {info.subject}")], base
        return [Target(c.sha, c.parent, c.subject) for c in source.range(base, head)], base
    if opts.history:
        head = source.resolve(opts.revision or "HEAD")
        return [Target(c.sha, c.parent, c.subject) for c in source.range(None, head)], None
    if opts.revision is not None:
        rev = opts.revision
        if ".." in rev:
            left, _, right = rev.partition("...") if "..." in rev else rev.partition("..")
            if "..." in rev:
                raise UsageError(f"{rev!r}: use A..B (symmetric ranges are not supported)")
            a = source.resolve(left or "HEAD")
            b = source.resolve(right or "HEAD")
            return [Target(c.sha, c.parent, c.subject) for c in source.range(a, b)], a
        check_revision(rev)
        sha = source.resolve(rev)
        info = source.commit_info(sha)
        return [Target(sha, info.parent, info.subject)], info.parent
    head = source.head()
    tree = source.tree(head)
    changes: list[tuple[Change, bytes]] = []
    present = set()
    for path in source.worktree():
        data = source.read_worktree(path)
        if data is None:
            continue
        present.add(path)
        sha = blob_id(data)
        if tree.get(path, ("", ""))[1] != sha:
            changes.append((Change(path, sha), data))
    deleted = [Change(p, None) for p in tree if p not in present]
    target = Target(WORKTREE, head, None, tuple([c for c, _ in changes] + deleted))
    _WORKTREE_DATA.clear()
    _WORKTREE_DATA.update({c.blob: data for c, data in changes if c.blob})
    return [target], head


_WORKTREE_DATA: dict[str, bytes] = {}


def _diff_listings(old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> list[Change]:
    changes = [Change(p, blob, mode) for p, (mode, blob) in sorted(new.items()) if old.get(p, ("", ""))[1] != blob]
    changes += [Change(p, None) for p in sorted(old) if p not in new]
    return changes


def run_check(opts: CheckOptions, progress: Callable[[int, int, str], None] | None = None) -> Report:
    source = GitSource(opts.repo)
    targets, base_rev = plan(source, opts)
    root = Path(source.root) if not source.bare else None
    range_mode = opts.base is not None or ".." in (opts.revision or "")
    use_base = range_mode and base_rev is not None and opts.policy_source != "head"
    if use_base:
        config = load_config(source, base_rev, opts.config, None)
        if config.policy_source == "head":  # the base itself says to trust the head
            use_base = False
    if not use_base:
        head_rev = targets[-1].id if targets and root is None else None
        config = load_config(source, head_rev, opts.config, root)
    if opts.profile:
        config = _replace(config, profile=opts.profile)
    if opts.fail_on:
        config = _replace(config, fail_on=opts.fail_on)
    policies = load_policies(config, opts.policy_dirs, source if use_base else None,
                             base_rev if use_base else None, root)
    infos = policy_infos(policies)
    if not targets:
        return Report((), infos, config.fail_on)
    wanted = [c for t in targets if t.changes is not None for c in t.changes if config.wants(c.path)]
    if targets[0].id == STAGED and not wanted:
        t = targets[0]
        return Report((CommitResult(t.id, t.parent, None, PASS, (), 0, {}),), infos, config.fail_on)

    def read(blob: str) -> bytes:
        data = _WORKTREE_DATA.get(blob)
        return data if data is not None else source.read_blob(blob)

    loader = Loader(config, read)
    parents: dict[str, str | None] = {}

    def parent_of(rev: str) -> str | None:
        if rev not in parents:
            parents[rev] = source.commit_info(rev).parent
        return parents[rev]

    def state_of(rev: str | None) -> State:
        return loader.state(source.tree(rev))

    def evolve(parent_state: State, parent_rev: str | None, target: Target) -> tuple[State, set[str]]:
        changes = target.changes if target.changes is not None else tuple(source.diff(parent_rev, target.id))
        return loader.evolve(parent_state, changes), {c.path for c in changes if config.wants(c.path)}

    engine = Engine(policies, config.severity, config.forbid_suppressing, config.params, config.mesh)
    runner = Runner(policies, config.profile, state_of=state_of, evolve=evolve, parent_of=parent_of,
                    engine=engine, fail_on=config.fail_on, list_all=opts.list_all, progress=progress)
    return runner.run(targets, infos)


def _replace(config: Config, **changes: object) -> Config:
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]
