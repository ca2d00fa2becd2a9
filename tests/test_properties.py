"""Property-based tests: random manifests and random edit histories never crash the loader, resolver
or engine, and judging a history commit by commit ends in the same state-based findings as judging
its final state alone (only the policies that look at the previous version may differ)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.config import Config
from policycheck.engine import Engine
from policycheck.findings import Finding
from policycheck.gitsource import Change, blob_id
from policycheck.loader import Loader
from policycheck.manifests import parse_file
from policycheck.runner import Runner, Target
from policycheck.setup_run import load_policies, policy_infos
from policycheck.state import State

STATE_BASED = {"parent-exists", "parent-accepts-route", "backends-resolve", "route-valid"}
NAMES = ["a", "b", "c"]
PATHS = ["one.yaml", "two.yaml", "dir/three.yaml", "four.yml"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- random values, of every type a hostile manifest may use where another is expected ----------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=8), st.sampled_from([*NAMES, "core", "", "Service", "Gateway", "80", "*"]))
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                    max_leaves=8)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the well-formed value, sometimes junk of any type."""
    return st.one_of(strategy, strategy, strategy, junk)


ports = maybe(st.sampled_from([80, 443, 8080]))
parent_refs = st.fixed_dictionaries(
    {"name": maybe(st.sampled_from(NAMES))},
    optional={"group": maybe(st.sampled_from(["core", "", "gateway.networking.k8s.io"])),
              "kind": maybe(st.sampled_from(["Service", "Gateway"])), "port": ports,
              "sectionName": maybe(st.sampled_from(["http", "https"])), "namespace": maybe(st.just("default"))})
backend_refs = st.fixed_dictionaries({"name": maybe(st.sampled_from(NAMES))}, optional={"port": ports})


def obj(api: str, kind: str, spec: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"apiVersion": st.just(api), "kind": st.just(kind),
                                  "metadata": maybe(st.fixed_dictionaries({"name": st.sampled_from(NAMES)})),
                                  "spec": maybe(spec)})


services = obj("v1", "Service", st.fixed_dictionaries({"ports": maybe(st.lists(
    st.fixed_dictionaries({"port": ports}, optional={"name": st.sampled_from(["http", "https"])}), max_size=2))}))
gateways = obj("gateway.networking.k8s.io/v1", "Gateway", st.fixed_dictionaries({
    "gatewayClassName": st.just("x"),
    "listeners": maybe(st.lists(st.fixed_dictionaries({
        "name": maybe(st.sampled_from(["http", "https"])), "port": ports,
        "protocol": maybe(st.sampled_from(["HTTP", "HTTPS", "TCP"]))},
        optional={"hostname": maybe(st.sampled_from(["a.example.com", "*.example.com"]))}), max_size=2))}))
routes = st.one_of(*[obj(api, kind, st.fixed_dictionaries(
    {"parentRefs": maybe(st.lists(maybe(parent_refs), max_size=2))},
    optional={"rules": maybe(st.lists(st.fixed_dictionaries(
        {"backendRefs": maybe(st.lists(maybe(backend_refs), max_size=2))}), max_size=2)),
        "hostnames": maybe(st.lists(st.sampled_from(["a.example.com", "b.example.com"]), max_size=2))}))
    for api, kind in [("gateway.networking.k8s.io/v1", "HTTPRoute"), ("gateway.networking.k8s.io/v1beta1",
                                                                      "HTTPRoute"),
                      ("gateway.networking.k8s.io/v1", "GRPCRoute"), ("policy.linkerd.io/v1beta3", "HTTPRoute"),
                      ("gateway.networking.k8s.io/v1alpha2", "TCPRoute")]])
documents = st.one_of(services, gateways, routes, routes, junk)


def dump(docs: list[Any]) -> bytes:
    return yaml.safe_dump_all(docs, sort_keys=False).encode("utf-8")


