"""Turning files into objects: documents, lists, lines, templates, parse errors."""

from __future__ import annotations

from gitrepo import GitRepo, check_json
from manifests_fixtures import mesh_route, service

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


def test_helm_templates_are_skipped_with_info() -> None:
    entry = parse_file("chart/templates/route.yaml", b"metadata:\n  name: {{ .Values.name }}\n")
    assert entry.resources == ()
    (diag,) = entry.diagnostics
    assert diag.id == "manifest-skipped" and diag.severity == "info" and "Helm" in diag.message
    entry = parse_file("chart/templates/svc.yaml", service("a").encode(), chart_dirs=frozenset({"chart"}))
    assert entry.resources == () and entry.diagnostics[0].id == "manifest-skipped"


def test_parse_error_fails_the_commit_once(repo: GitRepo) -> None:
    sha = repo.commit("broken", {"bad.yaml": "a: [\n", "svc.yaml": service("a")})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = report["commits"][0]["findings"]
    assert (f["policy"], f["file"], f["line"], f["severity"]) == ("manifest-parse-error", "bad.yaml", 1, "error")
    assert f["resource"] is None
    sha = repo.commit("unrelated", {"svc2.yaml": service("b")})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["preexisting"] == 1


def test_helm_template_in_repository_is_info_not_failure(repo: GitRepo) -> None:
    sha = repo.commit("chart", {"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                                "chart/templates/svc.yaml": "kind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"})
    code, report = check_json(repo, sha)
    assert code == 0
    assert [f["policy"] for f in report["commits"][0]["findings"]] == ["manifest-skipped"]


def test_duplicate_objects_are_reported_deterministically(repo: GitRepo) -> None:
    sha = repo.commit("dup", {"a.yaml": service("x"), "b.yaml": service("x", port=81)})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = report["commits"][0]["findings"]
    assert f["policy"] == "duplicate-resource" and f["file"] == "b.yaml" and "a.yaml" in f["message"]


def test_touching_a_broken_file_fails_even_when_the_error_is_old(repo: GitRepo) -> None:
    repo.commit("broken", {"bad.yaml": service("a") + "---\nx: [\n"})
    sha = repo.commit("add below the break", {"bad.yaml": service("a") + "---\nx: [\n---\n" + mesh_route("r", "a")})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = report["commits"][0]["findings"]
    assert f["policy"] == "manifest-parse-error" and f["new"] is False
