"""Chart values holding Helm template expressions (`{{ ... }}`, rendered by the chart's `tpl`)."""

from __future__ import annotations

import json

import pytest
from gitops_manifests import findings, helm_release, network_gateway
from gitrepo import GitRepo, check_json, run_cli

from policycheck.manifests import chart_template, parse_file

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


@pytest.mark.parametrize(("path", "charts", "template"), [
    ("chart/templates/route.yaml", {"chart"}, True),  # a chart's templates folder
    ("chart/templates/sub/route.yaml", {"chart"}, True),
    ("templates/route.yaml", {""}, True),  # the repository is the chart
    ("x/templates/route.yaml", set(), False),  # no Chart.yaml: an ordinary folder
    ("chart/other/templates/route.yaml", {"chart"}, False),  # not the chart's own templates folder
    ("chart/route.yaml", {"chart"}, False),
])
def test_which_files_are_chart_templates(path: str, charts: set[str], template: bool) -> None:
    assert chart_template(path, charts.__contains__) is template


@pytest.mark.parametrize(("text", "names"), [
    (release(), ["sonarr"]),
    (ARGO, ["shop"]),
    ("apiVersion: v1\nkind: Service\nmetadata:\n  name: '{{ .Release.Name }}'\n", ["{{ .Release.Name }}"]),
    (release().replace("name: sonarr", "name: '{{ .Release.Name }}'"), ["{{ .Release.Name }}"]),
    (release().replace("    service:", "    '{{ .Values.key }}': 1\n    service:"), ["sonarr"]),
])
def test_expressions_outside_a_chart_are_text(text: str, names: list[str]) -> None:
    entry = parse_file("x/r.yaml", text.encode())
    assert [r.key.name for r in entry.resources] == names and not entry.diagnostics


@pytest.mark.parametrize("text", ["apiVersion: v1\nkind: HTTPRoute\nmetadata:\n  name: {{ .Release.Name }}\n",
                                  "{{- if .Values.enabled }}\n" + release() + "{{- end }}\n"])
def test_a_template_outside_a_chart_is_a_parse_error(text: str) -> None:
    (diagnostic,) = parse_file("x/r.yaml", text.encode()).diagnostics
    assert diagnostic.id == "manifest-parse-error"


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
