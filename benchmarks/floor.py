"""The floor a full scan is measured against: read and parse every YAML blob once.

One Python process, one `git ls-tree`, one `git cat-file --batch` fed every
blob id, each blob parsed with LibYAML's CSafeLoader. Nothing else: no line
tracking, no objects, no resolution. A tool cannot read a tree for less.

    python benchmarks/floor.py REPO [REV]
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import IO

import yaml


def _feed(stdin: IO[bytes], blobs: list[bytes]) -> None:
    stdin.write(b"".join(b + b"\n" for b in blobs))
    stdin.close()


def main(argv: list[str]) -> int:
    repo, rev = argv[0], (argv[1] if len(argv) > 1 else "HEAD")
    listing = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "-z", "--full-tree", rev],
                             check=True, capture_output=True).stdout
    blobs = []
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        if path.endswith((b".yaml", b".yml")) and meta.split()[1] == b"blob":
            blobs.append(meta.split()[2])
    proc = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    # A writer thread feeds every id while this thread reads and parses.
    feeder = threading.Thread(target=_feed, args=(proc.stdin, blobs), daemon=True)
    feeder.start()
    docs = 0
    read, readline = proc.stdout.read, proc.stdout.readline
    for _ in blobs:
        size = int(readline().split()[2])
        data = read(size + 1)[:-1]
        docs += sum(1 for _ in yaml.load_all(data, Loader=yaml.CSafeLoader))
    feeder.join()
    proc.wait()
    print(f"{len(blobs)} blobs, {docs} documents", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
