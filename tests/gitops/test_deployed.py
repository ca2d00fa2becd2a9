"""The deployed set: only what a root of this repository reaches is in a state."""

from __future__ import annotations

import json

import pytest
from gitops_manifests import HTTPS, argo, findings, flux, kustomization, network_gateway
from gitrepo import GitRepo, check_json, run_cli

from policycheck.gitops.repository import BOOTSTRAP, DECLARED, MAJORITY, REMOTES, decide, normalise

GATEWAY = network_gateway(listeners=(HTTPS,))


def route(name: str, namespace: str = "web", parent: str = "internal") -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: {namespace}
spec:
  parentRefs:
    - name: {parent}
      namespace: network
"""


@pytest.mark.parametrize("url", [
    "https://github.com/Owner/Repo.git", "git@github.com:owner/repo.git", "ssh://git@github.com/owner/repo",
    "https://github.com/owner/repo/", "ssh://git@github.com:22/owner/repo",
])
def test_urls_name_one_repository_however_written(url: str) -> None:
    assert normalise(url) == "github.com/owner/repo"


def test_which_rule_says_which_repository_this_is() -> None:
    here, other = "github.com/o/here", "github.com/o/other"
    assert decide([here, other], ["https://github.com/o/here"], [], []).rule == DECLARED
    assert decide([here, other], [], ["git@github.com:o/here.git"], []).urls == {here}
    assert decide([here, other], [], ["git@github.com:o/here.git"], []).rule == REMOTES
    assert decide([here, other], [], ["https://github.com/o/fork"], [other]).rule == BOOTSTRAP
    assert decide([here, here, other], [], [], []).urls == {here}
    assert decide([here, here, other], [], [], []).rule == MAJORITY


def test_an_application_of_another_repository_deploys_none_of_this_one(repo: GitRepo) -> None:
    repo.git("remote", "add", "origin", "git@github.com:owner/here.git")
    repo.commit("apps", {
        "argocd/infra.yaml": argo("infra", "infra", repo_url="https://github.com/owner/here"),
        "argocd/shop.yaml": argo("shop", "shop", repo_url="https://github.com/owner/elsewhere.git"),
        "infra/gateway.yaml": GATEWAY,
        "shop/route.yaml": route("shop", parent="missing"),
    })
    repo.commit("a route of this repository", {
        "argocd/web.yaml": argo("web", "web", repo_url="https://github.com/owner/here.git"),
        "web/route.yaml": route("web"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    notes = findings(report, "not-deployed")
    assert [(n["file"], n["severity"]) for n in notes] == [("shop/route.yaml", "info")]
    assert "no Flux Kustomization, Argo CD Application or declared scope" in notes[0]["message"]


def test_a_resource_left_out_of_its_kustomization_is_not_deployed(repo: GitRepo) -> None:
    repo.commit("apps", {
        "clusters/main/infra.yaml": flux("infra", "./infra"),
        "clusters/main/apps.yaml": flux("apps", "./apps"),
        "infra/gateway.yaml": GATEWAY,
        "apps/kustomization.yaml": "resources:\n  - route.yaml\n  # - old.yaml\n",
        "apps/route.yaml": route("web"),
        "apps/old.yaml": route("old", parent="gone"),
        "archive/route.yaml": route("archived", parent="gone"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    notes = {n["file"]: n["message"] for n in findings(report, "not-deployed")}
    assert notes == {"apps/old.yaml": "not deployed: apps/kustomization.yaml does not list it",
                     "archive/route.yaml": "not deployed: no Flux Kustomization, Argo CD Application or declared "
                                           "scope of this repository reaches it"}


def test_without_roots_a_file_outside_every_kustomization_is_deployed(repo: GitRepo) -> None:
    repo.commit("apps", {
        "infra/gateway.yaml": GATEWAY,
        "apps/kustomization.yaml": "resources: [route.yaml]\n",
        "apps/route.yaml": route("web"),
        "apps/draft.yaml": route("draft", parent="gone"),
        "loose/route.yaml": route("loose", parent="gone"),
    })
    code, report = check_json(repo, "--history")
    assert code == 1
    assert {f["file"] for f in findings(report, "parent-exists")} == {"loose/route.yaml"}
    assert {f["file"] for f in findings(report, "not-deployed")} == {"apps/draft.yaml"}


APPSET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://github.com/owner/here.git
        revision: HEAD
        directories:
          - path: apps/*
          - path: apps/legacy
            exclude: true
  template:
    metadata:
      name: '{{ .path.basename }}'
    spec:
      source:
        repoURL: https://github.com/owner/here.git
        path: '{{ .path.path }}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ .path.basename }}'
"""


def unplaced_route(name: str, parent: str = "internal") -> str:
    return route(name, parent=parent).replace("  namespace: web\n", "", 1)


