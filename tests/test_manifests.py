"""Turning files into objects: documents, lists, lines, templates, parse errors."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo, check_json
from manifests_fixtures import mesh_route, service

from policycheck.config import Config
from policycheck.loader import load_paths
from policycheck.manifests import parse_file


def test_multi_document_lines_and_nested_paths() -> None:
    text = service("a") + "---\n# comment\n" + mesh_route("r", "a")
    entry = parse_file("f.yaml", text.encode())
    assert [r.key.name for r in entry.resources] == ["a", "r"]
    route = entry.resources[1]
    assert route.line == 12  # the document's first line after the separator and comment
    assert route.line_of("spec", "parentRefs", 0) == 19
    assert route.line_of("spec", "nope", 3) == route.line_of("spec")


def test_non_objects_are_ignored_quietly() -> None:
    text = "- a\n- b\n---\njust a scalar\n---\n---\napiVersion: v1\nkind: ConfigMap\n---\n" + service("a")
    entry = parse_file("f.yaml", text.encode())
    assert [r.key.name for r in entry.resources] == ["a"] and entry.diagnostics == ()


def test_list_kinds_are_unwrapped() -> None:
    items = service("a").replace("\n", "\n    ")
    text = f"apiVersion: v1\nkind: List\nitems:\n  - {items}\n"
    entry = parse_file("f.yaml", text.encode())
    assert [r.key.name for r in entry.resources] == ["a"]
    assert entry.resources[0].line == 4


def test_missing_namespace_defaults_and_cluster_scoped_have_none() -> None:
    text = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n"
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    entry = parse_file("f.yaml", text.encode(), namespace_for=lambda path: "team")
    assert [(r.key.namespace, r.key.name) for r in entry.resources] == [("team", "a"), ("", "x")]


def test_parse_error_names_the_line_and_keeps_earlier_documents() -> None:
    text = service("a") + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n"
    entry = parse_file("f.yaml", text.encode())
    assert [r.key.name for r in entry.resources] == ["a"]
    (diag,) = entry.diagnostics
    assert diag.id == "manifest-parse-error" and diag.severity == "error" and diag.line == 14  # where `[` opens


def test_chart_templates_are_skipped_with_info(tmp_path: Path) -> None:
    """Only under a folder with a Chart.yaml is `templates/` a chart's: elsewhere a template is a broken file."""
    for folder in ("chart", "plain"):
        (tmp_path / folder / "templates").mkdir(parents=True)
        (tmp_path / folder / "templates" / "route.yaml").write_text(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n")
        (tmp_path / folder / "templates" / "svc.yaml").write_text(service("a"))
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    state = load_paths([str(tmp_path)], Config())
    chart = [state.files[f"{tmp_path}/chart/templates/{name}.yaml"] for name in ("route", "svc")]
    assert all(e.resources == () for e in chart)
    assert all([(d.id, d.severity) for d in e.diagnostics] == [("manifest-skipped", "info")] for e in chart)
    assert "Helm" in chart[0].diagnostics[0].message
    plain = state.files[f"{tmp_path}/plain/templates/route.yaml"]
    assert [d.id for d in plain.diagnostics] == ["manifest-parse-error"]
    assert [r.key.name for r in state.files[f"{tmp_path}/plain/templates/svc.yaml"].resources] == ["a"]


def test_parse_error_fails_the_commit_once(repo: GitRepo) -> None:
    sha = repo.commit("broken", {"bad.yaml": "apiVersion: v1\nkind: Service\na: [\n", "svc.yaml": service("a")})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = report["commits"][0]["findings"]
    assert (f["policy"], f["file"], f["line"], f["severity"]) == ("manifest-parse-error", "bad.yaml", 3, "error")
    assert f["resource"] is None
    sha = repo.commit("unrelated", {"svc2.yaml": service("b")})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["preexisting"] == 1


def test_helm_template_in_repository_is_info_not_failure(repo: GitRepo) -> None:
    sha = repo.commit("chart", {"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                                "chart/templates/svc.yaml": "kind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"})
    code, report = check_json(repo, sha)
    assert code == 0
    # Chart.yaml is Helm's own file: a note says it is not a manifest.
    assert [f["policy"] for f in report["commits"][0]["findings"]] == ["not-kubernetes", "manifest-skipped"]


def test_duplicate_objects_are_reported_deterministically(repo: GitRepo) -> None:
    sha = repo.commit("dup", {"a.yaml": service("x"), "b.yaml": service("x", port=81)})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = report["commits"][0]["findings"]
    assert f["policy"] == "duplicate-resource" and f["file"] == "b.yaml" and "a.yaml" in f["message"]


def test_editing_a_broken_file_warns_that_the_edit_was_not_checked(repo: GitRepo) -> None:
    """The commit that broke the file failed; one that edits it while it stays broken is warned, not failed."""
    broke = repo.commit("broken", {"bad.yaml": service("a") + "---\nx: [\n"})
    sha = repo.commit("add below the break", {"bad.yaml": service("a") + "---\nx: [\n---\n" + mesh_route("r", "a")})
    code, report = check_json(repo, sha)
    assert code == 0
    error, warning = report["commits"][0]["findings"]
    assert error["policy"] == "manifest-parse-error" and error["new"] is False and error["fails"] is False
    assert warning["policy"] == "manifest-unchecked" and warning["severity"] == "warning"
    assert f"since {broke[:12]}" in warning["message"] and "bad.yaml" in warning["message"]
