"""Several clusters or environments in one repository: each judged on its own, by the real CLI."""

from __future__ import annotations

import json

from gitops_manifests import argo, findings, flux, kustomization, network_gateway
from gitrepo import GitRepo, check_json, run_cli

from policycheck.gitops.kustomize import Tree, parse_kustomization
from policycheck.gitops.scopes import Root, plan


def gateway(listeners: tuple[str, ...], name: str = "main") -> str:
    return network_gateway(name, tuple((lst, "HTTP", 8000 + i) for i, lst in enumerate(listeners)))


SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  ports:
    - port: 80
"""


def route(name: str, section: str, parent: str = "main") -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: apps
spec:
  parentRefs:
    - name: {parent}
      namespace: network
      sectionName: {section}
  rules:
    - backendRefs:
        - name: web
          port: 80
"""





def only_one_cluster_lacks_https(repo: GitRepo, path: str, cluster: str) -> None:
    """The history passes, with no duplicate; moving the route at `path` to an https listener fails
    in `cluster` alone (the cluster whose Gateway has none)."""
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert not findings(report, "duplicate-resource")
    repo.commit("https", {path: route("web", "https")})
    code, report = check_json(repo, "HEAD")
    assert code == 1
    errors = [f for f in findings(report) if f["severity"] == "error"]
    assert errors and all(f["message"].endswith(f"(cluster: {cluster})") for f in errors), errors


def two_flux_clusters() -> dict[str, str | None]:
    files: dict[str, str | None] = {
        "apps/base/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "apps/base/service.yaml": SERVICE,
        "apps/base/route.yaml": route("web", "http"),
    }
    for cluster, listeners in (("prod", ("http", "https")), ("staging", ("http",))):
        files[f"clusters/{cluster}/flux-system/gotk-sync.yaml"] = flux("flux-system", f"./clusters/{cluster}")
        files[f"clusters/{cluster}/apps.yaml"] = flux("apps", "./apps/base")
        files[f"clusters/{cluster}/infra/gateway.yaml"] = gateway(listeners)
    return files


def test_two_flux_clusters_each_with_its_own_gateway(repo: GitRepo) -> None:
    repo.commit("two clusters", two_flux_clusters())
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert not findings(report, "duplicate-resource")
    assert not [f for f in findings(report) if f["severity"] == "error"]
    assert report["commits"][0]["changes"]["created"] > 0

    base = kustomization(["service.yaml", "route.yaml", "route2.yaml"])
    repo.commit("a route to a listener only prod has", {"apps/base/route2.yaml": route("secure", "https"),
                                                       "apps/base/kustomization.yaml": base})
    code, report = check_json(repo, "HEAD")
    assert code == 1
    errors = [f for f in findings(report) if f["severity"] == "error"]
    assert errors and all(f["message"].endswith("(cluster: clusters/staging)") for f in errors), errors
    assert {f["resource"]["name"] for f in errors} == {"secure"}
    assert report["commits"][0]["changes"] == {"created": 1, "updated": 0, "deleted": 0}


def test_a_route_cannot_use_a_gateway_only_another_cluster_defines(repo: GitRepo) -> None:
    files = two_flux_clusters()
    files["clusters/prod/infra/edge.yaml"] = gateway(("http",), name="edge")
    files["clusters/staging/extra.yaml"] = flux("extra", "./apps/extra")
    files["apps/extra/route.yaml"] = route("edgy", "http", parent="edge")
    repo.commit("staging route to prod's gateway", files)
    code, report = check_json(repo, "--history")
    assert code == 1
    parents = findings(report, "parent-exists")
    assert [f["resource"]["name"] for f in parents] == ["edgy"], parents
    assert parents[0]["severity"] == "error"
    assert parents[0]["message"].endswith("(cluster: clusters/staging)")


def test_status_lists_each_cluster(repo: GitRepo) -> None:
    repo.commit("two clusters", two_flux_clusters())
    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["clusters"] == ["clusters/prod", "clusters/staging"]
    listeners = {g["cluster"]: [lst["name"] for lst in g["listeners"]] for g in data["gateways"]}
    assert listeners == {"clusters/prod": ["http", "https"], "clusters/staging": ["http"]}
    assert {r["cluster"] for r in data["routes"]} == {"clusters/prod", "clusters/staging"}
    text = run_cli("status", "--rev", "HEAD", cwd=repo.path).stdout
    assert "cluster clusters/prod:" in text and "cluster clusters/staging:" in text


