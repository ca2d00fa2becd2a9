"""A commit is judged as kustomize builds it: prefixes, labels and inline patches of the kustomizations
on the way, and the namespace transformer renaming Namespace objects; `inventory` shows the same objects."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import GitRepo, check_json, run_cli
from kustomize_fixtures import GATEWAY, NAMESPACE, ROUTE, SERVICE

OVERLAY = """namespace: web
namePrefix: prod-
resources: [../base, ns.yaml]
commonLabels:
  gateway-access: "true"
patches:
  - target: {kind: HTTPRoute, name: web}
    patch: |-
      - op: replace
        path: /spec/parentRefs/0/name
        value: internal
"""
FILES = {
    "infra/kustomization.yaml": "namespace: network\nresources: [gateway.yaml, ns.yaml]\n",
    "infra/gateway.yaml": GATEWAY.replace("port: 443\n      protocol: HTTPS", "port: 80\n      protocol: HTTP"),
    "infra/ns.yaml": NAMESPACE,
    "apps/web/base/kustomization.yaml": "resources: [route.yaml, svc.yaml]\n",
    # kustomize renames the Service but not a route's backendRefs: the base names the prefixed Service.
    "apps/web/base/route.yaml": ROUTE.replace("name: internal", "name: placeholder").replace(
        "- name: web\n          port", "- name: prod-web\n          port"),
    "apps/web/base/svc.yaml": SERVICE,
    "apps/web/overlay/kustomization.yaml": OVERLAY, "apps/web/overlay/ns.yaml": NAMESPACE,
}


def _keys(objects: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(o["kind"], o["namespace"], o["name"], o["file"]) for o in objects}


def test_the_overlay_is_judged_as_built(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("app", FILES)
    code, report = check_json(repo, "HEAD")
    assert code == 0, json.dumps(report, indent=1)[:3000]
    whole = run_cli("inventory", "--rev", "HEAD", "--repo", str(repo.path), "--format", "json")
    built = run_cli("inventory", "apps/web/overlay", "--rev", "HEAD", "--repo", str(repo.path), "--format", "json")
    assert whole.returncode == built.returncode == 0, whole.stderr + built.stderr
    overlay = _keys(json.loads(built.stdout)["objects"])
    assert overlay == {("HTTPRoute", "web", "prod-web", "apps/web/base/route.yaml"),
                       ("Service", "web", "prod-web", "apps/web/base/svc.yaml"),
                       ("Namespace", None, "web", "apps/web/overlay/ns.yaml")}
    judged = {(k, ns if k != "Namespace" else None, n, f) for k, ns, n, f in _keys(json.loads(whole.stdout)["objects"])}
    assert overlay <= judged
    assert ("Namespace", None, "network", "infra/ns.yaml") in judged


def test_without_the_label_the_gateway_refuses_the_route(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("app", {**FILES, "apps/web/overlay/kustomization.yaml": OVERLAY.replace(
        'commonLabels:\n  gateway-access: "true"\n', "")})
    code, report = check_json(repo, "HEAD")
    assert code == 1
    assert "prod-web" in json.dumps(report)
