"""Git through its command line: the repository, bulk reads, one process each.

`CliRepo` is what `GitSource` needs of a repository (where it is, running git,
reading objects through one persistent `git cat-file --batch`), without
importing GitPython, which costs a pre-commit hook more than the check itself
when the answer comes from a snapshot.

Reading blob by blob through a persistent `git cat-file --batch` still waits
one round trip per blob; a whole tree is read faster by writing every id at
once (from a thread) while reading the answers. Likewise the diffs of a
thousand commits come from one `git diff-tree --stdin` rather than a thousand
processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from policycheck.errors import GitError
from policycheck.gitsource import Change, Oversized, raw_change, read_capped


def _feed(stdin: IO[bytes], lines: list[bytes]) -> None:
    try:
        stdin.write(b"".join(line + b"\n" for line in lines))
    except OSError:
        pass  # git stopped reading: the reader reports it
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


class BlobStream:
    """Blobs read in one pass of `git cat-file --batch`, handed out as they are asked for.

    Every id is written at once (from a thread) and the answers are read on demand: git
    decompresses the next blobs while the caller parses the last one, and no more than what was
    skipped is held in memory. A blob asked for out of order
    is read ahead to, the ones passed over kept until asked for: at most `max_ahead` bytes of them
    when given (the oldest are dropped first), for a long list of which the caller may skip some,
    such as a range's changed blobs that the parse cache already holds. `get` answers None for an
    id the stream does not hold (never listed, handed out already, or dropped), so the caller reads
    it another way. An id listed n times is read once and handed out n times (the same content
    at several paths, such as a file moved).
    """

    def __init__(self, git_dir: str, shas: Iterable[str], max_ahead: int | None = None,
                 limit: int | None = None) -> None:
        listed = list(shas)
        self._limit = limit  # content past this many bytes is handed out as its `Oversized` head
        self._order = list(dict.fromkeys(listed))
        self._more = {sha: n - 1 for sha, n in Counter(listed).items() if n > 1}  # hand-outs after the first
        self._pending = set(self._order)  # listed, not read yet
        self._ahead: dict[str, bytes] = {}  # read, not asked for yet
        self._ahead_bytes = 0
        self._max_ahead = max_ahead
        self._next = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None
        if self._order:
            self._proc = subprocess.Popen(["git", "--git-dir", git_dir, "cat-file", "--batch"],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert self._proc.stdin is not None
            self._feeder = threading.Thread(target=_feed, daemon=True,
                                            args=(self._proc.stdin, [s.encode("ascii") for s in self._order]))
            self._feeder.start()

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, sha: str) -> bytes | None:
        found = self._ahead.get(sha)
        if found is not None:
            self._handed(sha, found)
            return found
        if sha not in self._pending:
            return None
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        readline, read = proc.stdout.readline, proc.stdout.read
        while True:
            current = self._order[self._next]
            self._next += 1
            self._pending.discard(current)
            header = readline().split()
            if len(header) != 3:
                self.close()
                raise GitError(f"cannot read object {current}: {b' '.join(header).decode(errors='replace')}")
            try:
                data = _read_object(read, int(header[2]), self._limit)
                read(1)
            except OSError:
                self.close()
                raise GitError(f"cannot read object {current}: git stopped while sending it") from None
            if not self._pending:
                self.close()
            self._ahead[current] = data
            self._ahead_bytes += len(data)
            if current == sha:
                self._handed(sha, data)
                return data
            if self._max_ahead is not None:
                while self._ahead_bytes > self._max_ahead:
                    self._ahead_bytes -= len(self._ahead.pop(next(iter(self._ahead))))

    def _handed(self, sha: str, data: bytes) -> None:
        """Forget a blob handed out, unless it is listed again."""
        more = self._more.get(sha, 0)
        if more:
            self._more[sha] = more - 1
        else:
            del self._ahead[sha]
            self._ahead_bytes -= len(data)

    def close(self) -> None:
        """Stop git (what was not read is dropped) and wait for it."""
        proc, self._proc = self._proc, None
        self._pending.clear()
        if proc is None:
            return
        assert proc.stdout is not None
        proc.stdout.close()  # a feeder still writing then fails and stops
        if self._feeder is not None:
            self._feeder.join()
        proc.wait()


class BlobSupply:
    """Where a run's loader gets blobs from: the stream of what it is about to read, else one round trip.

    `streaming(shas)` opens a `BlobStream` for the blobs a block will read (a whole tree, while
    its state is built); `ahead(shas)` one that stays open for the rest of the run (every blob a
    range's changes name, in the order its commits will read them, bounded to `max_ahead` bytes of
    skipped blobs); `prefetch` is handed every list first (a partial clone fetches what it lacks).
    Only the innermost stream is asked: a block reading its own blobs does not
    read the range's stream ahead. `extra` holds content Git does not have (working-tree files).
    The last blob handed out is kept: a kustomization's blob is read again right after parsing.
    """

    def __init__(self, git_dir: str, fallback: Callable[[str], bytes], extra: Mapping[str, bytes] | None = None,
                 max_ahead: int = 64 << 20, prefetch: Callable[[Sequence[str]], None] | None = None,
                 limit: int | None = None) -> None:
        self._git_dir = git_dir
        self._limit = limit
        self._prefetch = prefetch
        self._fallback = fallback
        self._extra = extra if extra is not None else {}
        self._max_ahead = max_ahead
        self._streams: list[BlobStream] = []
        self._last: tuple[str, bytes] = ("", b"")

    def read(self, sha: str) -> bytes:
        last = self._last
        if sha == last[0]:
            return last[1]
        data = self._extra.get(sha)
        if data is None and self._streams:
            data = self._streams[-1].get(sha)
        if data is None:
            data = self._fallback(sha)
        self._last = (sha, data)
        return data

    @contextlib.contextmanager
    def streaming(self, shas: Sequence[str]) -> Iterator[None]:
        """Blobs the block reads, in about this order, streamed while it runs (read one by one if fewer than two)."""
        if len(shas) < 2:
            yield
            return
        self._fetch(shas)
        stream = BlobStream(self._git_dir, shas, limit=self._limit)
        self._streams.append(stream)
        try:
            yield
        finally:
            self._streams.remove(stream)
            stream.close()

    def ahead(self, shas: Sequence[str]) -> None:
        """Blobs read from now on, in about this order, streamed until `close` (under any `streaming` block)."""
        if len(shas) >= 2:
            self._fetch(shas)
            self._streams.insert(0, BlobStream(self._git_dir, shas, self._max_ahead, self._limit))

    def _fetch(self, shas: Sequence[str]) -> None:
        """A partial clone's missing blobs in one fetch, before the stream would fetch them one by one."""
        if self._prefetch is not None:
            self._prefetch([sha for sha in shas if sha not in self._extra])

    def close(self) -> None:
        """Stop every stream's git."""
        streams, self._streams = self._streams, []
        for stream in streams:
            stream.close()
        self._last = ("", b"")