def test_kustomize_overlays_are_environments(repo: GitRepo) -> None:
    files: dict[str, str | None] = {
        "infra/base/kustomization.yaml": kustomization(["service.yaml"]),
        "infra/base/service.yaml": SERVICE,
        "apps/web/base/kustomization.yaml": kustomization(["route.yaml"]),
        "apps/web/base/route.yaml": route("web", "http"),
    }
    for env, listeners in (("prod", ("http", "https")), ("staging", ("http",))):
        files[f"infra/overlays/{env}/kustomization.yaml"] = kustomization(["../../base", "gateway.yaml"])
        files[f"infra/overlays/{env}/gateway.yaml"] = gateway(listeners)
        files[f"apps/web/overlays/{env}/kustomization.yaml"] = kustomization(["../../base"])
    repo.commit("overlays", files)
    only_one_cluster_lacks_https(repo, "apps/web/base/route.yaml", "staging")


def test_argo_applications_to_two_destinations(repo: GitRepo) -> None:
    repo.commit("apps", {
        "argocd/gw-local.yaml": argo("gw-local", "gw/local", "server: https://kubernetes.default.svc"),
        "argocd/gw-edge.yaml": argo("gw-edge", "gw/edge", "name: edge"),
        "argocd/shop-local.yaml": argo("shop-local", "shop", "name: in-cluster"),
        "argocd/shop-edge.yaml": argo("shop-edge", "shop", "name: edge"),
        "gw/local/gateway.yaml": gateway(("http", "https")),
        "gw/edge/gateway.yaml": gateway(("http",)),
        "shop/service.yaml": SERVICE,
        "shop/route.yaml": route("web", "http"),
    })
    only_one_cluster_lacks_https(repo, "shop/route.yaml", "edge")


def test_one_cluster_is_judged_as_before(repo: GitRepo) -> None:
    files = {p: t for p, t in two_flux_clusters().items() if "staging" not in p}
    files["apps/base/route.yaml"] = route("web", "nope")
    repo.commit("one cluster", files)
    code, report = check_json(repo, "--history")
    assert code == 1
    assert not any("(cluster:" in f["message"] for f in findings(report))
    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert "clusters" not in json.loads(proc.stdout)


