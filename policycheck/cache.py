"""On-disk cache of parsed files, so a pre-commit hook reuses the previous run's work.

An entry is what `Loader.entry` made of one file: its objects, their text (line
numbers are still computed lazily from it) and its diagnostics. It is keyed by
everything that result depends on: the blob id (the content), the path and
mode, the code that parses (a digest of the package's own sources, the
interpreter and PyYAML) and the configuration, minus the fields known not to
take part in parsing. A change to any of them is a different key, so an entry
is never served for an input it was not made from.

Entries live under the repository's Git directory (`policycheck-cache/`), or
`$POLICYCHECK_CACHE_DIR`. Each is one file written to a temporary name and
renamed into place, so concurrent runs see a whole entry or none; an entry
repeats its key and a digest of its payload, so a corrupt, truncated or
misplaced file is a miss, never an error. Payloads are pickles read by an
unpickler that only builds this package's records and plain data (no other
callable can be reached). The folder is kept under a size bound by removing the
oldest entries after a run that wrote some.

A tree's worth of entries can also be stored as one pack, keyed by the listing
it was made from: the hook path reads one file instead of thousands. The same
folder holds the snapshots of evaluated commits (`policycheck.snapshot`, in
`snapshots/`) and the digests of documents already validated against their
schema (`valid-documents`), both written the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from policycheck.background import soon, wait_for_writers
from policycheck.collector import long_lived
from policycheck.config import Config
from policycheck.state import FileEntry

FORMAT = b"policycheck-cache 1\n"
_HEAD = len(FORMAT) + 64 + 1 + 64 + 1  # the format line, the key and the payload's digest, each on a line
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
ENV_DIR = "POLICYCHECK_CACHE_DIR"
LATEST = "latest-pack"
PACK_PART = 1000  # entries pickled together in a pack
# Configuration fields that never change what a file parses into.
_UNRELATED_FIELDS = frozenset({
    "include", "exclude", "policy_dirs", "builtin_policies", "disable", "enable", "severity", "profile",
    "fail_on", "mesh", "external_parents", "forbid_suppressing", "params", "policy_source", "source",
    "lines", "line_prefix",
})
_SAFE_MODULES = ("policycheck.",)
_SAFE_GLOBALS = frozenset({("datetime", "datetime"), ("datetime", "date"), ("datetime", "timezone"),
                           ("datetime", "timedelta"), ("builtins", "set"), ("builtins", "frozenset"),
                           ("builtins", "bytearray"), ("builtins", "complex")})

_code_digest: str | None = None


def code_digest() -> str:
    """A digest of what parsing runs: this package's sources and schemas, Python's and PyYAML's versions."""
    global _code_digest
    if _code_digest is None:
        import yaml

        h = hashlib.sha256()
        h.update(f"{sys.version_info[:3]}|{yaml.__version__}|{getattr(yaml, '__with_libyaml__', False)}".encode())
        root = Path(__file__).resolve().parent
        for path in sorted([*root.rglob("*.py"), *(root / "schemas").glob("*.json")]):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
        _code_digest = h.hexdigest()
    return _code_digest


def config_digest(config: Config) -> str:
    """The configuration fields that can change a parse (every field not known to be unrelated)."""
    relevant = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
                if f.name not in _UNRELATED_FIELDS}
    return hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()


class _Unpickler(pickle.Unpickler):
    """Builds only this package's classes and plain data: a forged entry cannot call anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS or (module.startswith(_SAFE_MODULES) and "." not in name):
            found = super().find_class(module, name)
            if isinstance(found, type) or getattr(found, "__name__", "") == "_no_locator":
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def safe_loads(data: bytes) -> Any:
    """Unpickle with only this package's classes and plain data.

    The collector is paused meanwhile, and what was loaded is then moved out of
    its reach (`gc.freeze`): a payload is hundreds of thousands of containers
    that live as long as the run, and passes over them, while they are being
    built or afterwards, cost more than the loading itself.
    """
    with long_lived():
        return _Unpickler(io.BytesIO(data)).load()


def safe_loads_all(data: bytes) -> list[Any]:
    """`safe_loads` of pickles written one after the other."""
    stream = io.BytesIO(data)
    out: list[Any] = []
    with long_lived():
        while stream.tell() < len(data):
            out.append(_Unpickler(stream).load())
    return out


def read_entry(path: Path, key: str) -> bytes | None:
    """The payload stored at path under key; None when absent, unreadable, misplaced or corrupt."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
            if len(head) < _HEAD or not head.startswith(FORMAT):
                return None
            if head[len(FORMAT):len(FORMAT) + 64].decode("ascii", "replace") != key:
                return None
            payload = fh.read()  # not a slice of the whole file: a pack is tens of megabytes
    except OSError:
        return None
    digest = head[len(FORMAT) + 65:_HEAD - 1].decode("ascii", "replace")
    return payload if hashlib.sha256(payload).hexdigest() == digest else None