@pytest.mark.parametrize("appset", [APPSET, APPSET.replace("  goTemplate: true\n", "").replace(
    "{{ .path.basename }}", "{{path.basename}}").replace("{{ .path.path }}", "{{path}}")])
def test_an_application_set_deploys_the_folders_its_git_generator_matches(repo: GitRepo, appset: str) -> None:
    repo.commit("apps", {
        "argocd/appset.yaml": appset,
        "argocd/infra.yaml": argo("infra", "infra", repo_url="https://github.com/owner/here"),
        "infra/gateway.yaml": GATEWAY,
        "apps/web/route.yaml": unplaced_route("web"),
        "apps/legacy/route.yaml": unplaced_route("legacy", parent="gone"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    assert {n["file"] for n in findings(report, "not-deployed")} == {"apps/legacy/route.yaml"}
    st = json.loads(run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path).stdout)
    assert {(r["namespace"], r["name"]) for r in st["routes"]} == {("web", "web")}


def test_the_namespace_a_kustomization_sets_renames_its_namespace_objects(repo: GitRepo) -> None:
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n"
    repo.commit("two namespaces from one template", {
        "components/namespace.yaml": namespace,
        "infra/kustomization.yaml": kustomization(["namespace.yaml", "gateway.yaml"], "network"),
        "infra/namespace.yaml": namespace,
        "infra/gateway.yaml": GATEWAY,
        "web/kustomization.yaml": kustomization(["namespace.yaml", "route.yaml"], "web"),
        "web/namespace.yaml": namespace,
        "web/route.yaml": route("web"),
    })
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    st = json.loads(run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path).stdout)
    assert {(r["namespace"], r["name"]) for r in st["routes"]} == {("web", "web")}


def test_a_flux_kustomization_commented_out_of_its_kustomization_deploys_nothing(repo: GitRepo) -> None:
    """A Flux Kustomization whose own file nothing deploys is not a root: commenting `./b/ks.yaml` out of
    the parent kustomization switches the whole application off, however its folder is laid out."""
    repo.commit("apps", {
        "clusters/main/flux-system/kustomization.yaml": "resources: [sync.yaml]\n",
        "clusters/main/flux-system/sync.yaml": flux("flux-system", "./clusters/main"),
        "clusters/main/apps.yaml": flux("apps", "./apps"),
        "infra/kustomization.yaml": "resources: [gateway.yaml]\n",
        "infra/gateway.yaml": GATEWAY,
        "clusters/main/infra.yaml": flux("infra", "./infra"),
        "apps/kustomization.yaml": "resources:\n  - ./a/ks.yaml\n  - ./b/ks.yaml\n",
        "apps/a/ks.yaml": flux("a", "./apps/a/app", target="web"),
        "apps/a/app/kustomization.yaml": "resources: [route.yaml]\n",
        "apps/a/app/route.yaml": unplaced_route("a"),
        "apps/b/ks.yaml": flux("b", "./apps/b/app", target="web"),
        "apps/b/app/kustomization.yaml": "resources: [route.yaml, copy.yaml]\n",
        "apps/b/app/route.yaml": unplaced_route("b", parent="retired"),
        "apps/b/app/copy.yaml": unplaced_route("a"),
    })
    code, report = check_json(repo, "HEAD")
    assert code == 1 and {f["file"] for f in findings(report, "parent-exists")} == {"apps/b/app/route.yaml"}
    repo.commit("b is switched off", {"apps/kustomization.yaml": "resources:\n  - ./a/ks.yaml\n  # - ./b/ks.yaml\n"})
    code, report = check_json(repo, "HEAD")
    assert code == 0, findings(report)
    assert not findings(report, "duplicate-resource")
    notes = {n["file"] for n in findings(report, "not-deployed")}
    assert {"apps/b/app/route.yaml", "apps/b/app/copy.yaml"} <= notes, notes


def test_a_component_deploys_its_resources_into_the_namespace_of_its_user(repo: GitRepo) -> None:
    repo.commit("apps", {
        "clusters/main/infra.yaml": flux("infra", "./infra"),
        "clusters/main/apps.yaml": flux("apps", "./apps"),
        "infra/gateway.yaml": GATEWAY,
        "apps/kustomization.yaml": "namespace: web\ncomponents:\n  - ../components/routes\n",
        "components/routes/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                               "resources:\n  - ./route.yaml\n",
        "components/routes/route.yaml": unplaced_route("shared", parent="gone"),
    })
    code, report = check_json(repo, "HEAD")
    assert code == 1
    assert [(f["file"], f["resource"]["namespace"]) for f in findings(report, "parent-exists")] == [
        ("components/routes/route.yaml", "web")]
    assert not findings(report, "not-deployed")
