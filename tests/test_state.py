"""A state derived from its parent by swapping files equals one built from scratch."""

from __future__ import annotations

import random

from manifests_fixtures import service

from policycheck.manifests import parse_file
from policycheck.model import Resource, ResourceKey
from policycheck.state import FileEntry, State


def _entry(path: str, names: list[str]) -> FileEntry:
    text = "---\n".join(service(n) for n in names)
    return parse_file(path, text.encode(), blob=f"{path}:{','.join(names)}")


def _snapshot(state: State) -> tuple[object, ...]:
    return (
        sorted((k, r.file) for k, r in state.resources.items()),
        sorted((g, k, sorted(r.key.name for r in state.of_kind(g, k)))
               for g, k in {(x.group, x.kind) for x in state.resources}),
        [(d.file, d.line, d.id, d.message) for d in state.diagnostics()],
    )


def test_evolve_matches_from_scratch() -> None:
    rng = random.Random(7)
    names = [f"s{i}" for i in range(12)]
    files = {f"f{i}.yaml": _entry(f"f{i}.yaml", rng.sample(names, 2)) for i in range(40)}
    state = State.from_files(files.values())
    assert state.resources  # index the base so later states are patched
    for _ in range(60):
        removed, added = [], []
        for _ in range(rng.randint(1, 3)):
            path = f"f{rng.randrange(45)}.yaml"
            if path in files and rng.random() < 0.3:
                del files[path]
                removed.append(path)
            else:
                files[path] = _entry(path, rng.sample(names, rng.randint(1, 3)))
                added.append(files[path])
        state = state.evolve(removed, added)
        assert _snapshot(state) == _snapshot(State.from_files(files.values()))


def test_duplicates_in_one_file_and_across_files() -> None:
    state = State.from_files([_entry("a.yaml", ["x", "x"]), _entry("b.yaml", ["x"])])
    diags = list(state.diagnostics())
    assert [(d.file, d.id) for d in diags] == [("a.yaml", "duplicate-resource"), ("b.yaml", "duplicate-resource")]
    assert state.resources[next(iter(state.resources))].file == "a.yaml"


def test_manifest_counts_follow_evolution() -> None:
    """has_manifests answers as a scan would, extracted objects not counted, when a namespace empties."""
    rng = random.Random(3)

    def entry(path: str) -> FileEntry:
        resources = tuple(
            Resource(ResourceKey("", "Service", rng.choice(["a", "b", "c"]), f"s{rng.randrange(6)}"), "v1", {},
                     path, i, origin=rng.choice(["manifest", "manifest", "extracted"]))
            for i in range(rng.randint(0, 2)))
        return FileEntry(path, f"{path}:{rng.random()}", resources)

    files = {f"f{i}.yaml": entry(f"f{i}.yaml") for i in range(6)}
    state = State.from_files(files.values())
    assert state.resources is not None  # index the base so later states are patched
    for _ in range(80):
        path = f"f{rng.randrange(8)}.yaml"
        if path in files and rng.random() < 0.4:
            del files[path]
            state = state.evolve([path], [])
        else:
            files[path] = entry(path)
            state = state.evolve([], [files[path]])
        for ns in ("a", "b", "c"):
            scan = any(r.origin == "manifest" and r.key.namespace == ns for r in state.of_kind("", "Service"))
            assert state.has_manifests("", "Service", ns) is scan
