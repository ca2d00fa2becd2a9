"""Changes that try to weaken their own check: text that looks like a Helm template, configuration and
policies of the change itself, YAML read otherwise than Kubernetes reads it, a sparse checkout."""

from __future__ import annotations

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route

MISSING = "Service default/nowhere port=80: no such parent"
CHART = "apiVersion: v2\nname: c\nversion: 1.0.0\n"
ALERTS = """apiVersion: v1
kind: ConfigMap
metadata:
  name: alerts
  namespace: default
data:
  rule: "{{ $labels.instance }} is down"
"""


def annotated(parent: str) -> str:
    return route(parent).replace("  namespace: default\n",
                                 "  namespace: default\n  annotations:\n    description: \"{{ not a template }}\"\n")


@pytest.mark.parametrize("files", [
    {"r.yaml": annotated("nowhere")},
    {"r.yaml": route("nowhere") + "---\n" + ALERTS},
    {"r.yaml": route('"{{ .Values.parent }}"')},  # a name like any other outside chart values
    {"x/templates/r.yaml": route("nowhere")},  # a templates folder without Chart.yaml
    {"chart/Chart.yaml": CHART, "chart/other/templates/r.yaml": route("nowhere")},
])
def test_braces_in_an_ordinary_string_do_not_switch_a_file_off(repo: GitRepo, files: dict[str, str]) -> None:
    """`{{ ... }}` outside a chart's templates is text: the route is checked (exit 1), --net too."""
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("web")})
    repo.git("checkout", "-q", "-b", "change")
    repo.commit("retarget", {**files, **({} if "r.yaml" in files else {"r.yaml": None})})
    for args in (("HEAD",), ("--base", "main"), ("--base", "main", "--net")):
        code, report, _ = check(repo, *args)
        assert code == 1, (args, report)
        assert [f["severity"] for f in findings(report) if f["policy"] == "parent-exists"] == ["error"], report
        assert "manifest-skipped" not in str(report)


def test_a_retarget_in_an_annotated_route_fails(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": annotated("web")})
    code, report, _ = check(repo, "HEAD")
    assert code == 0, report
    repo.commit("retarget", {"r.yaml": annotated("nowhere")})
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and MISSING in str(report)
    assert {f["policy"] for f in findings(report)} >= {"parent-exists", "no-in-place-detach"}


def test_a_chart_template_is_skipped_while_its_chart_has_a_chart_yaml(repo: GitRepo) -> None:
    """A file under a chart's templates folder is skipped (info); it becomes a manifest when the
    Chart.yaml goes, and a template again when it comes back, each judged in that commit."""
    repo.commit("base", {"svc.yaml": SERVICE, "chart/Chart.yaml": CHART,
                         "chart/templates/r.yaml": route("nowhere")})
    code, report, _ = check(repo, "--history")
    assert code == 0 and "Helm chart template" in str(report)
    repo.commit("no chart", {"chart/Chart.yaml": None})
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and MISSING in str(report), report
    repo.commit("chart again", {"chart/Chart.yaml": CHART})
    code, report, _ = check(repo, "HEAD~2..HEAD")
    assert code == 1 and report is not None
    assert [c["result"] for c in report["commits"]] == ["fail", "pass"]
    assert not any(f["policy"] == "parent-exists" for f in report["commits"][1]["findings"])


def test_chart_values_keep_their_expressions(repo: GitRepo) -> None:
    """The same name from chart values (a HelmRelease's spec.values) stays unknown: a warning (exit 0)."""
    release = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: default
spec:
  values:
    gateway: "{{ .Values.parent }}"
"""
    repo.commit("base", {"svc.yaml": SERVICE, "release.yaml": release})
    repo.commit("route", {"r.yaml": route('"{{ .Values.parent }}"')})
    code, report, _ = check(repo, "HEAD")
    assert code == 0, report
    assert [f["severity"] for f in findings(report) if f["policy"] == "parent-exists"] == ["warning"]
