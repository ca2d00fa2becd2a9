"""Judging a history leaves no cyclic garbage: the collector is paused for a run (`collector.paused`)
on that promise, and a state's one cycle (its presence oracle) is broken when it is dropped."""

from __future__ import annotations

import gc
import importlib.util
import subprocess
import sys
from pathlib import Path

from gitops_manifests import HTTP, flux, helm_release, kustomization, network_gateway
from gitrepo import ROOT, GitRepo

from policycheck.commands.check import CheckOptions, run_check
from policycheck.render import render_report


def _generated(dest: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    module.write_repo(dest, 120, 40, seed=3, checkout=False)


def _garbage_left(opts: CheckOptions) -> int:
    """Cyclic garbage found after one run, with the collector off throughout (the report is rendered
    after the run, with the collector on: the standard library's JSON encoder leaves a few cycles)."""
    render_report(run_check(opts), "json")  # imports and first-use caches, outside the count
    gc.collect()
    gc.disable()
    try:
        run_check(opts)
        return gc.collect()
    finally:
        gc.enable()


def test_a_generated_history_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    repo = tmp_path / "gen"
    _generated(repo)
    assert _garbage_left(CheckOptions(repo=str(repo), revision="base..main", no_cache=True)) == 0


def test_the_sample_history_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    dest = tmp_path / "sample"
    subprocess.run([str(ROOT / "samples" / "make-repo.sh"), str(ROOT / "samples" / "linkerd-retarget"), str(dest)],
                   check=True, capture_output=True)
    assert _garbage_left(CheckOptions(repo=str(dest), history=True, no_cache=True)) == 0


ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
    - name: {parent}
      namespace: network
  rules:
    - backendRefs:
        - name: web
          port: 80
"""


def test_a_gitops_history_with_two_clusters_leaves_no_cyclic_garbage(repo: GitRepo) -> None:
    """Placements, generators and one run per cluster: the layout's memory of states included."""
    files: dict[str, str | None] = {
        "apps/web/kustomization.yaml": kustomization(["route.yaml", "release.yaml"], namespace="apps"),
        "apps/web/route.yaml": ROUTE.format(parent="internal"),
        "apps/web/release.yaml": helm_release(),
    }
    for cluster in ("prod", "staging"):
        files[f"clusters/{cluster}/flux-system/gotk-sync.yaml"] = flux("flux-system", f"./clusters/{cluster}")
        files[f"clusters/{cluster}/apps.yaml"] = flux("apps", "./apps/web")
        files[f"clusters/{cluster}/gateway.yaml"] = network_gateway("internal", (HTTP,))
    first = repo.commit("two clusters", files)
    repo.commit("retarget", {"apps/web/route.yaml": ROUTE.format(parent="missing")})
    repo.commit("one gateway less", {"clusters/staging/gateway.yaml": None})
    repo.commit("back", {"apps/web/route.yaml": ROUTE.format(parent="internal"),
                         "clusters/staging/gateway.yaml": network_gateway("internal", (HTTP,))})
    assert _garbage_left(CheckOptions(repo=str(repo.path), revision=f"{first}..HEAD", no_cache=True)) == 0
