"""Changes that try to weaken their own check: text that looks like a Helm template, configuration and
policies of the change itself, YAML read otherwise than Kubernetes reads it, a sparse checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route
from hostile.test_policies import NO_FOO

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


RANGES = (("--base", "main"), ("main..feature",), ("--base", "main", "--net"))


def test_config_named_inside_the_repository_is_read_at_the_base(repo: GitRepo) -> None:
    """`--config ci/policycheck.yaml`, a file of the repository: the change's own edit of it (disabling
    parent-exists) does not judge the change; the base's version does (exit 1 in every range form)."""
    repo.commit("base", {"svc.yaml": SERVICE, "ci/policycheck.yaml": "defaultNamespace: default\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("relax", {"ci/policycheck.yaml": "disable: [parent-exists, no-in-place-detach]\n",
                          "r.yaml": route("nowhere")})
    config = str(repo.path / "ci" / "policycheck.yaml")
    for args in RANGES:
        code, report, _ = check(repo, "--config", config, *args)
        assert code == 1 and "parent-exists" in [f["policy"] for f in findings(report)], args
    code, report, _ = check(repo, "--config", config, "--base", "main", "--policy-source", "head")
    assert code == 0, report  # trusting the head reads the change's own file
    code, _, err = check(repo, "--config", config, "HEAD")
    assert code == 0, err  # one commit, not a range: the working tree's file


def test_config_missing_at_the_base_is_an_error(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("new config", {"ci/policycheck.yaml": "disable: [parent-exists]\n", "r.yaml": route("nowhere")})
    code, _, err = check(repo, "--config", str(repo.path / "ci" / "policycheck.yaml"), "--base", "main")
    assert code == 2 and "ci/policycheck.yaml is not in the base revision" in err, err


def test_config_outside_the_repository_is_read_from_disk(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("disable: [parent-exists, no-in-place-detach]\n")
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("route", {"r.yaml": route("nowhere")})
    code, report, _ = check(repo, "--config", str(outside), "--base", "main")
    assert code == 0, report


def test_policies_named_inside_the_repository_are_read_at_the_base(repo: GitRepo) -> None:
    """`--policies DIR` of the repository: deleting or weakening its policy in the change changes nothing."""
    repo.commit("base", {"svc.yaml": SERVICE, "checks/no-foo.yaml": NO_FOO})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("weaken", {"checks/no-foo.yaml": NO_FOO.replace("resource.metadata.name == 'foo'", "`false`"),
                           "r.yaml": route("web", "foo")})
    for args in RANGES:
        code, report, _ = check(repo, "--policies", str(repo.path / "checks"), *args)
        assert code == 1 and "no-foo" in [f["policy"] for f in findings(report)], args
    repo.commit("drop", {"checks/no-foo.yaml": None})
    code, report, _ = check(repo, "--policies", str(repo.path / "checks"), "--base", "main")
    assert code == 1 and "no-foo" in [f["policy"] for f in findings(report)]
