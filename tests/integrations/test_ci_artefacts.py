"""What a CI job gets from one run: links at the commit, the job summary, several reports at once."""

from __future__ import annotations

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
