"""What a CI job gets from one run: links at the commit, the job summary, several reports at once."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import GitRepo, run_cli

from .manifests import SERVICES, route

GITHUB = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"}


def _history(repo: GitRepo) -> tuple[str, str]:
    good = repo.commit("services and a route", {"services.yaml": SERVICES, "routes/a.yaml": route("a", "test-service")})
    bad = repo.commit("a broken route", {"routes/b.yaml": route("b", "missing")})
    return good, bad


def test_step_summary_links_at_the_commit_and_folds_passing_ones(repo: GitRepo, tmp_path: Path) -> None:
    good, bad = _history(repo)
    summary = tmp_path / "summary.md"
    proc = run_cli("check", "--history", "--no-cache", cwd=repo.path,
                   env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1, proc.stderr
    md = summary.read_text(encoding="utf-8")
    assert f"(https://github.com/o/r/blob/{bad}/routes/b.yaml#L" in md
    assert md.rstrip().splitlines()[-1] == f"✅ 1 commit pass: `{good[:12]}`"


def test_markdown_links_under_gitlab(repo: GitRepo) -> None:
    _, bad = _history(repo)
    env = {"GITLAB_CI": "true", "CI_PROJECT_URL": "https://gitlab.example/g/p"}
    proc = run_cli("check", "HEAD", "--format", "markdown", "--no-cache", cwd=repo.path, env=env)
    assert proc.returncode == 1, proc.stderr
    assert f"(https://gitlab.example/g/p/-/blob/{bad}/routes/b.yaml#L" in proc.stdout


def test_several_reports_from_one_run_beside_stdout(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    sarif, junit = tmp_path / "out.sarif", tmp_path / "junit.xml"
    proc = run_cli("check", "--history", "--no-cache", "-o", f"sarif={sarif}", "--output", f"junit={junit}",
                   cwd=repo.path)
    assert proc.returncode == 1, proc.stderr
    assert "parent-exists" in proc.stdout
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    assert {r["baselineState"] for r in doc["runs"][0]["results"]} == {"new"}
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
    # the plain form keeps its meaning: the --format report into the file, nothing on stdout
    plain = tmp_path / "report.json"
    proc = run_cli("check", "--history", "--no-cache", "--format", "json", "-o", str(plain),
                   "-o", f"gitlab={tmp_path / 'cq.json'}", cwd=repo.path)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert json.loads(plain.read_text(encoding="utf-8"))["result"] == "fail"
    assert isinstance(json.loads((tmp_path / "cq.json").read_text(encoding="utf-8")), list)


def test_github_format_in_a_file_still_writes_the_step_summary(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    summary = tmp_path / "summary.md"
    proc = run_cli("check", "HEAD", "--no-cache", "--format", "text", "-o", f"github={tmp_path / 'gh.txt'}",
                   cwd=repo.path, env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1 and summary.is_file()


def test_output_misuse_is_a_usage_error(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    for args in (("-o", "a.txt", "-o", "b.txt"), ("-o", "sarif="), ("-o", "x.json", "-o", "json=x.json"),
                 ("-o", f"sarif={tmp_path / 'missing' / 'x.sarif'}")):
        proc = run_cli("check", "HEAD", "--no-cache", *args, cwd=repo.path)
        assert proc.returncode == 2 and proc.stderr.startswith("policycheck: error: --output"), proc.stderr
