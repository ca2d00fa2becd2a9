"""Chart values holding Helm template expressions (`{{ ... }}`, rendered by the chart's `tpl`)."""

from __future__ import annotations

import json

import pytest
from gitops_manifests import findings, helm_release, network_gateway
from gitrepo import GitRepo, check_json, run_cli

from policycheck.manifests import is_helm_template

GATEWAY = network_gateway()


def release(parent: str = "internal", host: str = '"{{ .Release.Name }}.example.com"') -> str:
    return helm_release("app-template", "bjw-s", f"""    # {{{{ .Values.ignored }}}} in a comment is no template either
    service:
      app:
        controller: sonarr
        ports:
          http:
            port: 8989
    route:
      app:
        hostnames:
          - {host}
        parentRefs:
          - name: {parent}
            namespace: network
            sectionName: https
        rules:
          - backendRefs:
              - identifier: app
                port: 8989
""")


ARGO = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
spec:
  source:
    repoURL: https://charts.example.com
    chart: shop
    helm:
      values: |
        host: {{ .Release.Name }}.example.com
  destination:
    namespace: shop
"""


@pytest.mark.parametrize(("path", "text", "template"), [
    ("media/release.yaml", release(), False),
    ("argocd/shop.yaml", ARGO, False),
    ("chart/templates/route.yaml", release(), True),  # a chart's templates folder
    ("x/route.yaml", "kind: HTTPRoute\nmetadata:\n  name: {{ .Release.Name }}\n", True),  # does not parse
    ("x/route.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: '{{ .Release.Name }}'\n", True),
    ("x/r.yaml", release().replace("name: sonarr", "name: '{{ .Release.Name }}'"), True),  # outside the values
    ("x/r.yaml", release().replace("    service:", "    '{{ .Values.key }}': 1\n    service:"), True),  # a key
    ("x/r.yaml", "{{- if .Values.enabled }}\n" + release() + "{{- end }}\n", True),
    ("x/plain.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n", False),
])
def test_which_files_are_helm_templates(path: str, text: str, template: bool) -> None:
    assert is_helm_template(path, text) is template



def test_routes_of_a_release_whose_values_use_tpl_are_checked(repo: GitRepo) -> None:
    repo.commit("release", {"infra/gateway.yaml": GATEWAY, "media/release.yaml": release()})
    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    routes = {(r["namespace"], r["name"]) for r in json.loads(proc.stdout)["routes"]}
    assert ("media", "sonarr") in routes
    code, report = check_json(repo, "--history")
    assert not findings(report, "manifest-skipped"), findings(report)
    assert not [f for f in findings(report) if f["severity"] == "error"], findings(report)
    repo.commit("retarget", {"media/release.yaml": release(parent="nowhere")})
    code, report = check_json(repo, "HEAD")
    assert code == 1
    assert [f["resource"]["name"] for f in findings(report, "parent-exists")] == ["sonarr"]


def test_a_parent_named_by_a_helm_expression_is_unknown_not_missing(repo: GitRepo) -> None:
    repo.commit("release", {"infra/gateway.yaml": GATEWAY,
                            "media/release.yaml": release(parent='"{{ .Values.gateway }}"')})
    code, report = check_json(repo, "--history")
    assert code == 0, findings(report)
    parents = findings(report, "parent-exists")
    assert parents and all(f["severity"] == "warning" for f in parents)
    assert "Helm template expression {{ .Values.gateway }}" in parents[0]["message"]
