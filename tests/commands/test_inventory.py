"""`policycheck inventory`: what a state or a kustomization deploys, from disk or from a commit."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import GitRepo, run_cli
from kustomize_fixtures import ROUTE, SERVICE


def _objects(stdout: str) -> list[tuple[str, str | None, str, str, int]]:
    return [(o["kind"], o["namespace"], o["name"], o["file"], o["line"]) for o in json.loads(stdout)["objects"]]


def test_path_at_a_revision_reads_the_commit_not_the_disk(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("app", {"apps/web/route.yaml": ROUTE, "apps/web/svc.yaml": "---\n" + SERVICE,
                        "apps/web/kustomization.yaml": "namespace: web\nresources: [route.yaml, svc.yaml]\n"})
    repo.write("apps/web/kustomization.yaml", "resources: [route.yaml]\n")
    proc = run_cli("inventory", "apps/web", "--rev", "HEAD", "--repo", str(repo.path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert _objects(proc.stdout) == [("HTTPRoute", "web", "web", "apps/web/route.yaml", 1),
                                     ("Service", "web", "web", "apps/web/svc.yaml", 2)]
    data = json.loads(proc.stdout)
    assert data["objects"][0]["deployedBy"] == ["apps/web/kustomization.yaml", "apps/web/route.yaml"]
    on_disk = run_cli("inventory", "apps/web", "--format", "json", cwd=repo.path)
    assert _objects(on_disk.stdout) == [("HTTPRoute", None, "web", "apps/web/route.yaml", 1)]


def test_remote_resources_and_charts_are_unknown_not_objects(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - https://github.com/example/repo//deploy?ref=v1\n  - route.yaml\n"
        "helmCharts:\n  - name: podinfo\n    repo: https://stefanprodan.github.io/podinfo\n")
    (tmp_path / "route.yaml").write_text(ROUTE)
    proc = run_cli("inventory", ".", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [o["kind"] for o in data["objects"]] == ["HTTPRoute"]
    assert data["unknown"] == [
        {"file": "kustomization.yaml", "line": 2, "reason": "remote resource https://github.com/example/repo//deploy?ref=v1"},
        {"file": "kustomization.yaml", "line": 5, "reason": "helmCharts chart podinfo"}]
    text = run_cli("inventory", ".", cwd=tmp_path).stdout
    assert "unknown: helmCharts chart podinfo  kustomization.yaml:5" in text


def test_a_failing_json_patch_makes_its_fields_unknown(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [route.yaml]\npatches:\n  - target: {kind: HTTPRoute}\n    patch: |-\n"
        "      - op: test\n        path: /spec/hostnames/0\n        value: other\n"
        "      - op: replace\n        path: /spec/hostnames/0\n        value: x\n")
    (tmp_path / "route.yaml").write_text(ROUTE)
    data = json.loads(run_cli("inventory", ".", "--format", "json", cwd=tmp_path).stdout)
    assert data["objects"][0]["unknownFields"] == ["spec.hostnames.0"]


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - route.yaml\n  - missing.yaml\n")
    (tmp_path / "route.yaml").write_text(ROUTE)
    proc = run_cli("inventory", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "kustomization.yaml:3: resource missing.yaml not found" in proc.stderr
    (tmp_path / "plain").mkdir()
    proc = run_cli("inventory", "plain", cwd=tmp_path)
    assert proc.returncode == 2 and "no kustomization" in proc.stderr


def test_without_path_lists_every_object_the_state_judges(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("app", {"apps/route.yaml": ROUTE, "infra/svc.yaml": SERVICE,
                        "apps/kustomization.yaml": "namespace: web\nresources: [route.yaml]\n"})
    proc = run_cli("inventory", "--rev", "HEAD", "--repo", str(repo.path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(_objects(proc.stdout)) == [("HTTPRoute", "web", "web", "apps/route.yaml", 1),
                                             ("Service", "default", "web", "infra/svc.yaml", 1)]
    on_disk = run_cli("inventory", "--format", "json", cwd=repo.path / "apps")
    assert sorted(_objects(on_disk.stdout)) == sorted(_objects(proc.stdout))