def test_declared_scopes_name_their_cluster(repo: GitRepo) -> None:
    repo.commit("declared", {
        ".policycheck.yaml": "scopes:\n  - {path: deploy/a, cluster: a}\n  - {path: deploy/b, cluster: b}\n",
        "deploy/a/gateway.yaml": gateway(("http",)),
        "deploy/b/gateway.yaml": gateway(("http",)),
        "shared/service.yaml": SERVICE,
        "shared/route.yaml": route("web", "http"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)


def test_plan_labels_overlays_and_inherits_flux_clusters() -> None:
    k = {
        "base/kustomization.yaml": "resources: [a.yaml]\n",
        "env/prod/kustomization.yaml": "resources: [../../base]\n",
        "env/dev/kustomization.yaml": "resources: [../../base]\n",
        "one/kustomization.yaml": "resources: [../common/c.yaml]\n",
        "two/deep/kustomization.yaml": "resources: [../../common/c.yaml]\n",
    }
    kusts = [parse_kustomization(p, t.encode()) for p, t in k.items()]
    tree = Tree.of({"base/a.yaml", "common/c.yaml", "clusters/x/apps.yaml", "apps/b.yaml", *k}, kusts)
    placed = plan(tree, [])
    assert {p.cluster for p in placed["base/a.yaml"]} == {"prod", "dev"}
    assert {p.cluster for p in placed["common/c.yaml"]} == {None}  # independent roots, not siblings
    assert "apps/b.yaml" not in placed  # outside every kustomization, no Flux root: deployed as written
    placed = plan(tree, [Root("clusters/x", "clusters/x", cluster="clusters/x"),
                         Root("flux:flux-system/apps", "apps", origin="clusters/x/apps.yaml")])
    assert {p.cluster for p in placed["apps/b.yaml"]} == {"clusters/x"}  # inherited from the file's deployer
    # With Flux roots, the kustomizations they do not reach deploy nothing.
    assert [p.excluded for p in placed["base/a.yaml"]] == [
        "not deployed: no Flux Kustomization, Argo CD Application or declared scope of this repository "
        "deploys base/kustomization.yaml"]


def test_facts_of_a_route_in_each_cluster(repo: GitRepo) -> None:
    files = two_flux_clusters()
    files["apps/base/route2.yaml"] = route("secure", "https")
    files["apps/base/kustomization.yaml"] = kustomization(["service.yaml", "route.yaml", "route2.yaml"])
    repo.commit("a route to a listener only prod has", files)

    def accepted(cluster: str) -> str:
        proc = run_cli("facts", "HTTPRoute/apps/secure", "--rev", "HEAD", "--cluster", cluster, cwd=repo.path)
        assert proc.returncode == 0, proc.stderr
        return str(json.loads(proc.stdout)["status"]["parents"][0]["accepted"])

    assert (accepted("clusters/prod"), accepted("clusters/staging")) == ("True", "False")
    for args in ((), ("--cluster", "clusters/nope")):
        proc = run_cli("facts", "HTTPRoute/apps/secure", "--rev", "HEAD", *args, cwd=repo.path)
        assert proc.returncode == 2 and "clusters/prod, clusters/staging" in proc.stderr, proc.stderr


def test_init_names_the_clusters_and_deploy_roots(repo: GitRepo) -> None:
    repo.commit("two clusters", two_flux_clusters())
    proc = run_cli("init", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    text = (repo.path / ".policycheck.yaml").read_text(encoding="utf-8")
    assert "# Clusters found, each judged on its own: clusters/prod, clusters/staging" in text
    assert "#   - apps/base" in text


def test_each_flux_bootstrap_is_a_cluster_wherever_it_lives(repo: GitRepo) -> None:
    """`kubernetes/<cluster>/flux/...`: the flux-system Kustomization names the cluster, not the folders."""
    files: dict[str, str | None] = {
        "kubernetes/shared/app/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "kubernetes/shared/app/service.yaml": SERVICE,
        "kubernetes/shared/app/route.yaml": route("web", "http"),
    }
    for cluster, listeners in (("main", ("http", "https")), ("edge", ("http",))):
        files[f"kubernetes/{cluster}/bootstrap/flux-system.yaml"] = flux("flux-system", f"./kubernetes/{cluster}/flux")
        files[f"kubernetes/{cluster}/flux/apps.yaml"] = flux("apps", "./kubernetes/shared/app")
        files[f"kubernetes/{cluster}/flux/infra.yaml"] = flux("infra", f"./kubernetes/{cluster}/infra")
        files[f"kubernetes/{cluster}/infra/gateway.yaml"] = gateway(listeners)
    repo.commit("two bootstraps", files)
    only_one_cluster_lacks_https(repo, "kubernetes/shared/app/route.yaml", "kubernetes/edge/flux")


def test_a_kustomization_no_other_deploys_that_deploys_others_is_a_cluster_bootstrap(repo: GitRepo) -> None:
    """Bootstraps not called flux-system: the folder defining each entry point is a cluster."""
    files: dict[str, str | None] = {
        "kubernetes/shared/app/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "kubernetes/shared/app/service.yaml": SERVICE,
        "kubernetes/shared/app/route.yaml": route("web", "http"),
    }
    for cluster, listeners in (("main", ("http", "https")), ("edge", ("http",))):
        files[f"kubernetes/{cluster}/flux/config/cluster.yaml"] = flux("cluster", f"./kubernetes/{cluster}/flux/apps")
        files[f"kubernetes/{cluster}/flux/apps/apps.yaml"] = flux("apps", "./kubernetes/shared/app")
        files[f"kubernetes/{cluster}/flux/apps/infra.yaml"] = flux("infra", f"./kubernetes/{cluster}/infra")
        files[f"kubernetes/{cluster}/infra/gateway.yaml"] = gateway(listeners)
    repo.commit("two bootstraps", files)
    only_one_cluster_lacks_https(repo, "kubernetes/shared/app/route.yaml", "kubernetes/edge/flux/config")
