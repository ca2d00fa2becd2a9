"""Writing caches from a child process, after the fork, while the run goes on to its verdict.

Serialising a whole tree's parsed files and a snapshot costs a cold run about a third more
than running without the cache. When the console script allows it (`write_in_background`),
that work is done by a child process forked at the moment it is asked for: it sees the
run's memory as it is then, uses the other core, and the run exits without waiting for
it. Every such child holds a shared lock on the cache folder's `.writing` file until it
is done; the next run takes it exclusively (`wait_for_writers`) before it reads the cache.
Where there is no fork, or in a process that did not ask for it (tests, a library
caller), the work is done in place.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

# Whether whole packs and snapshots are written by a child process the run does not wait for.
_BACKGROUND = {"on": False}
LOCK = ".writing"  # held (shared) by every child still writing a cache folder
_children: list[int] = []


def write_in_background() -> None:
    """Let cache writes happen in children (the console script, which exits without waiting)."""
    _BACKGROUND["on"] = hasattr(os, "fork") and os.path.isdir("/dev/fd")


_queued: list[tuple[Path, Callable[[], None]]] = []


def soon(root: Path, work: Callable[[], None]) -> None:
    """Do `work`, writes of data nobody changes any more (a pack of parsed files), now or in the next child.

    Each fork costs the run copy-on-write faults on what it touches afterwards, so writes that
    can wait go with the next child (`in_background`) or the one forked as the run ends (`finish`).
    """
    if _BACKGROUND["on"]:
        _queued.append((root, work))
    else:
        work()


def in_background(root: Path, work: Callable[[], None]) -> None:
    """Do `work` (writes under the cache folder `root`, of data as it is now) in a child process when
    allowed, with the writes queued by `soon`; else now."""
    if not _BACKGROUND["on"]:
        work()
        return
    _fork([*_queued, (root, work)])


def finish() -> None:
    """Hand the queued writes to a child as the run ends (it costs the run nothing more)."""
    if _queued:
        _fork(list(_queued))


def _fork(jobs: list[tuple[Path, Callable[[], None]]]) -> None:
    import fcntl

    _queued.clear()
    _reap()
    locks: list[int] = []
    try:
        for root in dict.fromkeys(root for root, _ in jobs):
            root.mkdir(parents=True, exist_ok=True)
            locks.append(os.open(root / LOCK, os.O_CREAT | os.O_RDWR, 0o644))
            fcntl.flock(locks[-1], fcntl.LOCK_SH)
        pid = os.fork()
    except OSError:
        for lock in locks:
            os.close(lock)
        for _, work in jobs:
            work()
        return
    if pid == 0:  # the child: nothing but the work, and no pipe of the run's kept open
        try:
            _detach(keep=set(locks))
            for _, work in jobs:
                work()
        finally:
            os._exit(0)
    for lock in locks:
        os.close(lock)  # the child holds the locks until it exits
    _children.append(pid)


def _detach(keep: set[int]) -> None:
    """Point every inherited descriptor but those in `keep` at /dev/null: the caller reading the run's output,
    and the git processes reading its pipes, see them closed when the run exits."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the user's Ctrl-C stops the run, not its cache writes
    signal.alarm(600)  # a child that hangs must not hold the next run's wait forever
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/dev/fd"):
        fd = int(name)
        if fd not in keep and fd != null:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)  # not closed: a number freed could be reused under a live file object


def _reap() -> None:
    for pid in list(_children):
        with contextlib.suppress(OSError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        _children.remove(pid)


def wait_for_writers(root: Path, timeout: float = 60.0) -> None:
    """Wait (at most `timeout` seconds) until no child of an earlier run is still writing under `root`."""
    if not hasattr(os, "fork"):
        return
    import fcntl
    import time

    try:
        lock = os.open(root / LOCK, os.O_RDONLY)
    except OSError:
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)
    finally:
        os.close(lock)
