"""Partial clones: the file contents a run needs, fetched from the promisor remote in one batch.

A clone made with `--filter=blob:none` has every commit and tree but only the blobs
someone asked for. Git fetches a missing blob when it is read, one fetch per blob
(a network round trip and a process each), so a run that reads a thousand blobs
would wait for a thousand fetches. Before a batch of blobs is read, the ones the
clone lacks are found (from the list of objects it has, read once) and fetched
with one `git fetch`, as Git's own lazy fetch does for one object.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable

from policycheck.errors import GitError

_FETCH = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--no-tags", "--no-write-fetch-head",
          "--recurse-submodules=no", "--filter=blob:none", "--stdin"]


class Promisor:
    """The promisor remote of a repository (None when it is a full clone) and the objects it has."""

    def __init__(self, git_dir: str, run: Callable[..., str], common_dir: str | None = None) -> None:
        self._git_dir = git_dir
        self._common_dir = common_dir or git_dir
        self._run = run
        self._remote: str | bool | None = False  # False: not asked yet
        self._present: set[str] | None = None

    def remote(self) -> str | None:
        """The remote a missing object is fetched from, or None in a full clone."""
        if self._remote is False:
            # A partial clone keeps a `.promisor` file beside each pack its remote sent: without
            # one there is nothing to ask (and no git process to start, in a pre-commit hook).
            self._remote = _promisor_remote(self._run) if _has_promisor_packs(self._common_dir) else None
        return self._remote if isinstance(self._remote, str) else None

    def fetch(self, shas: Iterable[str]) -> None:
        """Fetch, in one batch, those of these objects the clone lacks (nothing in a full clone)."""
        remote = self.remote()
        if remote is None:
            return
        if self._present is None:
            out = self._run("cat-file", "--batch-check=%(objectname)", "--batch-all-objects", "--unordered")
            self._present = set(out.split())
        wanted = [sha for sha in dict.fromkeys(shas) if sha not in self._present]
        if not wanted:
            return
        proc = subprocess.run(["git", "--git-dir", self._git_dir, *_FETCH, remote],
                              input="".join(f"{sha}\n" for sha in wanted).encode("ascii"), capture_output=True)
        if proc.returncode != 0:
            lines = [line.strip() for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            said = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines or ["git fetch failed"]
            raise GitError(f"this partial clone lacks {len(wanted)} file(s) the check reads and cannot fetch them"
                           f" from its remote {remote!r} ({self.url(remote)}): {said[0]};"
                           " reconnect to the remote, or check a full clone (git clone without --filter)")
        self._present.update(wanted)

    def missing_message(self, sha: str) -> str | None:
        """Why an object cannot be read, when the clone is partial (its remote could not supply it)."""
        remote = self.remote()
        if remote is None:
            return None
        return (f"object {sha} is missing from this partial clone and its remote {remote!r} ({self.url(remote)})"
                " could not supply it; reconnect to the remote, or check a full clone (git clone without --filter)")

    def url(self, remote: str) -> str:
        try:
            return self._run("config", "--get", f"remote.{remote}.url").strip() or "no URL"
        except GitError:
            return "no URL"


def _has_promisor_packs(common_dir: str) -> bool:
    try:
        packs = os.scandir(os.path.join(common_dir, "objects", "pack"))
        return any(entry.name.endswith(".promisor") for entry in packs)
    except OSError:
        return False


def _promisor_remote(run: Callable[..., str]) -> str | None:
    try:
        out = run("config", "-z", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$")
    except GitError:  # none set
        return None
    named, promisors = None, []
    for record in out.split("\0"):
        key, _, value = record.partition("\n")
        if key.lower() == "extensions.partialclone" and value:
            named = value
        elif key.startswith("remote.") and value.lower() in ("true", "yes", "on", "1"):
            promisors.append(key[len("remote."):-len(".promisor")])
    return named or (promisors[0] if promisors else None)
