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


def in_background(root: Path, work: Callable[[], None]) -> None:
    """Do `work` (writes under the cache folder `root`) in a child process when allowed, else now."""
    if not _BACKGROUND["on"]:
        work()
        return
    import fcntl

    _reap()
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = os.open(root / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError:
        work()
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        pid = os.fork()
    except OSError:
        os.close(lock)
        work()
        return
    if pid == 0:  # the child: nothing but the work, and no pipe of the run's kept open
        try:
            _detach(keep=lock)
            work()
        finally:
            os._exit(0)
    os.close(lock)  # the child holds the lock until it exits
    _children.append(pid)


def _detach(keep: int) -> None:
    """Point every inherited descriptor but `keep` at /dev/null: the caller reading the run's output,
    and the git processes reading its pipes, see them closed when the run exits."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/dev/fd"):
        fd = int(name)
        if fd not in (keep, null):
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
