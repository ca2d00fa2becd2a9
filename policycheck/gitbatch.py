"""Bulk reads from Git, one process each: many blobs, or the diffs of many commits.

Reading blob by blob through a persistent `git cat-file --batch` still waits
one round trip per blob; a whole tree is read faster by writing every id at
once (from a thread) while reading the answers. Likewise the diffs of a
thousand commits come from one `git diff-tree --stdin` rather than a thousand
processes.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterable
from typing import IO

from policycheck.errors import GitError
from policycheck.gitsource import Change


def _feed(stdin: IO[bytes], lines: list[bytes]) -> None:
    try:
        stdin.write(b"".join(line + b"\n" for line in lines))
    except OSError:
        pass  # git stopped reading: the reader reports it
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def read_blobs(git_dir: str, shas: Iterable[str]) -> dict[str, bytes]:
    """The content of every blob, by id, through one `git cat-file --batch`."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    proc = subprocess.Popen(["git", "--git-dir", git_dir, "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    feeder = threading.Thread(target=_feed, args=(proc.stdin, [s.encode("ascii") for s in wanted]), daemon=True)
    feeder.start()
    out: dict[str, bytes] = {}
    try:
        readline, read = proc.stdout.readline, proc.stdout.read
        for sha in wanted:
            header = readline().split()
            if len(header) != 3:
                raise GitError(f"cannot read object {sha}: {b' '.join(header).decode(errors='replace')}")
            data = read(int(header[2]) + 1)
            out[sha] = data[:-1]
    finally:
        feeder.join()
        proc.stdout.close()
        proc.wait()
    return out


def diffs(git_dir: str, pairs: Iterable[tuple[str, str]]) -> dict[str, list[Change]]:
    """Files changed from parent to commit, for every (commit, parent) pair, via one `git diff-tree --stdin`."""
    lines = [f"{commit} {parent}".encode("ascii") for commit, parent in pairs]
    if not lines:
        return {}
    proc = subprocess.run(["git", "--git-dir", git_dir, "diff-tree", "--stdin", "-r", "-z", "--no-renames", "--raw"],
                          input=b"".join(line + b"\n" for line in lines), capture_output=True)
    if proc.returncode != 0:
        raise GitError(f"git diff-tree failed: {proc.stderr.decode(errors='replace').strip()}")
    out: dict[str, list[Change]] = {}
    current: list[Change] | None = None
    parts = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    i = 0
    while i < len(parts):
        token = parts[i]
        if token.startswith(":") and current is not None and i + 1 < len(parts):
            _, new_mode, _, new_blob, status = token[1:].split(" ")[:5]
            path = parts[i + 1]
            current.append(Change(path, None) if status.startswith("D") else Change(path, new_blob, new_mode))
            i += 2
            continue
        if token.strip():
            current = out.setdefault(token.strip(), [])
        i += 1
    return out
