"""`policycheck check`: judge commits, the index or the working tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from policycheck import config as config_module
from policycheck.cache import ParseCache, ValidDocuments, cache_folder
from policycheck.config import Config
from policycheck.engine import Engine
from policycheck.errors import GitError, UsageError
from policycheck.findings import PASS, STAGED, WORKTREE, CommitResult, PolicyInfo, Report
from policycheck.gitbatch import BlobSupply, PendingDiffs
from policycheck.gitsource import Change, CommitInfo, GitSource, check_revision
from policycheck.loader import LINK_MODE, Loader
from policycheck.policy import Policy
from policycheck.runner import DERIVE_LIMIT, Runner, Target
from policycheck.setup_run import known_policy_ids, load_config, load_policies, policy_infos, select_policies
from policycheck.state import State
from policycheck.unchecked import broken_since

if TYPE_CHECKING:
    from policycheck.snapshot import SnapshotStore


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
    no_cache: bool = False  # neither read nor write the parse cache
    baseline: bool = False  # every finding at the head and at the range's base (SARIF)
    skip: tuple[str, ...] = ()  # policy ids left out of this run
    only: tuple[str, ...] = ()  # when given, the only policy ids this run evaluates


def plan(source: GitSource, opts: CheckOptions) -> tuple[list[Target], str | None]:
    """The targets to judge, and the revision whose configuration and policies apply."""
    if opts.staged:
        head = source.head()
        index = source.index()
        tree = source.tree(head)
        staged_changes = _diff_listings(tree, index)
        # Concluding a merge: the index also holds what the merged branch brought in.
        merging = _merge_head(source) if head is not None else None
        parents = (head, merging) if head is not None and merging is not None else ()
        return [Target(STAGED, head, None, tuple(staged_changes), parents=parents)], head
    if opts.base is not None:
        # A pull request: the commits of head not on the target branch, i.e.
        # merge-base(base, head)..head, or (--net) that span judged as one change.
        head = source.resolve(opts.revision or "HEAD")
        base = source.merge_base(_base_commit(source, opts.base), head)
        if opts.net:
            if base == head:
                return [], base
            info = source.commit_info(head)
            return [Target(head, base, f"{base[:12]}..{head[:12]} (net) {info.subject}")], base
        return _targets(source, source.range(base, head)), base
    if opts.history:
        head = source.resolve(opts.revision or "HEAD")
        return _targets(source, source.range(None, head)), None
    if opts.revision is not None:
        rev = opts.revision
        if ".." in rev:
            left, _, right = rev.partition("...") if "..." in rev else rev.partition("..")
            if "..." in rev:
                raise UsageError(f"{rev!r}: use A..B (symmetric ranges are not supported)")
            a = source.resolve(left or "HEAD")
            b = source.resolve(right or "HEAD")
            return _targets(source, source.range(a, b)), a
        check_revision(rev)
        try:
            sha = source.resolve(rev)
        except GitError:
            _not_a_path(source, rev)
            raise
        info = source.commit_info(sha)
        return _targets(source, [info]), info.parent
    head = source.head()
    tree = source.tree(head)
    changes: list[tuple[Change, bytes]] = []
    listed, skipped = source.worktree()
    present = set(skipped)
    for path in listed:
        data = source.read_worktree(path)
        if data is None:
            continue
        present.add(path)
        sha = source.blob_id(data)
        if tree.get(path, ("", ""))[1] != sha:
            changes.append((Change(path, sha), data))
    deleted = [Change(p, None) for p in tree if p not in present]
    merging = _merge_head(source) if head is not None else None
    target = Target(WORKTREE, head, None, tuple([c for c, _ in changes] + deleted),
                    parents=(head, merging) if head is not None and merging is not None else ())
    _WORKTREE_DATA.clear()
    _WORKTREE_DATA.update({c.blob: data for c, data in changes if c.blob})
    return [target], head


_WORKTREE_DATA: dict[str, bytes] = {}
_NO_PRUNE = 1 << 30  # snapshot stores are pruned at the end of a check, not as each run stores

_SHALLOW_HINT = "fetch more history: `git fetch --unshallow` (actions/checkout: `fetch-depth: 0`)"


def _targets(source: GitSource, commits: list[CommitInfo]) -> list[Target]:
    """One target per commit, each against its first parent; a merge keeps all its parents."""
    _require_parents(source, commits)
    return [Target(c.sha, c.parent, c.subject, parents=c.parents if len(c.parents) > 1 else ())
            for c in commits]


def _require_parents(source: GitSource, commits: list[CommitInfo]) -> None:
    """Refuse to judge a commit whose parents a shallow clone lacks: Git shows it as a root,
    and judging it against the empty tree would blame it for every manifest it holds."""
    cut = source.shallow_commits().intersection(c.sha for c in commits)
    if cut:
        sha = next(c.sha for c in commits if c.sha in cut)
        raise GitError(f"commit {sha[:12]} is at the edge of this shallow clone (its parent is missing), "
                       f"so its change cannot be judged; {_SHALLOW_HINT}")


def _not_a_path(source: GitSource, name: str) -> None:
    """Say what to run when a name that is no revision names a file or folder (`check routes/`, as
    linters take paths). A name that is both is a revision: this is only asked when it resolved to none."""
    places = [Path(name)] + ([Path(source.root) / name] if not source.bare else [])
    if any(p.exists() for p in places):
        what = "folder" if any(p.is_dir() for p in places) else "file"
        raise UsageError(f"{name!r} is a {what}, not a revision: `policycheck status {name}` shows the predicted "
                         f"status of its routes, and `policycheck check` judges the working tree against HEAD")


def _merge_head(source: GitSource) -> str | None:
    """The commit being merged while a merge is in progress, else None."""
    try:
        return source.resolve("MERGE_HEAD")
    except GitError:
        return None


def _base_commit(source: GitSource, ref: str) -> str:
    """Resolve --base, saying how to fetch it when the clone does not have it (the usual CI case)."""
    try:
        return source.resolve(ref)
    except GitError:
        pass
    name = ref.removeprefix("refs/remotes/")
    remote, _, branch = name.partition("/")
    if re.fullmatch(r"[0-9a-fA-F]{7,64}", ref):
        fetch = f"git fetch origin {ref}"
    elif branch and not name.startswith("refs/"):
        # The explicit refspec also works in a single-branch clone, which would leave
        # `origin/<branch>` missing after a plain `git fetch origin <branch>`.
        fetch = f"git fetch {remote} {branch}:refs/remotes/{remote}/{branch}"
    else:
        branch = ref.removeprefix("refs/heads/")
        fetch = f"git fetch origin {branch}:refs/remotes/origin/{branch}` and `--base origin/{branch}"
    hint = (f"; this clone is also shallow, so fetch the history down to the merge base as well: "
            f"{_SHALLOW_HINT.removeprefix('fetch more history: ')}") if source.shallow_commits() else ""
    raise GitError(f"base revision {ref!r} is not in this clone: fetch it first (e.g. `{fetch}`){hint}")


def _diff_listings(old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> list[Change]:
    changes = [Change(p, blob, mode) for p, (mode, blob) in sorted(new.items()) if old.get(p, ("", ""))[1] != blob]
    changes += [Change(p, None) for p in sorted(old) if p not in new]
    return changes


def run_check(opts: CheckOptions, progress: Callable[[int, int, str], None] | None = None) -> Report:
    source = GitSource(opts.repo)
    folder = None if opts.no_cache else _cache_dir(source)
    valid = ValidDocuments(folder) if folder is not None else None
    config_module.known_valid = valid  # documents validated by an earlier run are not validated again
    try:
        return _run_check(source, opts, progress, valid)
    finally:
        config_module.known_valid = None


def _run_check(source: GitSource, opts: CheckOptions, progress: Callable[[int, int, str], None] | None,
               valid: ValidDocuments | None) -> Report:
    targets, base_rev = plan(source, opts)
    root = Path(source.root) if not source.bare else None
    range_mode = opts.base is not None or ".." in (opts.revision or "")
    use_base = range_mode and base_rev is not None and opts.policy_source != "head"
    if use_base:
        config = load_config(source, base_rev, opts.config, None, repo_root=root)
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
    if opts.skip or opts.only:
        policies = select_policies(policies, known_policy_ids(config, policies), opts.skip, opts.only)
    infos = policy_infos(policies)
    if valid is not None:
        valid.save()
    if not targets:
        return Report((), infos, config.fail_on)
    wanted = [c for t in targets if t.changes is not None for c in t.changes if config.wants(c.path)]
    if targets[0].id == STAGED and not wanted:
        t = targets[0]
        return Report((CommitResult(t.id, t.parent, None, PASS, (), 0, {}),), infos, config.fail_on)

    cache = None if opts.no_cache else _open_cache(source, config)
    report, loader, store = _judge(source, opts, targets, config, policies, infos, cache, progress, opts.list_all)
    if valid is not None:
        valid.save()  # the extractors the loader validated
    clusters = sorted(loader.layout.clusters)
    if len(clusters) >= 2:
        # Each cluster judged on its own (gitops/units.py); the run above gives the change counts.
        from policycheck.gitops import units

        per_unit: dict[str, Report] = {}
        for n, name in enumerate(clusters, 1):
            scaled = None if progress is None else _scaled(progress, n, len(clusters) + 1)
            per_unit[name] = _judge(source, opts, targets, _replace(config, unit=name), policies, infos, cache,
                                    scaled, True, loader)[0]
        report = units.merge(report, per_unit, opts.list_all)
    if store is not None:
        from policycheck.snapshot import KEEP

        store.prune(KEEP * (len(clusters) + 1 if len(clusters) >= 2 else 1))  # a snapshot per cluster
    if cache is not None:
        cache.prune()
    return report


def _scaled(progress: Callable[[int, int, str], None], part: int, parts: int) -> Callable[[int, int, str], None]:
    """Progress of one of several runs over the same targets, as progress of the whole."""
    return lambda n, total, label: progress(part * total + n, parts * total, label)


def _judge(source: GitSource, opts: CheckOptions, targets: list[Target], config: Config, policies: list[Policy],
           infos: tuple[PolicyInfo, ...], cache: ParseCache | None,
           progress: Callable[[int, int, str], None] | None, list_all: bool,
           parsed_by: Loader | None = None) -> tuple[Report, Loader, SnapshotStore | None]:
    """One run over the targets: the report, the loader that made its states, and its snapshot store
    (pruned by the caller, once every run is done)."""
    git_dir = str(source.repo.git_dir)
    limit = config.max_file_bytes
    blobs = BlobSupply(git_dir, lambda sha: source.read_blob(sha, limit), _WORKTREE_DATA,
                       prefetch=source.promisor.fetch, limit=limit)
    read = blobs.read
    loader = Loader(config, read)
    if parsed_by is not None:
        loader.share_parsed(parsed_by)
    loader.cache = cache
    seen: set[tuple[str, str]] = set()  # (path, blob) this run's loader has parsed
    # The diffs of every commit of a range, from one git process working while the base state is built.
    pending = PendingDiffs(git_dir, [(t.id, t.parent) for t in targets if t.changes is None and t.parent is not None]
                           if len(targets) > 1 else [])
    batched: dict[str, list[Change]] = {}
    parents: dict[str, str | None] = {}

    def parent_of(rev: str) -> str | None:
        if rev not in parents:
            # A few generations in one call: a HEAD derived from an older snapshot walks them.
            for sha, parent in source.first_parents(rev, DERIVE_LIMIT + 2):
                parents.setdefault(sha, parent)
            if rev not in parents:  # not named by its full id
                parents[rev] = source.commit_info(rev).parent
        return parents[rev]

    def unread(files: Iterable[tuple[str, str, str]], in_memory: bool = False) -> list[str]:
        """The blobs the loader reads to parse these (path, mode, blob), in that order: neither links,
        submodules nor files parsed already, nor (in_memory) entries the cache holds in memory."""
        return [b for p, m, b in files
                if m != LINK_MODE and not m.startswith("160") and config.wants(p) and not loader.parsed(p, b)
                and not (in_memory and cache is not None and cache.has(cache.key(p, b, m)))]

    def state_of(rev: str | None) -> State:
        whole = not seen  # the first tree of the run is listed whole; later ones only add to it
        files = source.tree(rev)
        listing = sorted((p, m, b) for p, (m, b) in files.items()
                         if config.wants(p) and not m.startswith("160") and (p, b) not in seen)
        pack = cache.pack_key(listing) if cache is not None and len(listing) > 1 else None
        packed = cache is not None and pack is not None and (cache.load_pack(pack) or cache.load_latest())
        todo = unread(listing, packed)
        if cache is not None and pack is not None:
            cache.per_entry = False  # a whole tree goes to disk as one pack, not file by file
        try:
            with blobs.streaming(todo):  # git reads the next blobs while the loader parses
                state = loader.state(files)
        finally:
            if cache is not None:
                cache.per_entry = True
        seen.update((p, b) for p, _, b in listing)
        if cache is not None and pack is not None and todo:
            cache.put_pack(pack, [cache.key(p, b, m) for p, m, b in listing], latest=whole)
        return state

    streamed: list[bool] = []

    def evolve(parent_state: State, parent_rev: str | None, target: Target) -> tuple[State, set[str]]:
        if not streamed:
            streamed.append(True)
            batched.update(pending.result())
            if batched:
                # Every blob the range's commits add, read from here on in one pipelined stream.
                blobs.ahead(unread((c.path, c.mode, c.blob) for t in targets for c in batched.get(t.id, ())
                                   if c.blob is not None))
        ranged = target.id in batched
        changes = target.changes if target.changes is not None else tuple(
            batched.pop(target.id) if ranged else source.diff(parent_rev, target.id))
        seen.update((c.path, c.blob) for c in changes if c.blob is not None)
        # A change not in the range's stream (the index, a root commit) streams its own blobs.
        own = [] if ranged else unread((c.path, c.mode, c.blob) for c in changes
                                       if c.blob is not None and c.blob not in _WORKTREE_DATA)
        with blobs.streaming(own):
            state = loader.evolve(parent_state, changes)
        return state, {c.path for c in changes if config.wants(c.path)} | loader.rederived

    engine = Engine(policies, config.severity, config.forbid_suppressing, config.params, config.mesh)
    snapshots = None
    if cache is not None:
        from policycheck.snapshot import SnapshotStore

        snapshots = SnapshotStore(cache.folder, loader, read, config, policies, config.profile, keep=_NO_PRUNE)
    def since(path: str, rev: str) -> str:
        return broken_since(source, lambda p, mode, blob: loader.entry(p, blob, mode).diagnostics, path, rev)

    runner = Runner(policies, config.profile, state_of=state_of, evolve=evolve, parent_of=parent_of,
                    engine=engine, fail_on=config.fail_on, list_all=list_all, progress=progress,
                    snapshots=snapshots, baseline=opts.baseline, broken_since=since)
    try:
        return runner.run(targets, infos), loader, snapshots
    finally:
        pending.close()
        blobs.close()


def _cache_dir(source: GitSource) -> Path | None:
    """Where this repository's caches live (shared by its worktrees), or None when they have no place."""
    return cache_folder(getattr(source.repo, "common_dir", None) or source.repo.git_dir)


def _open_cache(source: GitSource, config: Config) -> ParseCache | None:
    """The parse cache of this repository, or None when it has no place."""
    folder = _cache_dir(source)
    return ParseCache(folder, config) if folder is not None else None


def _replace(config: Config, **changes: object) -> Config:
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]