def diffs(git_dir: str, pairs: Iterable[tuple[str, str]]) -> dict[str, list[Change]]:
    """Files changed from parent to commit, for every (commit, parent) pair, via one `git diff-tree --stdin`."""
    return PendingDiffs(git_dir, pairs).result()


class PendingDiffs:
    """`diffs`, started now and read when first needed.

    A range's check builds its base state first, which takes longer than git takes
    to diff the range: started before it, git works on the other core meanwhile.
    """

    def __init__(self, git_dir: str, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._output: tuple[bytes, bytes] = (b"", b"")
        self._failure: OSError | None = None
        if not self._pairs:
            return
        data = b"".join(f"{commit} {parent}\n".encode("ascii") for commit, parent in self._pairs)
        try:
            self._proc = subprocess.Popen(
                ["git", "--git-dir", git_dir, "diff-tree", "--stdin", "-r", "-z", "--no-renames", "--raw"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            self._failure = exc
            return
        self._thread = threading.Thread(target=self._communicate, args=(data,), daemon=True)
        self._thread.start()

    def _communicate(self, data: bytes) -> None:
        assert self._proc is not None
        try:
            self._output = self._proc.communicate(data)
        except OSError as exc:
            self._failure = exc

    def result(self) -> dict[str, list[Change]]:
        """Every pair's changes (waiting for git if need be); raises GitError if git failed."""
        if not self._pairs:
            return {}
        if self._thread is not None:
            self._thread.join()
        proc = self._proc
        if self._failure is not None or proc is None:
            raise GitError(f"git diff-tree failed: {self._failure}")
        stdout, stderr = self._output
        if proc.returncode != 0:
            raise GitError(f"git diff-tree failed: {stderr.decode(errors='replace').strip()}")
        return _parse_diffs(stdout, self._pairs)

    def close(self) -> None:
        """Stop git if nobody read the result (the run ended early)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()
        if self._thread is not None:
            self._thread.join()


def _parse_diffs(stdout: bytes, pairs: list[tuple[str, str]]) -> dict[str, list[Change]]:
    # A commit that changed nothing gets no header at all: its list stays empty.
    out: dict[str, list[Change]] = {commit: [] for commit, _ in pairs}
    current: list[Change] | None = None
    parts = stdout.decode("utf-8", "surrogateescape").split("\0")
    i = 0
    while i < len(parts):
        token = parts[i]
        if token.startswith(":") and current is not None and i + 1 < len(parts):
            current.append(raw_change(token, parts[i + 1]))
            i += 2
            continue
        if token.strip():
            current = out.setdefault(token.strip(), [])
        i += 1
    return out


class NotARepository(Exception):
    """The folder is not inside a Git repository."""


class GitCommandFailed(Exception):
    """A git command exited with an error; `stderr` holds what it said."""

    def __init__(self, args: Sequence[str], status: int, stderr: str) -> None:
        super().__init__(f"{' '.join(args)} exited with {status}" + (f": {stderr}" if stderr else ""))
        self.status = status
        self.stderr = stderr


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Git's messages in plain English (they are parsed and quoted), whatever the user's locale."""
    return {**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **(extra or {})}


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class _Runner:
    """Runs git in the repository's top folder; `get_object_data` reads through one persistent process."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._batch: subprocess.Popen[bytes] | None = None

    def execute(self, args: Sequence[str], env: dict[str, str] | None = None,
                strip_newline_in_stdout: bool = True) -> str:
        proc = subprocess.run(list(args), cwd=self.cwd, env=_environment(env), capture_output=True)
        if proc.returncode != 0:
            raise GitCommandFailed(args, proc.returncode, _decode(proc.stderr).rstrip("\n"))
        out = _decode(proc.stdout)
        return out.rstrip("\n") if strip_newline_in_stdout else out

    def rev_parse(self, *args: str) -> str:
        return self.execute(["git", "rev-parse", *args])

    def get_object_data(self, sha: str, limit: int | None = None) -> tuple[str, str, int, bytes]:
        """(id, type, size, content) of one object, the content `Oversized` past `limit` bytes;
        ValueError when the repository does not have it."""
        proc = self._batch
        if proc is None or proc.poll() is not None:
            proc = self._batch = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.cwd, env=_environment(),
                                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                  stderr=subprocess.DEVNULL)
            weakref.finalize(self, _close, proc)
        assert proc.stdin is not None and proc.stdout is not None
        if "\n" in sha or not sha:
            raise ValueError(f"not an object name: {sha!r}")
        proc.stdin.write(sha.encode("utf-8", "surrogateescape") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline()
        fields = header.split()
        if len(fields) != 3:
            raise ValueError(f"SHA could not be resolved, git returned: {_decode(header).strip()!r}")
        size = int(fields[2])
        data = _read_object(proc.stdout.read, size, limit)
        if proc.stdout.read(1) != b"\n":
            raise OSError("git cat-file stopped while sending an object")
        return _decode(fields[0]), _decode(fields[1]), size, data


def _read_object(read: Callable[[int], bytes], size: int, limit: int | None) -> bytes:
    """An object's content from `cat-file --batch`: whole, or past `limit` its `Oversized` head."""
    if limit is not None and size > limit:
        return Oversized(read_capped(read, size), size)
    data = read(size)
    if len(data) != size:
        raise OSError("git cat-file stopped while sending an object")
    return data


def _close(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=5)


class CliRepo:
    """Where a repository is (found from any folder inside it), and a way to run git there."""

    def __init__(self, start: Path) -> None:
        found = _locate(start)
        if found is None:
            raise NotARepository(str(start))
        self.bare, self.git_dir, self.common_dir, top, self.object_format = found
        self.working_tree_dir = top
        self.git = _Runner(Path(top) if top is not None else Path(self.git_dir))


class Location(NamedTuple):
    bare: bool
    git_dir: str
    common_dir: str
    top: str | None  # the top folder of the working tree; None when bare
    object_format: str  # "sha1" or "sha256": how the repository names its objects


def _locate(start: Path) -> Location | None:
    """Where the repository holding start is, and its object format."""
    for args in (("--show-object-format", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir",
                  "--show-toplevel"),
                 ("--show-object-format", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir")):
        try:
            proc = subprocess.run(["git", "rev-parse", *args], cwd=start, env=_environment(), capture_output=True)
        except OSError:  # not a folder, or no git
            if shutil.which("git") is None:
                raise GitError("git was not found on PATH: install Git, or put the folder holding `git` on PATH")\
                    from None
            return None
        said = _decode(proc.stderr)
        if "dubious ownership" in said:
            named = re.search(r"safe\.directory (\S.*)", said)
            top = named.group(1).strip() if named else str(start.resolve())
            raise GitError(f"Git refuses the repository at {top}: it belongs to another user (\"detected dubious"
                           f" ownership\"); if you trust it, run `git config --global --add safe.directory {top}`"
                           " (or run as the user who owns it)")
        lines = _decode(proc.stdout).splitlines()
        if proc.returncode == 0 and len(lines) == len(args):
            object_format, lines = lines[0], lines[1:]
            common = Path(lines[2])
            common = common if common.is_absolute() else (start / common)
            bare = lines[0] == "true"
            top = lines[3] if len(lines) > 3 and not bare else None
            if top is None and not bare:
                continue  # inside the Git directory of a repository with a working tree: ask again
            return Location(bare, lines[1], os.path.normpath(common), top, object_format)
    return None
