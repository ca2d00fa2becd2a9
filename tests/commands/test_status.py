"""`policycheck status --rev`: every blob through one pipelined read, the same answer as from files."""

from __future__ import annotations

import os

from gitrepo import GitRepo, run_cli
from manifests_fixtures import mesh_route, service

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\n" \
                "resources:\n  - service.yaml\n  - route.yaml\n"


def test_status_at_a_revision_matches_status_of_its_files(repo: GitRepo) -> None:
    files = {f"apps/svc-{i}.yaml": service(f"svc-{i}") for i in range(12)}
    files |= {f"apps/route-{i}.yaml": mesh_route(f"route-{i}", f"svc-{i % 5}") for i in range(12)}
    files |= {"shop/kustomization.yaml": KUSTOMIZATION, "shop/service.yaml": service("cart"),
              "shop/route.yaml": mesh_route("cart", "cart"), "notes.txt": "not a manifest\n"}
    repo.commit("tree", files)
    os.symlink("svc-0.yaml", repo.path / "apps" / "link.yaml")  # a link is listed, never read as a blob
    repo.commit("link")
    for fmt in ("json", "text"):
        at_rev = run_cli("status", "--rev", "HEAD", "--format", fmt, cwd=repo.path)
        on_disk = run_cli("status", "--format", fmt, cwd=repo.path)
        assert at_rev.returncode == 0, at_rev.stderr
        assert at_rev.stdout == on_disk.stdout
        assert "shop" in at_rev.stdout and "route-11" in at_rev.stdout
