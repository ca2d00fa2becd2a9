"""Keeping the cyclic garbage collector off data that lives as long as the run.

A full scan builds millions of small containers (parsed documents, records,
indexes) that are all kept until the process ends. Each full pass of the
collector walks every one of them, and CPython starts such passes as the heap
grows, so left alone it spends a third of a large scan proving that nothing
can be freed. While such data is built the collector is paused, and what was
built is then moved out of its reach (`gc.freeze`); objects freed by reference
counting are freed as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived() -> Iterator[None]:
    """Pause the collector for the block, then freeze what exists (the block's results among it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for the block: judging a history, whose objects die by reference counting.

    Judging a history keeps each state's maps, parsed files and findings for a commit
    or two. Any rate of passes walks them again and again while they are alive (a pass
    walks every young object still alive), and finds nothing: a run leaves no cyclic
    garbage by design (`State.release` breaks the one cycle a state has; a test keeps it
    so). Objects are freed as usual, by reference counting. What is alive at the end is
    frozen before the collector resumes: it would otherwise start at once with a pass over
    every object the block allocated and kept.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