class _Digesting:
    """A file written through, keeping the digest of what went through."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.digest = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self._fh.write(data)


def write_entry(target: Path, key: str, dump: Callable[[IO[bytes]], None]) -> bool:
    """Store an entry whose payload `dump` writes: the format line, its key, a digest of the payload,
    the payload (as `read_entry` reads it), straight to a temporary file renamed into place.

    The payload never exists in memory as a whole, let alone in the two or three copies that
    joining it to its header would take. False when the file cannot be written; what `dump`
    raises is raised, after the partial file is removed.
    """
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"%s%s\n%s\n" % (FORMAT, key.encode(), b"0" * 64))
            through = _Digesting(fh)
            dump(through)  # type: ignore[arg-type]
            fh.seek(len(FORMAT) + 65)
            fh.write(through.digest.hexdigest().encode())
        os.replace(tmp, target)
    except OSError:
        _unlink(tmp)
        return False
    except BaseException:
        _unlink(tmp)
        raise
    return True


def write_file(target: Path, data: bytes) -> bool:
    """Write to a temporary name and rename into place: readers see all of it or nothing."""
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise
    except OSError:
        return False
    return True


class ParseCache:
    """Parsed files by (path, blob, mode) for one configuration; see the module docstring."""

    def __init__(self, folder: Path, config: Config, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        wait_for_writers(folder)  # an earlier run's child may still be writing what this run reads
        self.max_bytes = max_bytes
        self._salt = f"{code_digest()}|{config_digest(config)}"
        self._mem: dict[str, FileEntry] = {}
        self.hits = self.misses = self.writes = 0
        self.usable = True
        # Whether single entries are read and written as files (a whole tree goes in one pack instead).
        self.per_entry = True
        # Packs whose entries are all in memory already (written or read by this run): not read again.
        self._packs: set[str] = set()

    # -- keys ----------------------------------------------------------------
    def key(self, path: str, blob: str, mode: str) -> str:
        return hashlib.sha256(f"{self._salt}|{mode}|{blob}|{path}".encode("utf-8", "surrogateescape")).hexdigest()

    def pack_key(self, listing: Iterable[tuple[str, str, str]]) -> str:
        h = hashlib.sha256(f"pack|{self._salt}".encode())
        for path, mode, blob in listing:
            h.update(f"\0{mode} {blob} {path}".encode("utf-8", "surrogateescape"))  # paths are Git's bytes
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / key[2:]

    # -- entries -------------------------------------------------------------
    def has(self, key: str) -> bool:
        """Whether an entry is in memory (from a pack or this run), without touching the disk."""
        return key in self._mem

    def get(self, key: str) -> FileEntry | None:
        """The entry stored under key, or None (absent, corrupt, unreadable: all a miss)."""
        found = self._mem.get(key)
        if found is None and self.usable and self.per_entry:
            parts = self._read(key)
            found = parts[0] if parts is not None and len(parts) == 1 and isinstance(parts[0], FileEntry) else None
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, entry: FileEntry) -> None:
        self._mem[key] = entry
        if self.per_entry:
            self._write(key, [entry])

    def load_pack(self, key: str) -> bool:
        """Make a stored pack's entries available to `get`; False when there is none."""
        if key in self._packs:
            return True
        parts = self._read(key) if self.usable else None
        if not parts or not all(isinstance(part, dict) and all(isinstance(v, FileEntry) for v in part.values())
                                for part in parts):
            return False
        for part in parts:
            self._mem.update(part)
        self._packs.add(key)
        return True

    def load_latest(self) -> bool:
        """The pack written last (the previous run's tree): most of the next tree's files are in it."""
        try:
            key = (self.folder / LATEST).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return False
        return len(key) == 64 and self.load_pack(key)

    def put_pack(self, key: str, keys: Iterable[str], latest: bool = True) -> None:
        """Store the entries under keys (all in memory) as one pack, and (latest) remember it as the latest.

        Only a whole tree's pack should be the latest: the next run's tree is mostly in it,
        whereas a pack of the few files a parent adds to its child would leave it to parse
        nearly everything again.
        """
        stored = [k for k in keys if k in self._mem]
        # In parts pickled one by one: a pickler holds on to everything it has written until it is
        # done, which for a whole tree at once is more memory than the tree itself.
        parts = [{k: self._mem[k] for k in stored[i:i + PACK_PART]} for i in range(0, len(stored), PACK_PART)]
        self._packs.add(key)
        self.writes += 1

        def write() -> None:
            if self._write(key, parts or [{}]) and latest:
                self._write_file(self.folder / LATEST, key.encode())

        soon(self.folder, write)  # its entries are in memory: the rest of the run has them

    # -- files ---------------------------------------------------------------
    def _read(self, key: str) -> list[Any] | None:
        """The parts stored under key (one pickle each), or None."""
        payload = read_entry(self._file(key), key)
        if payload is None:
            return None
        try:
            return safe_loads_all(payload)
        except Exception:
            return None

    def _write(self, key: str, parts: list[Any]) -> bool:
        if not self.usable:
            return False

        def dump(fh: IO[bytes]) -> None:
            for part in parts:
                pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump(part)

        try:
            written = write_entry(self._file(key), key, dump)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return False  # something not meant to be stored (an extension's object): parse it next time
        if not written:
            self.usable = False  # read-only or full: run without the cache rather than fail
            return False
        self.writes += 1
        return True

    def _write_file(self, target: Path, data: bytes) -> bool:
        if not write_file(target, data):
            self.usable = False  # read-only or full: run without the cache rather than fail
            return False
        return True

    def prune(self) -> None:
        """Remove the oldest entries while the folder is over its bound (only after writing)."""
        if not self.writes:
            return
        files: list[tuple[float, int, str]] = []
        total = 0
        try:
            for sub in os.scandir(self.folder):
                if not sub.is_dir(follow_symlinks=False):
                    continue
                for f in os.scandir(sub.path):
                    st = f.stat(follow_symlinks=False)
                    files.append((st.st_mtime, st.st_size, f.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        files.sort()
        goal = self.max_bytes * 8 // 10
        for _, size, path in files:
            if total <= goal:
                break
            _unlink(path)
            total -= size


class ValidDocuments:
    """Digests of (schema, document) pairs that passed validation in an earlier run.

    Installed as `config.known_valid` for a run: a configuration, policy or
    extractor that has not changed is not validated again, and jsonschema is
    not imported. A document seen for the first time is validated as usual and
    remembered only when the run got past loading (`save`), so an invalid one is
    never recorded. The digest covers the package's code and schemas.
    """

    FILE = "valid-documents"
    LIMIT = 1024

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE
        try:
            lines = self.path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            lines = []
        self._known = dict.fromkeys(line for line in lines if len(line) == 64)
        self._new: list[str] = []

    def __call__(self, schema_name: str, data: Any) -> bool:
        import json

        try:
            text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=repr)
        except (TypeError, ValueError, RecursionError):
            return False  # not plain data (keys of mixed types): validate it every time
        digest = hashlib.sha256(f"{code_digest()}|{schema_name}|{text}".encode()).hexdigest()
        if digest in self._known:
            return True
        self._new.append(digest)
        return False

    def save(self) -> None:
        """Remember the documents validated by this run (the most recent LIMIT are kept)."""
        if not self._new:
            return
        keep = [d for d in self._known if d not in self._new] + list(dict.fromkeys(self._new))
        if write_file(self.path, "".join(f"{d}\n" for d in keep[-self.LIMIT:]).encode("ascii")):
            self._known = dict.fromkeys(keep[-self.LIMIT:])
            self._new = []


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def cache_folder(git_dir: str | os.PathLike[str] | None) -> Path | None:
    """`$POLICYCHECK_CACHE_DIR`, else `<git dir>/policycheck-cache`, else None (no cache)."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    return Path(git_dir) / "policycheck-cache" if git_dir is not None else None
