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
def rare_passes(threshold: int = 100_000) -> Iterator[None]:
    """Start a pass over the youngest objects every `threshold` allocations rather than 700, for the block.

    Judging a history keeps each state's maps, parsed files and findings for a commit
    or two; the default rate walks them again and again while they are alive, which
    costs a long range a quarter of its time, and finds a few objects of garbage per
    commit. Nothing is left uncollected: passes are only rarer.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], threshold), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
