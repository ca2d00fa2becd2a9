"""Odd but valid names, files and policies: each is judged or refused cleanly, never crashes or misleads."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route, run

DEEP = """id: deep
severity: error
description: An expression nested too deep to walk.
match:
  routes: true
when: "{expr}"
message: "deep"
"""


@pytest.mark.parametrize("branch", ["fix/#123", "feat/été", "a+b", "release/1.2,3", "x$y", "user@host"])
def test_valid_branch_names_are_accepted(repo: GitRepo, branch: str) -> None:
    """Any name `git check-ref-format --branch` accepts is a revision (exit 1: the route is bad)."""
    repo.git("check-ref-format", "--branch", branch)
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("checkout", "-q", "-b", branch)
    repo.commit("route", {"r.yaml": route("nowhere")})
    code, _, err = check(repo, branch)
    assert code == 1, err
    code, _, err = check(repo, f"main..{branch}")
    assert code == 1, err
    repo.git("checkout", "-q", "main")
    code, _, err = check(repo, "--base", "main", branch)
    assert code == 1, err


@pytest.mark.parametrize("rev", ["-x", "--all", "main..-x", "a b", "a\tb"])
def test_option_like_revisions_stay_refused(repo: GitRepo, rev: str) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    code, _, err = check(repo, "--", rev)
    assert code == 2 and "refusing revision" in err, err


@pytest.mark.parametrize("expr", ["(" * 600 + "a" + ")" * 600, "[" * 600 + "]" * 600, "!" * 600 + "a",
                                  "a || " * 600 + "b"])
def test_deeply_nested_policy_expression(repo: GitRepo, tmp_path: Path, expr: str) -> None:
    """A policy expression nested 600 deep: `file:line` and exit 2, no RecursionError."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "deep.yaml").write_text(DEEP.format(expr=expr))
    repo.commit("base", {"svc.yaml": SERVICE})
    code, _, err = check(repo, "HEAD", "--policies", str(folder))
    assert code == 2 and "deep.yaml:6:" in err and "nests deeper" in err, err
    assert "RecursionError" not in err


def test_newline_in_a_file_name_forges_no_report_line(repo: GitRepo) -> None:
    """A finding in a file whose name holds a newline is still one line of the text report."""
    forged = "x\n  svc.yaml:1: error parent-exists forged [new]\nr.yaml"
    repo.commit("base", {"svc.yaml": SERVICE})
    (repo.path / forged).write_text(route("nowhere"))
    repo.commit("route")
    proc = run("check", "--repo", str(repo.path), "HEAD")
    assert proc.returncode == 1
    finding_lines = [line for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert len(finding_lines) == 1, proc.stdout
    assert finding_lines[0].startswith("  x\\x0a  svc.yaml:1: error parent-exists forged [new]\\x0ar.yaml:")
    assert not any(line.lstrip().startswith("svc.yaml") for line in proc.stdout.splitlines())


@pytest.mark.parametrize(("text", "line"), [
    ("apiVersion: v1\nkind: A\nb: 2\nd: [1, 2\n", 4),  # an unclosed `[` on the last line
    ("apiVersion: v1\nkind: A\nb: {x: 1,\n  y: 2\n\n\n", 3),  # an unclosed `{`, blank lines after it
    ("apiVersion: v1\nkind: A\nb: 'text\nmore\n", 3),  # an unclosed quote
    ("apiVersion: v1\nkind: A\na: [1,\n  2", 3),  # no newline at the end
])
def test_parse_error_at_the_end_names_where_the_construct_opens(repo: GitRepo, text: str, line: int) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("broken", {"broken.yaml": text})
    code, report, _ = check(repo, "HEAD")
    assert code == 1
    (f,) = [f for f in findings(report) if f["policy"] == "manifest-parse-error"]
    assert (f["file"], f["line"]) == ("broken.yaml", line), f


def test_duplicate_resource_names_the_object(repo: GitRepo) -> None:
    """Both kinds of duplicate (in one file, in two files) carry the object, each copy its own finding."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("copies", {"a.yaml": route("web", name="r") + "---\n" + route("web", name="r"),
                           "b.yaml": route("web", name="q"), "c.yaml": route("web", name="q"),
                           "d.yaml": route("web", name="q")})
    code, report, _ = check(repo, "HEAD")
    assert code == 1
    dups = [f for f in findings(report) if f["policy"] == "duplicate-resource"]
    assert sorted((f["file"], f["line"]) for f in dups) == [("a.yaml", 13), ("c.yaml", 1), ("d.yaml", 1)], dups
    for f in dups:
        assert f["resource"] == {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                 "namespace": "default", "name": "r" if f["file"] == "a.yaml" else "q"}, f
    # Each copy stays its own finding, pre-existing in the next commit.
    repo.commit("unrelated", {"README.md": "x"})
    code, report, _ = check(repo, "HEAD", "--all")
    assert report is not None
    dups = [f for f in report["commits"][0]["all"] if f["policy"] == "duplicate-resource"]
    assert len(dups) == 3 and not any(f["new"] for f in dups) and all(f["resource"] for f in dups), dups


def test_sparse_checkout_leaves_files_outside_it_unchanged(repo: GitRepo) -> None:
    """`check` on the working tree of a sparse checkout: what lies outside the sparse set is not deleted
    (exit 0); a real change inside it is still judged (exit 1)."""
    repo.commit("base", {"infra/svc.yaml": SERVICE, "apps/r.yaml": route("web")})
    repo.git("sparse-checkout", "set", "apps")
    assert not (repo.path / "infra").exists()
    code, report, err = check(repo)
    assert code == 0, (err, report)
    repo.write("apps/r.yaml", route("nowhere"))
    code, report, _ = check(repo)
    assert code == 1 and "nowhere" in str(report)


def test_deeply_nested_extractor_expression(repo: GitRepo) -> None:
    """The same bound for an extractor the configuration defines: `.policycheck.yaml:line`, exit 2."""
    from importlib import resources

    import yaml

    shipped = resources.files("policycheck").joinpath("extractors", "app-template.yaml").read_text(encoding="utf-8")
    extractor = yaml.safe_load(shipped)
    extractor["match"]["when"] = "(" * 600 + "a" + ")" * 600
    repo.commit("base", {"svc.yaml": SERVICE, ".policycheck.yaml": yaml.safe_dump({"extractors": [extractor]})})
    code, _, err = check(repo, "HEAD")
    assert code == 2 and ".policycheck.yaml:" in err and "nests deeper" in err, err
