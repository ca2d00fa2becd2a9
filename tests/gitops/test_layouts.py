"""GitOps layouts judged by the real CLI on real Git histories written for the purpose."""

from __future__ import annotations

from typing import Any

from gitops_manifests import HTTP, HTTPS, findings, flux, helm_release, kustomization, network_gateway
from gitrepo import GitRepo, check_json, run_cli

GATEWAY = network_gateway(listeners=(HTTPS, HTTP))


def service(name: str, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}{ns}
spec:
  ports:
    - name: http
      port: 80
"""


def route(name: str, parent: str = "internal", backend: str = "web", namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}{ns}
spec:
  parentRefs:
    - name: {parent}
      namespace: network
      sectionName: http
  rules:
    - backendRefs:
        - name: {backend}
          port: 80
"""





def status(repo: GitRepo) -> dict[str, Any]:
    import json

    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def route_keys(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["namespace"], r["name"]) for r in report["routes"]}


def test_overlays_put_a_base_in_each_overlay_namespace(repo: GitRepo) -> None:
    repo.commit("gateway", {"infra/gateway.yaml": GATEWAY})
    repo.commit("base and overlays", {
        "apps/base/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "apps/base/service.yaml": service("web"),
        "apps/base/route.yaml": route("web"),
        "apps/overlays/staging/kustomization.yaml": kustomization(["../../base"], "staging"),
        "apps/overlays/prod/kustomization.yaml": kustomization(["../../base"], "prod"),
    })
    st = status(repo)
    assert {("staging", "web"), ("prod", "web")} <= route_keys(st)
    assert ("default", "web") not in route_keys(st)
    for r in st["routes"]:
        for p in r["parents"]:
            accepted = {c["type"]: c for c in p["conditions"]}["Accepted"]
            assert accepted["status"] == "True", (r, p)
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert not [f for f in findings(report) if f["severity"] == "error"]


def test_changing_only_the_kustomization_moves_the_objects(repo: GitRepo) -> None:
    repo.commit("gateway", {"infra/gateway.yaml": GATEWAY})
    repo.commit("app", {
        "app/kustomization.yaml": kustomization(["service.yaml", "route.yaml"], "one"),
        "app/service.yaml": service("web"),
        "app/route.yaml": route("web"),
    })
    repo.commit("move", {"app/kustomization.yaml": kustomization(["service.yaml", "route.yaml"], "two")})
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert ("two", "web") in route_keys(status(repo))
    last = report["commits"][-1]
    assert last["changes"]["created"] == 2 and last["changes"]["deleted"] == 2


