"""Routes by parent, patched from one state to the next, equal the index built from scratch."""

from __future__ import annotations

import random

from manifests_fixtures import gateway_route, mesh_route, service

from policycheck.manifests import parse_file
from policycheck.resolver.routes import _all_routes, _ParentIndexMemo, _route_maps
from policycheck.state import FileEntry, State


def _entry(path: str, text: str) -> FileEntry:
    return parse_file(path, text.encode(), blob=f"{path}:{hash(text)}")


def _as_sets(index: dict[object, list[tuple[object, object]]]) -> dict[object, set[tuple[int, int]]]:
    return {k: {(id(r), spr.index) for r, spr in v} for k, v in index.items()}  # type: ignore[attr-defined]


def test_patched_index_follows_retargets_creates_and_deletes() -> None:
    """The whole index and the index of Service parents alone, against indexes built from scratch."""
    rng = random.Random(7)
    files = [_entry(f"svc/s{i}.yaml", service(f"s{i}")) for i in range(6)]
    files += [_entry(f"routes/r{j}.yaml", mesh_route(f"r{j}", f"s{j % 6}")) for j in range(40)]
    state = State.from_files(files)
    patched, services = _ParentIndexMemo(), _ParentIndexMemo(services_only=True)
    patched.get(_route_maps(state), "spec")
    services.get(_route_maps(state), "spec")
    for _ in range(60):
        j = rng.randrange(45)
        path = f"routes/r{j}.yaml"
        if rng.random() < 0.2:
            state = state.evolve([path], [])
        elif rng.random() < 0.3:  # on a Gateway: in the whole index only
            state = state.evolve([], [_entry(path, gateway_route(f"r{j}", f"gw{rng.randrange(2)}"))])
        else:
            state = state.evolve([], [_entry(path, mesh_route(f"r{j}", f"s{rng.randrange(7)}"))])
        got = patched.get(_route_maps(state), "spec")
        fresh = _ParentIndexMemo().get(_route_maps(state), "spec")
        assert _as_sets(got) == _as_sets(fresh)
        assert sum(len(v) for v in got.values()) == sum(1 for r in _all_routes(state) for _ in r.spec["parentRefs"])
        assert _as_sets(services.get(_route_maps(state), "spec")) == \
            _as_sets(_ParentIndexMemo(services_only=True).get(_route_maps(state), "spec"))
