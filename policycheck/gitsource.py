"""Reading the repository: commits, trees, the index and the working tree.

Every object is read through one persistent `git cat-file --batch`
process (`gitbatch.CliRepo`), so a run starts a handful of git processes however many blobs it reads.
Revision arguments are validated before Git sees them: anything that could be
taken for an option is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.errors import GitError, UsageError
from policycheck.promisor import Promisor

# What no ref name holds (`git check-ref-format`): control characters and white space. Anything else a
# branch may be called (`fix/#123`, `feat/été`) passes; Git itself says whether the revision exists.
_UNSAFE_REV = re.compile(r"[\x00-\x20\x7f\s]")


def check_revision(rev: str) -> str:
    """Refuse revisions that Git could read as options or that carry characters no ref name has."""
    if not rev or rev.startswith("-") or _UNSAFE_REV.search(rev) or ".." in rev.strip("."):
        raise UsageError(f"refusing revision {rev!r}: not a plain revision name")
    return rev


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parent: str | None  # first parent; None for a root commit
    subject: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A file that differs between two states; blob None means deleted."""

    path: str
    blob: str | None
    mode: str = "100644"


def raw_change(meta: str, path: str) -> Change:
    """One record of `git diff-tree --raw -z` (":old_mode new_mode old_sha new_sha status", path)."""
    _, new_mode, _, new_blob, status = meta[1:].split(" ")[:5]
    return Change(path, None) if status.startswith("D") else Change(path, new_blob, new_mode)


DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # files larger than this are not parsed unless the configuration says so
HEAD_BYTES = 64 * 1024  # what is kept of a file over the size limit: enough to tell whether it is a manifest
_CHUNK = 1 << 20


class Oversized(bytes):
    """The first bytes of content over the size limit, with its full size: such content is never held whole.

    `oid` is its blob id when it was hashed while read (a working-tree file); `whole()` reads it
    all again when a configuration raises the limit above its size (None when it cannot).
    """

    size: int
    oid: str
    _whole: Callable[[], bytes] | None

    def __new__(cls, head: bytes, size: int, oid: str = "", whole: Callable[[], bytes] | None = None) -> Oversized:
        obj = super().__new__(cls, head[:HEAD_BYTES])
        obj.size, obj.oid, obj._whole = size, oid, whole
        return obj

    def whole(self) -> bytes | None:
        return self._whole() if self._whole is not None else None


def read_capped(read: Callable[[int], bytes], size: int, digest: Any = None) -> bytes:
    """Read `size` bytes by chunks (each fed to `digest`), keeping only the first HEAD_BYTES."""
    head = b""
    left = size
    while left > 0:
        chunk = read(min(_CHUNK, left))
        if not chunk:
            raise OSError("the content ended before its size")
        left -= len(chunk)
        if digest is not None:
            digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[:HEAD_BYTES - len(head)]
    return head


def read_file(full: Path, cap: int = DEFAULT_MAX_BYTES, object_format: str = "sha1") -> bytes:
    """A file's bytes, or past `cap` bytes its `Oversized` head (hashed on the way, never held whole)."""
    size = full.stat().st_size
    if size <= cap:
        return full.read_bytes()
    digest = hashlib.new(object_format, b"blob %d\0" % size)
    with open(full, "rb") as fh:
        head = read_capped(fh.read, size, digest)
    return Oversized(head, size, digest.hexdigest(), full.read_bytes)


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id Git would give this content (used for working-tree files), in the repository's object format
    (an `Oversized` head has it from when it was read)."""
    if isinstance(data, Oversized) and data.oid:
        return data.oid
    return hashlib.new(object_format, b"blob %d\0" % len(data) + data).hexdigest()


def empty_tree(object_format: str = "sha1") -> str:
    """The empty tree's id (what a root commit is compared with): 4b825dc… in SHA-1, 6ef19b4… in SHA-256."""
    return hashlib.new(object_format, b"tree 0\0").hexdigest()


