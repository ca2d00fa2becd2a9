"""Snapshots of an evaluated commit, so that the next hook run starts where the last one stopped.

A pre-commit hook judges the index against HEAD, and HEAD's own findings are
what tells a new finding from an old one. Computing them means building HEAD's
state and its parent's, resolving every route of both and evaluating every
policy on every object: seconds in a large repository, for an answer that only
changes when HEAD moves. So when a run judges a commit against its first parent
from scratch (the first thing every run does), what it computed is stored: the
state with its indexes, the predicted status, the findings, and what the loader
needs to derive the next state from it (placements, parsed files, the keys seen
and when). The next run whose first judged state is that commit loads it
instead, and derives the staged change from it exactly as it would have from
a state it built itself, so its report is the same. A run whose HEAD has moved
on since (the commit just made, or a few) derives HEAD from the nearest
snapshot behind it (`Runner._from_ancestor_snapshot`), again as a run from
scratch would judge it, and keeps that as a snapshot only once it is a few
commits away: storing costs about what deriving a few commits does.

A snapshot is keyed by the commit and by everything the evaluation depends on:
the code (the package's sources, Python, PyYAML, JMESPath), the whole
configuration, every loaded policy (its fields and expressions as written) and
the profile. Lines are not stored: a resource's line map reads its blob from
Git again when a line is first asked for. Entries use the parse cache's format
(whole or nothing on disk, a corrupt or foreign file is a miss) and its
restricted unpickler; only the last few snapshots are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from policycheck.background import in_background
from policycheck.cache import code_digest, read_entry, safe_loads, write_entry
from policycheck.config import Config
from policycheck.gitops.layout import Memory
from policycheck.loader import Loader
from policycheck.model import ResourceKey
from policycheck.policy import Policy
from policycheck.runner import Evaluated
from policycheck.state import FileEntry, State
from policycheck.yamlsource import LineMap

FOLDER = "snapshots"
KEEP = 4  # snapshots kept (a few branches' HEADs); each is about the size of the parse cache's pack
_TAG = "policycheck-snapshot 1"


class Reader:
    """Reads blobs for the line maps of one loaded snapshot (`read` is set once it is loaded)."""

    read: Callable[[str], bytes] | None = None

    def __call__(self, blob: str) -> bytes:
        assert self.read is not None
        return self.read(blob)


class BlobLines:
    """A file's line map, built from its blob on first use (a snapshot stores no file text)."""

    def __init__(self, path: str, blob: str, read_blob: Callable[[str], bytes]) -> None:
        self.path = path
        self.blob = blob
        self._read = read_blob
        self._lines: LineMap | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        raise pickle.PicklingError("stored by the snapshot's pickler only")

    def __call__(self, doc_index: int, path: tuple[str | int, ...]) -> int:
        if self._lines is None:
            from policycheck.manifests import decode

            data = self._read(self.blob)
            text, _ = decode(self.path, data, max_bytes=len(data) + 1)
            self._lines = LineMap(text or "")
        return self._lines(doc_index, path)


class _Unstable(Exception):
    """A value whose text changes from one process to the next: it cannot key a snapshot."""


