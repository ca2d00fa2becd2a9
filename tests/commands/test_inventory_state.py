"""`policycheck inventory` without PATH: everything a state judges, per cluster, with what deploys it."""

from __future__ import annotations

import json
from typing import Any

from gitops_manifests import flux, helm_release, kustomization, network_gateway
from gitrepo import GitRepo, run_cli

ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
    - name: internal
      namespace: network
"""

RELEASE = helm_release("app-template", "bjw-s", values="""    route:
      app:
        parentRefs:
          - name: internal
            namespace: network
""")


def inventory(repo: GitRepo) -> dict[str, Any]:
    proc = run_cli("inventory", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_objects_carry_their_cluster_and_the_chain_that_deploys_them(repo: GitRepo) -> None:
    repo.git("remote", "add", "origin", "https://github.com/owner/here.git")
    files: dict[str, str | None] = {
        "apps/web/kustomization.yaml": kustomization(["route.yaml"], "web"),
        "apps/web/route.yaml": ROUTE,
        "apps/web/draft.yaml": ROUTE.replace("name: web", "name: draft"),
        "media/sonarr/helmrelease.yaml": RELEASE,
        "archive/old.yaml": ROUTE,
    }
    for cluster in ("prod", "staging"):
        files[f"clusters/{cluster}/apps.yaml"] = flux("apps", "./apps/web")
        files[f"clusters/{cluster}/media.yaml"] = flux("media", "./media")
        files[f"clusters/{cluster}/infra/gateway.yaml"] = network_gateway()
    repo.commit("two clusters", files)
    data = inventory(repo)
    routes = {(o["cluster"], o["namespace"], o["name"]): o for o in data["objects"] if o["kind"] == "HTTPRoute"}
    assert set(routes) == {(c, ns, n) for c in ("clusters/prod", "clusters/staging")
                           for ns, n in (("web", "web"), ("media", "sonarr"))}
    assert routes[("clusters/prod", "web", "web")]["deployedBy"] == [
        "clusters/prod/apps.yaml", "apps/web/kustomization.yaml", "apps/web/route.yaml"]
    lifted = routes[("clusters/prod", "media", "sonarr")]
    assert (lifted["file"], lifted["deployedBy"]) == (
        "media/sonarr/helmrelease.yaml", ["clusters/prod/media.yaml", "media/sonarr/helmrelease.yaml"])
    assert data["notDeployed"] == [
        {"file": "apps/web/draft.yaml", "reason": "apps/web/kustomization.yaml does not list it"},
        {"file": "archive/old.yaml",
         "reason": "no Flux Kustomization, Argo CD Application or declared scope of this repository reaches it"}]
    assert data["repository"]["rule"] == "no root names another repository"
