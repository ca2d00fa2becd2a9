"""Where Git refuses or cannot answer, the run says what happened and what to do (exit 2, one line)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitrepo import GitRepo

from hostile.kit import SERVICE, check, route, run


def test_dubious_ownership(repo: GitRepo) -> None:
    """Git's safe.directory refusal is named, with the command that lifts it."""
    repo.commit("base", {"svc.yaml": SERVICE})
    (repo.path / "sub").mkdir()
    env = {"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}
    for proc in (run("check", "--repo", str(repo.path), "HEAD", env=env),
                 run("check", "HEAD", cwd=repo.path / "sub", env=env)):
        assert proc.returncode == 2
        assert "dubious ownership" in proc.stderr and "not a Git repository" not in proc.stderr
        assert f"git config --global --add safe.directory {repo.path}" in proc.stderr


def test_no_git_on_path(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run("check", "--repo", str(repo.path), "HEAD", env={"PATH": str(empty)})
    assert proc.returncode == 2 and "git was not found on PATH" in proc.stderr


def test_repo_is_a_file(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    proc = run("check", "--repo", str(repo.path / "svc.yaml"), "HEAD")
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr


def _partial_clone(repo: GitRepo, where: Path) -> GitRepo:
    """A blob-less clone (`--filter=blob:none`) of repo over file://, with no file content of its own yet."""
    repo.git("config", "uploadpack.allowFilter", "true")
    subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:none", f"file://{repo.path}", str(where)],
                   check=True, capture_output=True)
    clone = GitRepo.__new__(GitRepo)
    clone.path = where
    return clone


def _history(repo: GitRepo, commits: int) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    for n in range(commits):
        repo.commit(f"route {n}", {f"r{n}.yaml": route("web", f"r{n}"), f"notes/{n}.yaml": f"n: {n}\n"})


def _fetches(trace: Path) -> int:
    return sum(" fetch " in line and "built-in: git" in line for line in trace.read_text().splitlines())


def test_partial_clone_fetches_in_batches(repo: GitRepo, tmp_path: Path) -> None:
    """The blobs a run reads come in a fetch or two, not one fetch per blob; the verdict is a full clone's."""
    _history(repo, 8)
    repo.commit("bad", {"r0.yaml": route("missing", "r0")})
    clone = _partial_clone(repo, tmp_path / "partial")
    trace = tmp_path / "trace"
    code, report, err = check(clone, "--no-cache", "HEAD~6..HEAD", env={"GIT_TRACE": str(trace)})
    assert (code, report) == check(repo, "--no-cache", "HEAD~6..HEAD")[:2], err
    assert code == 1
    assert 1 <= _fetches(trace) <= 3


def test_partial_clone_with_its_remote_gone(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo, 3)
    clone = _partial_clone(repo, tmp_path / "partial")
    repo.path.rename(tmp_path / "moved")
    for args in (("check", "--repo", str(clone.path), "HEAD~2..HEAD"),
                 ("status", "--repo", str(clone.path), "--rev", "HEAD")):
        proc = run(*args)
        assert proc.returncode == 2
        assert "partial clone" in proc.stderr and "origin" in proc.stderr and "reconnect" in proc.stderr
