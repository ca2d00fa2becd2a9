"""Cache writes from a child process: the run exits without waiting, the next run waits for them."""

from __future__ import annotations

import os
from pathlib import Path

from gitrepo import GitRepo, run_cli
from manifests_fixtures import mesh_route, service

from policycheck.background import LOCK, in_background, wait_for_writers


def test_console_runs_leave_the_cache_to_children(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("base", {f"apps/svc-{i}.yaml": service(f"svc-{i}") for i in range(5)})
    repo.commit("routes", {f"apps/route-{i}.yaml": mesh_route(f"route-{i}", f"svc-{i}") for i in range(5)})
    repo.stage({"apps/route-9.yaml": mesh_route("route-9", "missing")})
    cache = tmp_path / "cache"
    env = {"POLICYCHECK_CACHE_DIR": str(cache)}
    first = run_cli("check", "--staged", "--repo", str(repo.path), "--format", "json", env=env, isolated=True)
    assert first.returncode == 1, first.stderr
    wait_for_writers(cache)
    stored = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())
    assert any(p.startswith("snapshots/") for p in stored) and (cache / LOCK).exists()
    again = run_cli("check", "--staged", "--repo", str(repo.path), "--format", "json", env=env, isolated=True)
    assert (again.returncode, again.stdout) == (1, first.stdout)
    assert run_cli("check", "--staged", "--repo", str(repo.path), "--format", "json", "--no-cache").stdout \
        == first.stdout


def test_in_a_library_caller_writes_happen_in_place(tmp_path: Path) -> None:
    done: list[int] = []
    in_background(tmp_path, lambda: done.append(os.getpid()))
    assert done == [os.getpid()]
