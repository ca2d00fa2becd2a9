"""A SHA-256 repository (`git init --object-format=sha256`) is judged as a SHA-1 one is."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route, run


@pytest.fixture
def repo256(tmp_path: Path) -> GitRepo:
    path = tmp_path / "sha256"
    path.mkdir()
    repo = GitRepo.__new__(GitRepo)
    repo.path = path
    repo.git("init", "-q", "--object-format=sha256", "-b", "main")
    repo.git("config", "user.email", "test@example.com")
    repo.git("config", "user.name", "Test")
    return repo


def test_root_commit_is_judged(repo256: GitRepo) -> None:
    root = repo256.commit("root", {"svc.yaml": SERVICE, "r.yaml": route("missing")})
    assert len(root) == 64
    for args in (("HEAD",), ("--history", "HEAD"), ("--no-cache", "HEAD")):
        code, report, err = check(repo256, *args)
        assert code == 1, err
        assert [f["policy"] for f in findings(report)] == ["parent-exists"]
        assert report is not None and report["commits"][0]["commit"] == root


def test_unchanged_working_tree_files_are_unchanged(repo256: GitRepo) -> None:
    repo256.commit("root", {"svc.yaml": SERVICE, "r.yaml": route("missing")})
    code, report, _ = check(repo256)
    assert code == 0 and findings(report) == []  # the bad route is not the working tree's change
    repo256.write("r2.yaml", route("missing", "r2"))
    code, report, _ = check(repo256)
    assert code == 1 and [f["file"] for f in findings(report)] == ["r2.yaml"]
    repo256.git("add", "-A")
    code, report, _ = check(repo256, "--staged")
    assert code == 1 and [f["file"] for f in findings(report)] == ["r2.yaml"]


def test_range_and_status(repo256: GitRepo) -> None:
    repo256.commit("root", {"svc.yaml": SERVICE})
    repo256.commit("good", {"r.yaml": route("web")})
    repo256.commit("bad", {"r2.yaml": route("missing", "r2")})
    code, report, _ = check(repo256, "HEAD~2..HEAD")
    assert code == 1 and [f["file"] for f in findings(report)] == ["r2.yaml"]
    proc = run("check", "--repo", str(repo256.path), "HEAD~1..HEAD")
    assert proc.returncode == 1 and proc.stdout.split(" ")[0] == repo256.git("rev-parse", "HEAD")[:12]
    assert run("status", "--repo", str(repo256.path), "--rev", "HEAD").returncode == 0