def _canon(value: Any) -> str:
    """A text that is equal for equal inputs across processes (dict order kept: it can show in output)."""
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_canon(k)}:{_canon(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__}[" + ",".join(_canon(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "set[" + ",".join(sorted(_canon(v) for v in value)) + "]"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(f"{f.name}={_canon(getattr(value, f.name))}" for f in dataclasses.fields(value)
                          if f.compare)
        return f"{type(value).__module__}.{type(value).__qualname__}({fields})"
    expression = getattr(value, "expression", None)
    if isinstance(expression, str) and hasattr(value, "parsed"):  # a compiled JMESPath expression
        return f"jmespath({expression!r})"
    text = repr(value)
    if " at 0x" in text:
        raise _Unstable(text)
    return f"{type(value).__module__}.{type(value).__qualname__}:{text}"


def salt(config: Config, policies: Iterable[Policy], profile: str) -> str | None:
    """What an evaluation depends on besides the commit; None when part of it has no stable text."""
    import jmespath

    try:
        text = "|".join([_TAG, code_digest(), str(jmespath.__version__), _canon(config), profile,
                         _canon(sorted(policies, key=lambda p: p.id))])
    except (_Unstable, RecursionError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


class _Pickler(pickle.Pickler):
    """Stores line maps as (path, blob): the text they hold is in Git already."""

    def __init__(self, fh: IO[bytes], lines: dict[int, tuple[str, str]]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._lines = lines
        self.reader = Reader()  # one for the whole snapshot: given its blob reader once loaded

    def reducer_override(self, obj: Any) -> Any:
        # Called for objects of classes only (not for str, dict, list...): cheap enough for a whole state.
        if isinstance(obj, (LineMap, BlobLines)):
            found = self._lines.get(id(obj))
            if found is None:
                raise pickle.PicklingError("a line map whose blob is not known")
            return BlobLines, (*found, self.reader)
        return NotImplemented


def _line_maps(entries: Iterable[FileEntry]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for entry in entries:
        if not entry.blob:
            continue
        for res in entry.resources:
            if isinstance(res.locator, (LineMap, BlobLines)):
                out[id(res.locator)] = (entry.path, entry.blob)
    return out


class SnapshotStore:
    """Snapshots of one repository under one configuration, policies and profile."""

    def __init__(self, folder: Path, loader: Loader, read_blob: Callable[[str], bytes], config: Config,
                 policies: Iterable[Policy], profile: str, keep: int = KEEP) -> None:
        self.folder = folder / FOLDER
        self.loader = loader
        self.read_blob = read_blob
        self.keep = keep
        self._salt = salt(config, policies, profile)
        self.hits = self.misses = self.writes = 0

    def _file(self, key: str) -> Path:
        return self.folder / key

    def key(self, rev: str) -> str | None:
        return hashlib.sha256(f"{self._salt}|{rev}".encode()).hexdigest() if self._salt else None

    def fresh(self) -> bool:
        """Whether this run has built no state yet: only then is a commit judged as a snapshot holds it."""
        return self.loader.layout.generation == 0

    # -- loading -----------------------------------------------------------
    def load(self, rev: str) -> Evaluated | None:
        """The commit as a previous run judged it, with the loader primed to go on from it; None on a miss."""
        key = self.key(rev)
        payload = read_entry(self._file(key), key) if key is not None else None
        value = self._decode(payload, rev) if payload is not None else None
        if key is None or value is None:
            self.misses += 1
            return None
        ev, memory, first_seen, generation = value
        self.loader.prime(memory, first_seen, generation)
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(self._file(key))  # recently used: kept longest
        return ev

    def _decode(self, payload: bytes, rev: str) -> tuple[Evaluated, Memory, dict[ResourceKey, int], int] | None:
        try:
            value = safe_loads(payload)
        except Exception:
            return None
        if not (isinstance(value, tuple) and len(value) == 7 and value[0] == _TAG and value[1] == rev):
            return None
        _, _, reader, ev, memory, first_seen, generation = value
        if not (isinstance(reader, Reader) and isinstance(ev, Evaluated) and isinstance(ev.state, State)
                and isinstance(memory, Memory) and memory.state is ev.state and isinstance(first_seen, dict)
                and isinstance(generation, int)):
            return None
        reader.read = self.read_blob
        return ev, memory, first_seen, generation

    def judged_first(self, state: State, parent: State) -> None:
        """See `Layout.judged_first`."""
        self.loader.layout.judged_first(state, parent)

    def forget_states(self) -> None:
        """See `Layout.forget_states`."""
        self.loader.layout.forget_states()

    # -- storing -----------------------------------------------------------
    def store(self, rev: str, ev: Evaluated) -> None:
        """Keep what a fresh run computed for rev (silently nothing when it cannot be stored)."""
        key = self.key(rev)
        memory = self.loader.memory_of(ev.state)
        if key is None or memory is None:
            return
        layout = self.loader.layout

        def dump(fh: IO[bytes]) -> None:  # straight to the file: a snapshot is tens of megabytes
            pickler = _Pickler(fh, _line_maps([*ev.state.files.values(), *memory.raw.values()]))
            pickler.dump((_TAG, rev, pickler.reader, ev, memory, layout.first_seen, layout.generation))

        def write() -> None:
            try:
                written = write_entry(self._file(key), key, dump)
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                return  # an object not meant to be stored (an extension's locator): computed again next time
            if written:
                self._prune()

        self.writes += 1
        in_background(self.folder.parent, write)  # the child pickles the state as it is now

    def prune(self, keep: int) -> None:
        """Keep the `keep` most recently written or used snapshots from now on (a run judging several
        clusters, one snapshot each, prunes once at its end)."""
        self.keep = keep
        self._prune()

    def _prune(self) -> None:
        """Keep the most recently written or used snapshots."""
        try:
            found = [(f.stat().st_mtime, f.path) for f in os.scandir(self.folder)
                     if f.is_file(follow_symlinks=False) and not f.name.startswith(".")]
        except OSError:
            return
        for _, path in sorted(found, reverse=True)[self.keep:]:
            with contextlib.suppress(OSError):
                os.unlink(path)
