"""What a commit's merge and route index cost: the parts a commit does not touch are kept, not rebuilt."""

from __future__ import annotations

import random

from textrepo import TextRepo

from policycheck.incremental import _Members, affected_routes, merge
from policycheck.model import ResourceKey
from policycheck.resolver import resolve
from policycheck.state import State

GW = "gateway.networking.k8s.io"


def _route(name: str, parents: int = 1, backend: str = "svc") -> str:
    refs = "".join(f"  - name: gw{i}\n" for i in range(parents))
    return (f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n  namespace: apps\nspec:\n"
            f"  parentRefs:\n{refs}  rules:\n  - backendRefs:\n    - name: {backend}\n      port: 80\n")


Step = tuple[State, set[ResourceKey], list[ResourceKey]]


def _commit(repo: TextRepo, old: State, path: str, text: str | None) -> Step:
    """The next state, the routes it re-resolves and the objects it deleted."""
    repo.put(path, text)
    new = repo.state()
    changed = {k for k in set(old.resources) | set(new.resources) if old.get(k) is not new.get(k)}
    affected = affected_routes(old, new, changed)
    assert affected is not None
    return new, affected, [k for k in old.resources if k not in new.resources]


def test_a_commit_without_issues_keeps_the_previous_issues() -> None:
    # 33 parentRefs: one more than the CRD allows.
    repo = TextRepo({"bad.yaml": _route("bad", parents=33), "ok.yaml": _route("ok")})
    old = repo.state()
    previous = resolve(old, gateways=False)
    assert {i.rule for i in previous.validation} == {"too-many-parent-refs"}

    new, affected, gone = _commit(repo, old, "ok.yaml", _route("ok", backend="other"))
    merged = merge(previous, resolve(new, routes=affected, gateways=False), new, affected, gone)
    assert merged.validation is previous.validation

    newer, affected, gone = _commit(repo, new, "bad.yaml", None)
    merged = merge(merged, resolve(newer, routes=affected, gateways=False), newer, affected, gone)
    assert merged.validation == ()


def test_a_route_index_slot_follows_every_route_that_enters_or_leaves_it() -> None:
    """A slot keeps a shared set and its changes; what it holds is the plain set's, across flattening."""
    rng = random.Random(3)
    keys = [ResourceKey(GW, "HTTPRoute", "apps", f"r{i}") for i in range(40)]
    expected = set(keys[:20])
    slot = _Members(frozenset(expected))
    for _ in range(300):
        key = rng.choice(keys)
        present = rng.random() < 0.5
        slot = slot.with_route(key, present)
        if present:
            expected.add(key)
        else:
            expected.discard(key)
        found: set[ResourceKey] = set()
        slot.add_to(found)
        assert found == expected