class GitSource:
    """One repository, opened once per run."""

    def __init__(self, path: str | None = None) -> None:
        # The git command line, not GitPython: importing it costs a pre-commit hook more than its check.
        from policycheck.gitbatch import CliRepo, GitCommandFailed, NotARepository

        start = Path(path or os.getcwd())
        if not start.exists():
            raise GitError(f"{start}: no such folder")
        if not start.is_dir():
            raise GitError(f"{start}: is a file, not a folder; give the folder of the repository (--repo DIR)")
        try:
            self.repo = CliRepo(start)
        except NotARepository:
            raise GitError(f"{start}: not a Git repository (use --repo DIR, or run inside one)") from None
        self._git = self.repo.git
        self._exc = GitCommandFailed
        self.bare = self.repo.bare
        self.root = Path(str(self.repo.working_tree_dir)) if not self.bare else Path(self.repo.git_dir)
        self.promisor = Promisor(self.repo.git_dir, self._run, self.repo.common_dir)
        self.object_format = self.repo.object_format

    # -- plumbing ---------------------------------------------------------
    def _run(self, *args: str, env: dict[str, str] | None = None) -> str:
        try:
            out: str = self._git.execute(["git", *args], env=env, strip_newline_in_stdout=False)
            return out
        except self._exc as exc:
            msg = (exc.stderr or "").strip().replace("stderr: ", "").strip("'\n ")
            raise GitError(f"git {args[0]} failed: {msg.splitlines()[-1] if msg else exc}") from None

    def read_blob(self, sha: str, limit: int | None = None) -> bytes:
        """A blob's content; past `limit` bytes its `Oversized` head only."""
        try:
            _, _, _, data = self._git.get_object_data(sha, limit)
        except (ValueError, OSError, self._exc) as exc:
            raise GitError(self.promisor.missing_message(sha) or f"cannot read object {sha}: {exc}") from None
        return data

    def blob_id(self, data: bytes) -> str:
        """The id this repository would give this content (hashed while it was read, when oversized)."""
        return blob_id(data, self.object_format)

    # -- revisions --------------------------------------------------------
    def head(self) -> str | None:
        """HEAD's sha, or None when HEAD is unborn (no commit yet)."""
        try:
            return self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}").strip() or None
        except GitError:
            return None

    def resolve(self, rev: str) -> str:
        check_revision(rev)
        try:
            return self._run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip()
        except GitError:
            hint = ""
            if self.repo.git.rev_parse("--is-shallow-repository").strip() == "true":
                hint = " (this is a shallow clone: fetch it, e.g. `git fetch --unshallow` or `fetch-depth: 0`)"
            raise GitError(f"unknown revision {rev!r}{hint}") from None

    def merge_base(self, a: str, b: str) -> str:
        try:
            return self._run("merge-base", "--end-of-options", a, b).strip()
        except GitError:
            raise GitError(f"no merge base between {a[:12]} and {b[:12]}"
                           " (in a shallow clone fetch the full history: `git fetch --unshallow`)") from None

    def shallow_commits(self) -> frozenset[str]:
        """Commits whose parents a shallow clone lacks (Git shows them as roots); empty in a full clone."""
        try:
            text = (Path(self.repo.common_dir) / "shallow").read_text(encoding="ascii")
        except OSError:
            return frozenset()
        return frozenset(line.strip() for line in text.splitlines() if line.strip())

    def commit_info(self, sha: str) -> CommitInfo:
        out = self._run("log", "-1", "--format=%H%x00%P%x00%s", "--end-of-options", sha)
        full, parents, subject = ([*out.rstrip("\n").split("\x00"), "", ""])[:3]
        plist = tuple(parents.split())
        return CommitInfo(full, plist[0] if plist else None, subject, plist)

    def first_parents(self, sha: str, count: int) -> list[tuple[str, str | None]]:
        """(commit, first parent or None) for sha and its first parents, `count` commits at most."""
        out = self._run("rev-list", "--first-parent", "--parents", f"--max-count={count}", "--end-of-options", sha)
        found: list[tuple[str, str | None]] = []
        for line in out.splitlines():
            ids = line.split()
            if ids:
                found.append((ids[0], ids[1] if len(ids) > 1 else None))
        return found

    def path_commits(self, sha: str, path: str, count: int) -> list[tuple[str, str | None]]:
        """(commit, first parent or None) of the first-parent commits from sha back that changed
        `path`, newest first, `count` at most."""
        out = self._run("rev-list", "--first-parent", "--parents", f"--max-count={count}", "--end-of-options", sha,
                        "--", path, env=_LITERAL)
        return [(ids[0], ids[1] if len(ids) > 1 else None) for ids in map(str.split, out.splitlines()) if ids]

    def blob_at(self, sha: str, path: str) -> tuple[str, str] | None:
        """(mode, blob) of `path` in commit sha, or None when it has no such file."""
        out = self._run("ls-tree", "-z", "--full-tree", "--end-of-options", sha, "--", path, env=_LITERAL)
        return _parse_ls(out, with_stage=False).get(path)

    def range(self, base: str | None, head: str) -> list[CommitInfo]:
        """Commits reachable from head and not from base, parents before children."""
        args = ["log", "--topo-order", "--reverse", "--format=%H%x00%P%x00%s", "--end-of-options", head]
        if base:
            args.append(f"^{base}")
        out = self._run(*args)
        commits = []
        for line in out.splitlines():
            if not line:
                continue
            full, parents, subject = ([*line.split("\x00"), "", ""])[:3]
            plist = tuple(parents.split())
            commits.append(CommitInfo(full, plist[0] if plist else None, subject, plist))
        return commits

    def remote_urls(self) -> tuple[str, ...]:
        """The fetch URLs of the repository's remotes (none configured: empty)."""
        try:
            out = self._run("config", "--get-regexp", r"^remote\..*\.url$")
        except GitError:  # git config exits 1 when nothing matches
            return ()
        return tuple(dict.fromkeys(line.split(None, 1)[1] for line in out.splitlines() if " " in line))

    # -- trees ------------------------------------------------------------
    def tree(self, rev: str | None) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob) for every file of a commit (empty for None)."""
        if rev is None:
            return {}
        out = self._run("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev)
        return _parse_ls(out, with_stage=False)

    def diff(self, old: str | None, new: str) -> list[Change]:
        """Files that differ between two commits (old None: the empty tree)."""
        out = self._run("diff-tree", "-r", "-z", "--no-renames", "--raw", "--no-commit-id",
                        "--end-of-options", old or empty_tree(self.object_format), new)
        parts = out.split("\0")
        changes: list[Change] = []
        i = 0
        while i + 1 < len(parts):
            meta, path = parts[i], parts[i + 1]
            i += 2
            if meta.startswith(":"):
                changes.append(raw_change(meta, path))
        return changes

    def index(self) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob) as staged; honours GIT_INDEX_FILE (git commit -a / <path>)."""
        out = self._run("ls-files", "-s", "-z")
        return _parse_ls(out, with_stage=True)

    def worktree(self) -> tuple[list[str], frozenset[str]]:
        """Tracked and untracked-but-not-ignored files of the working tree, and the tracked ones
        marked skip-worktree (outside a sparse checkout): those are absent on purpose, unchanged."""
        if self.bare:
            raise GitError("a bare repository has no working tree; give a revision or a range")
        out = self._run("ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard")
        paths: set[str] = set()
        skipped: set[str] = set()
        for record in out.split("\0"):
            tag, _, path = record.partition(" ")
            if path:
                (skipped if tag == "S" else paths).add(path)
        return sorted(paths - skipped), frozenset(skipped)

    def read_worktree(self, path: str) -> bytes | None:
        """A working-tree file's bytes; None for what must not be read (links, folders, escapes)
        or is gone. A file that exists but cannot be read stops the run: taking it for deleted
        would judge a change nobody made."""
        full = self.root / path
        try:
            if full.is_symlink() or not full.is_file():
                return None
            resolved = full.resolve()
            if self.root.resolve() not in resolved.parents:
                return None
            return read_file(full, object_format=self.object_format)
        except FileNotFoundError:
            return None
        except OSError as exc:
            why = exc.strerror or exc
            raise GitError(f"{path}: cannot be read ({why}); fix its permissions or exclude it") from None


# A path given to git is the path itself, never a pattern.
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}


def _parse_ls(out: str, with_stage: bool) -> dict[str, tuple[str, str]]:
    files: dict[str, tuple[str, str]] = {}
    for rec in out.split("\0"):
        if not rec or "\t" not in rec:
            continue
        meta, path = rec.split("\t", 1)
        fields = meta.split()
        if with_stage:
            mode, sha, stage = fields[0], fields[1], fields[2]
            if stage not in ("0", "2"):  # unmerged: take "ours"
                continue
        else:
            mode, kind, sha = fields[0], fields[1], fields[2]
            if kind != "blob":
                continue  # submodules (commit) are never followed
        files[path] = (mode, sha)
    return files