files = st.dictionaries(st.sampled_from(PATHS), st.lists(documents, min_size=1, max_size=3).map(dump), max_size=4)
texts = st.one_of(files.map(lambda fs: b"".join(fs.values())), st.binary(max_size=200),
                  st.text(max_size=200).map(lambda t: t.encode("utf-8")))

POLICIES = load_policies(Config())
INFOS = policy_infos(POLICIES)


def run_history(history: list[dict[str, bytes]]) -> dict[tuple[str, ...], Finding]:
    """Judge each state against the one before (the first against nothing); the last state's findings."""
    blobs: dict[str, bytes] = {}
    loader = Loader(Config(), blobs.__getitem__)
    ids = [f"c{i}" for i in range(len(history))]
    listings: dict[str | None, dict[str, bytes]] = {None: {}}
    targets = []
    for i, state in enumerate(history):
        parent = ids[i - 1] if i else None
        old = listings[parent]
        changes = []
        for path, data in sorted(state.items()):
            if old.get(path) != data:
                blobs[blob_id(data)] = data
                changes.append(Change(path, blob_id(data)))
        changes += [Change(path, None) for path in sorted(old) if path not in state]
        listings[ids[i]] = state
        targets.append(Target(ids[i], parent, f"commit {i}", tuple(changes)))

    def state_of(rev: str | None) -> State:
        raise AssertionError(f"every state is built by evolving its parent, not read: {rev}")

    def evolve(parent_state: State, parent_rev: str | None, target: Target) -> tuple[State, set[str]]:
        changes = target.changes or ()
        return loader.evolve(parent_state, changes), {c.path for c in changes}

    parents = {t.id: t.parent for t in targets}
    runner = Runner(POLICIES, "spec", state_of=state_of, evolve=evolve, parent_of=parents.__getitem__,
                    engine=Engine(POLICIES), list_all=True)
    report = runner.run(targets, INFOS)
    assert all(c.result in ("pass", "fail") for c in report.commits)
    last = report.commits[-1]
    assert last.all_findings is not None
    return {f.key: f for f in last.all_findings}


def state_based(found: dict[tuple[str, ...], Finding]) -> set[tuple[Any, ...]]:
    """Identity, severity and place; not the message, whose "why" may mention the history
    (a parent "defined earlier and deleted" versus one that never existed)."""
    return {(k, f.severity, f.file, f.line) for k, f in found.items() if f.policy in STATE_BASED}


@FAST
@given(path=st.sampled_from([*PATHS, "a b/ü.yaml"]), data=texts)
def test_parse_file_never_crashes(path: str, data: bytes) -> None:
    entry = parse_file(path, data, blob_id(data))
    for res in entry.resources:
        assert isinstance(res.key.name, str) and res.key.name
        assert res.line >= 1
    for d in entry.diagnostics:
        assert d.line >= 1 and d.severity in ("error", "warning", "info")


@FAST
@given(state=files)
def test_one_state_never_crashes(state: dict[str, bytes]) -> None:
    run_history([state])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(files, min_size=1, max_size=4))
def test_history_ends_where_the_final_state_alone_does(history: list[dict[str, bytes]]) -> None:
    step_by_step = run_history(history)
    alone = run_history([history[-1]])
    assert state_based(step_by_step) == state_based(alone)


def test_history_comparison_sees_findings() -> None:
    """The comparison is not vacuous: a route whose parent comes and goes ends with the same finding."""
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "a"},
             "spec": {"parentRefs": [{"group": "core", "kind": "Service", "name": "b", "port": 80}]}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}, "spec": {"ports": [{"port": 80}]}}
    history = [{"one.yaml": dump([route])}, {"one.yaml": dump([route]), "two.yaml": dump([service])},
               {"one.yaml": dump([route])}]
    final = state_based(run_history(history))
    assert final == state_based(run_history(history[-1:]))
    assert [k[0][0] for k in final] == ["parent-exists"]
