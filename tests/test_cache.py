"""The parse cache: hits across runs, never a wrong or corrupt entry, safe when runs overlap."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from gitrepo import GitRepo, run_cli

from policycheck.cache import ParseCache
from policycheck.config import Config
from policycheck.manifests import parse_file

ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: apps
spec:
  parentRefs:
    - name: {parent}
      namespace: infra
  rules:
    - backendRefs:
        - name: web
          port: 80
"""


def _entry(text: str, path: str = "route.yaml"):  # type: ignore[no-untyped-def]
    return parse_file(path, text.encode(), "b1")


def test_entry_round_trips_with_lines(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, Config())
    entry = _entry("# comment\n" + ROUTE.format(parent="gw"))
    key = cache.key("route.yaml", "b1", "100644")
    cache.put(key, entry)
    fresh = ParseCache(tmp_path, Config()).get(key)
    assert fresh is not None
    assert [r.key for r in fresh.resources] == [r.key for r in entry.resources]
    assert fresh.resources[0].body == entry.resources[0].body
    assert fresh.resources[0].line == 2  # the line map survives: computed from the stored text
    assert fresh.resources[0].line_of("spec", "parentRefs", 0) == 9


def test_keys_separate_config_path_and_mode(tmp_path: Path) -> None:
    a = ParseCache(tmp_path, Config())
    b = ParseCache(tmp_path, Config(default_namespace="other"))
    c = ParseCache(tmp_path, Config(severity={"x": "info"}))  # unrelated to parsing
    assert a.key("p.yaml", "b", "100644") != b.key("p.yaml", "b", "100644")
    assert a.key("p.yaml", "b", "100644") == c.key("p.yaml", "b", "100644")
    assert a.key("p.yaml", "b", "100644") != a.key("q.yaml", "b", "100644")
    assert a.key("p.yaml", "b", "100644") != a.key("p.yaml", "b", "100755")


def test_corrupt_truncated_or_misplaced_entries_are_misses(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, Config())
    k1, k2 = cache.key("a.yaml", "1", "100644"), cache.key("b.yaml", "2", "100644")
    cache.put(k1, _entry(ROUTE.format(parent="one")))
    f1 = tmp_path / k1[:2] / k1[2:]
    data = f1.read_bytes()
    f1.write_bytes(data[:-10])
    assert ParseCache(tmp_path, Config()).get(k1) is None
    f1.write_bytes(data[:-5] + b"xxxxx")
    assert ParseCache(tmp_path, Config()).get(k1) is None
    (tmp_path / k2[:2]).mkdir(exist_ok=True)
    (tmp_path / k2[:2] / k2[2:]).write_bytes(data)  # another key's entry under this name
    assert ParseCache(tmp_path, Config()).get(k2) is None
    (tmp_path / k2[:2] / k2[2:]).write_bytes(b"garbage")
    assert ParseCache(tmp_path, Config()).get(k2) is None


def test_forged_pickle_cannot_call_anything(tmp_path: Path) -> None:
    import hashlib
    import pickle

    from policycheck.cache import FORMAT

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    cache = ParseCache(tmp_path, Config())
    key = cache.key("a.yaml", "1", "100644")
    payload = pickle.dumps(Evil())
    target = tmp_path / key[:2] / key[2:]
    target.parent.mkdir(parents=True)
    target.write_bytes(FORMAT + key.encode() + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n"
                       + payload)
    assert cache.get(key) is None
    assert not (tmp_path / "pwned").exists()