def test_two_clusters_sharing_a_base_are_not_duplicates(repo: GitRepo) -> None:
    repo.commit("base", {
        "infra/gateway.yaml": GATEWAY,
        "apps/base/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "apps/base/service.yaml": service("web"),
        "apps/base/route.yaml": route("web", parent="${GATEWAY_NAME}"),
        "clusters/a/infra.yaml": flux("infra", "./infra"),
        "clusters/b/infra.yaml": flux("infra", "./infra"),
        "clusters/a/apps.yaml": flux("apps", "./apps/base", "apps", {"GATEWAY_NAME": "internal"}),
        "clusters/b/apps.yaml": flux("apps-b", "./apps/base", "apps", {"GATEWAY_NAME": "internal"}),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert not findings(report, "duplicate-resource")
    assert not findings(report, "parent-exists")
    st = status(repo)
    assert ("apps", "web") in route_keys(st)


def _vars(gateway: str) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  GATEWAY_NAME: {gateway}
"""


def test_an_edited_configmap_a_flux_kustomization_substitutes_from_places_anew(repo: GitRepo) -> None:
    """Only the ConfigMap changes, yet the route's parent does: the plan is made again."""
    apps = flux("apps", "./apps/base", "apps").replace(
        "  sourceRef:", "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n"
                        "  sourceRef:")
    repo.commit("base", {
        "infra/gateway.yaml": GATEWAY,
        "apps/base/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        "apps/base/service.yaml": service("web"),
        "apps/base/route.yaml": route("web", parent="${GATEWAY_NAME}"),
        "clusters/a/infra.yaml": flux("infra", "./infra"),
        "clusters/a/apps.yaml": apps,
        "clusters/a/vars.yaml": _vars("internal"),
    })
    repo.commit("an unrelated ConfigMap", {"apps/base/other.yaml": _vars("x").replace("cluster-vars", "other")})
    repo.commit("a gateway that is not there", {"clusters/a/vars.yaml": _vars("elsewhere")})
    repo.commit("back", {"clusters/a/vars.yaml": _vars("internal")})
    code, report = check_json(repo, "--history")
    assert code == 1
    assert [len(findings(report, "parent-exists", commit=i)) for i in range(4)] == [0, 0, 1, 0]
    missing = findings(report, "parent-exists", commit=2)[0]
    assert missing["resource"]["name"] == "web" and "elsewhere" in missing["message"], missing


def test_a_variable_without_value_is_not_a_missing_parent(repo: GitRepo) -> None:
    repo.commit("base", {
        "infra/gateway.yaml": GATEWAY,
        "apps/service.yaml": service("web", "apps"),
        "apps/route.yaml": route("web", parent="${GATEWAY_NAME}", namespace="apps"),
    })
    _, report = check_json(repo, "--history")
    for f in findings(report, "parent-exists"):
        assert f["severity"] == "warning", f
        assert "no literal value" in f["message"]


HELMRELEASE = helm_release()


def test_a_helm_created_service_is_unknown_not_missing(repo: GitRepo) -> None:
    repo.commit("gateway and release", {
        "infra/gateway.yaml": GATEWAY,
        "media/sonarr/helmrelease.yaml": HELMRELEASE,
        "media/sonarr/route.yaml": route("sonarr", backend="sonarr", namespace="media"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    backends = findings(report, "backends-resolve")
    assert backends and all(f["severity"] == "warning" for f in backends)
    assert "HelmRelease media/sonarr" in backends[0]["message"]


def test_a_chart_namespace_leaves_an_absent_service_unknown_beside_plain_ones(repo: GitRepo) -> None:
    repo.commit("gateway and release", {
        "infra/gateway.yaml": GATEWAY,
        "media/sonarr/helmrelease.yaml": HELMRELEASE,
        "media/other.yaml": service("other", "media"),
        "media/sonarr/route.yaml": route("sonarr", backend="sonarr", namespace="media"),
        "shop/other.yaml": service("other", "shop"),
        "shop/route.yaml": route("cart", backend="cart", namespace="shop"),
    })
    code, report = check_json(repo, "--history")
    assert code == 1
    severities = {f["file"]: f["severity"] for f in findings(report, "backends-resolve")}
    assert severities == {"media/sonarr/route.yaml": "warning", "shop/route.yaml": "error"}


def test_a_service_deleted_earlier_is_missing_even_where_a_chart_deploys(repo: GitRepo) -> None:
    repo.commit("all", {
        "infra/gateway.yaml": GATEWAY,
        "media/sonarr/helmrelease.yaml": HELMRELEASE,
        "media/sonarr/service.yaml": service("sonarr", "media"),
        "media/sonarr/route.yaml": route("sonarr", backend="sonarr", namespace="media"),
    })
    repo.commit("delete the service", {"media/sonarr/service.yaml": None})
    code, report = check_json(repo, "--history")
    assert code == 1
    last = findings({"commits": report["commits"][-1:]}, "backends-resolve")
    assert last and last[0]["severity"] == "error"


def test_declared_external_parent_is_not_reported(repo: GitRepo) -> None:
    repo.commit("route to an external gateway", {
        ".policycheck.yaml": "externalParents:\n  - kind: Gateway\n    namespace: network\n    name: '*'\n",
        "apps/service.yaml": service("web", "apps"),
        "apps/route.yaml": route("web", namespace="apps"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert not findings(report, "parent-exists")


ARGO_APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/repo.git
    path: shop
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
"""


def test_a_valid_kustomize_history_has_no_reference_errors(repo: GitRepo) -> None:
    """Argo CD destination namespace, kustomize helmCharts, overlays: every commit valid."""
    repo.commit("gateway", {"infra/kustomization.yaml": kustomization(["gateway.yaml"]), "infra/gateway.yaml": GATEWAY})
    repo.commit("argo app", {"argocd/shop.yaml": ARGO_APP, "shop/service.yaml": service("web"),
                             "shop/route.yaml": route("web"),
                             "argocd/infra.yaml": ARGO_APP.replace("shop", "infra"),
                             "argocd/charts.yaml": ARGO_APP.replace("shop", "charts")})
    repo.commit("chart", {
        "charts/kustomization.yaml": kustomization(["route.yaml"], "metrics")
        + "helmCharts:\n  - name: grafana\n    repo: https://grafana.github.io/helm-charts\n",
        "charts/route.yaml": route("grafana", backend="grafana", namespace="metrics"),
    })
    repo.commit("second route", {"shop/route2.yaml": route("web2")})
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    errors = [f for f in findings(report) if f["severity"] == "error"]
    assert not errors
    assert ("shop", "web2") in route_keys(status(repo))