def test_pack_in_parts_round_trips_and_a_cut_pack_is_a_miss(tmp_path: Path) -> None:
    from policycheck.cache import PACK_PART

    cache = ParseCache(tmp_path, Config())
    cache.per_entry = False
    keys = []
    for i in range(PACK_PART + 7):
        key = cache.key(f"r{i}.yaml", str(i), "100644")
        cache.put(key, _entry(ROUTE.format(parent=f"gw{i}"), f"r{i}.yaml"))
        keys.append(key)
    pack = "p" * 64
    cache.put_pack(pack, keys)
    assert not list(tmp_path.rglob("r*.yaml"))  # one file, not one per entry
    fresh = ParseCache(tmp_path, Config())
    assert fresh.load_pack(pack) and fresh.load_latest()
    got = fresh.get(keys[PACK_PART + 3])
    assert got is not None and got.path == f"r{PACK_PART + 3}.yaml"
    assert got.resources[0].line_of("spec", "parentRefs", 0) == 8
    assert all(fresh.get(k) is not None for k in keys)
    target = tmp_path / pack[:2] / pack[2:]
    target.write_bytes(target.read_bytes()[:-100])
    assert not ParseCache(tmp_path, Config()).load_pack(pack)


def test_a_pack_this_run_holds_is_not_read_again(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, Config())
    key = cache.key("a.yaml", "1", "100644")
    cache.put(key, _entry(ROUTE.format(parent="gw")))
    pack = "q" * 64
    cache.put_pack(pack, [key])
    (tmp_path / pack[:2] / pack[2:]).unlink()  # its entries are in memory: the file is not needed
    assert cache.load_pack(pack) and cache.load_latest()
    assert not ParseCache(tmp_path, Config()).load_pack(pack)


def test_an_entry_that_cannot_be_pickled_leaves_nothing(tmp_path: Path) -> None:
    import dataclasses

    cache = ParseCache(tmp_path, Config())
    key = cache.key("a.yaml", "1", "100644")
    entry = _entry(ROUTE.format(parent="gw"))
    odd = dataclasses.replace(entry.resources[0], locator=lambda doc, path: 1)  # a lambda does not pickle
    cache.put(key, dataclasses.replace(entry, resources=(odd,)))
    assert cache.usable and cache.writes == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert ParseCache(tmp_path, Config()).get(key) is None


def test_concurrent_writers_leave_whole_entries(tmp_path: Path) -> None:
    entry = _entry(ROUTE.format(parent="gw"))
    key = ParseCache(tmp_path, Config()).key("a.yaml", "1", "100644")

    def write() -> None:
        cache = ParseCache(tmp_path, Config())
        for _ in range(30):
            cache.put(key, entry)
            got = ParseCache(tmp_path, Config()).get(key)
            assert got is not None and got.resources[0].key == entry.resources[0].key

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_prune_keeps_the_folder_bounded(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, Config(), max_bytes=20_000)
    for i in range(40):
        cache.put(cache.key(f"f{i}.yaml", str(i), "100644"), _entry(ROUTE.format(parent=f"gw{i}")))
    cache.prune()
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert total <= 20_000


def _staged_json(repo: GitRepo, *args: str, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    proc = run_cli("check", "--staged", "--repo", str(repo.path), "--format", "json", *args, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_hook_reuses_cache_and_no_cache_writes_nothing(repo: GitRepo, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    env = {"POLICYCHECK_CACHE_DIR": str(folder)}
    repo.commit("one", {"r.yaml": ROUTE.format(parent="gw"), "gw.yaml": "apiVersion: gateway.networking.k8s.io/v1\n"
                        "kind: Gateway\nmetadata:\n  name: gw\n  namespace: infra\nspec:\n  gatewayClassName: x\n"
                        "  listeners:\n    - name: http\n      protocol: HTTP\n      port: 80\n"})
    repo.stage({"r.yaml": ROUTE.format(parent="missing")})
    no_cache = _staged_json(repo, "--no-cache", env=env)
    assert not folder.exists()
    cold = _staged_json(repo, env=env)
    assert any(folder.rglob("*"))
    warm = _staged_json(repo, env=env)
    assert cold == warm == no_cache
    # A corrupted cache changes nothing in the report.
    for f in folder.rglob("*"):
        if f.is_file():
            f.write_bytes(b"policycheck-cache 1\n" + b"0" * 200)
    assert _staged_json(repo, env=env) == no_cache
