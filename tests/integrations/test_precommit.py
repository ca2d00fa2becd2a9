"""The pre-commit hook, run by the real pre-commit framework end to end.

The hook repository is a snapshot of this checkout committed in a temporary
folder (pre-commit clones hook repositories by commit). pre-commit installs the
hook into its own virtualenv from the package registry, so these tests need
`pre-commit` (the `test` extra) and a reachable package index; without either
they are skipped, saying which. One case goes through `pre-commit try-repo`; the
others go through hooks installed with `pre-commit install`, so that real
`git commit` (with `-a` and with paths, where Git hands the hook a temporary
index in GIT_INDEX_FILE) and `git push` run them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from gitrepo import ROOT, GitRepo

from .manifests import SERVICES, route

ROUTE = "routes/route.yaml"

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                reason="pre-commit is not installed (pip install -e '.[test]')")


@dataclass(frozen=True)
class Framework:
    hook_repo: Path
    rev: str
    env: dict[str, str]


def _index_unreachable() -> str | None:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/")
    try:
        with urllib.request.urlopen(f"{index}/pip/", timeout=10):
            return None
    except OSError as exc:
        return f"the package index {index} is unreachable ({exc}); pre-commit installs the hook from it"


def _snapshot(dest: Path) -> str:
    """Commit the checkout's files (tracked and untracked-not-ignored, as they are now) in a fresh repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("tests/", "benchmarks/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    snapshot = GitRepo(dest)
    return snapshot.commit("snapshot of the working tree")


def _pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


def _git(repo: GitRepo, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


@pytest.fixture(scope="module")
def framework(tmp_path_factory: pytest.TempPathFactory) -> Framework:
    reason = _index_unreachable()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("pre-commit")
    rev = _snapshot(base / "policycheck")
    # One pre-commit store and pip cache for the module: the hook's virtualenv is built once.
    env = {"PRE_COMMIT_HOME": str(base / "store"), "PIP_CACHE_DIR": str(base / "pip-cache"),
           "PRE_COMMIT_COLOR": "never"}
    return Framework(base / "policycheck", rev, env)


def _project(path: Path) -> GitRepo:
    repo = GitRepo(path)
    repo.commit("services and a route", {"services.yaml": SERVICES, ROUTE: route("r", "test-service")})
    return repo


def _installed(framework: Framework, path: Path) -> GitRepo:
    """A project whose .pre-commit-config.yaml uses the hook, with pre-commit's Git hooks installed."""
    repo = _project(path)
    repo.commit("use policycheck", {".pre-commit-config.yaml": (
        f"repos:\n  - repo: {framework.hook_repo}\n    rev: {framework.rev}\n    hooks:\n      - id: policycheck\n")})
    proc = _pre_commit("install", "--install-hooks", "-t", "pre-commit", "-t", "pre-push", cwd=repo.path,
                       env=framework.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


def test_try_repo_refuses_a_staged_change_that_breaks_a_parent_ref(framework: Framework, tmp_path: Path) -> None:
    repo = _project(tmp_path / "project")
    repo.stage({ROUTE: route("r", "test-servce")})
    proc = _pre_commit("try-repo", str(framework.hook_repo), "policycheck", "--hook-stage", "pre-commit",
                       cwd=repo.path, env=framework.env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout and "- hook id: policycheck" in proc.stdout
    assert "parent-exists" in proc.stdout and "routes/route.yaml" in proc.stdout


def test_a_good_change_goes_through(framework: Framework, tmp_path: Path) -> None:
    repo = _installed(framework, tmp_path / "project")
    repo.stage({"routes/two.yaml": route("two", "other-service")})
    proc = _git(repo, "commit", "-m", "add route two", env=framework.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "policycheck" in proc.stdout + proc.stderr and "Passed" in proc.stdout + proc.stderr
    assert repo.git("log", "-1", "--format=%s").strip() == "add route two"


def test_deleting_an_attached_service_is_refused(framework: Framework, tmp_path: Path) -> None:
    repo = _installed(framework, tmp_path / "project")
    head = repo.git("rev-parse", "HEAD")
    repo.stage({"services.yaml": None})  # only a deletion: pre-commit's file list is empty
    proc = _git(repo, "commit", "-m", "drop the Services", env=framework.env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "parent-exists" in proc.stdout + proc.stderr and "has been deleted" in proc.stdout + proc.stderr
    assert repo.git("rev-parse", "HEAD") == head


def test_commit_all_and_commit_paths_judge_the_index_git_hands_the_hook(framework: Framework, tmp_path: Path) -> None:
    repo = _installed(framework, tmp_path / "project")
    head = repo.git("rev-parse", "HEAD")
    repo.write(ROUTE, route("r", "test-servce"))  # broken, in the working tree only
    # `git commit -a` stages it into a temporary index (GIT_INDEX_FILE): refused.
    proc = _git(repo, "commit", "-a", "-m", "commit everything", env=framework.env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "parent-exists" in proc.stdout + proc.stderr
    # `git commit <path>` of that file: refused as well.
    proc = _git(repo, "commit", ROUTE, "-m", "commit the route", env=framework.env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert repo.git("rev-parse", "HEAD") == head
    # `git commit <other path>`: the broken route stays out of the commit, so it passes.
    repo.write("routes/two.yaml", route("two", "other-service"))
    repo.git("add", "-N", "routes/two.yaml")
    proc = _git(repo, "commit", "routes/two.yaml", "-m", "add route two", env=framework.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["routes/two.yaml"]


def test_pre_push_judges_the_pushed_commits(framework: Framework, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = _installed(framework, tmp_path / "project")
    repo.git("remote", "add", "origin", str(remote))
    assert _git(repo, "push", "-q", "origin", "main", env=framework.env).returncode == 0
    repo.stage({ROUTE: route("r", "test-servce")})
    assert _git(repo, "commit", "--no-verify", "-m", "broken, hook skipped", env=framework.env).returncode == 0
    repo.stage({"README.txt": "later\n"})
    assert _git(repo, "commit", "-m", "a later commit", env=framework.env).returncode == 0
    proc = _git(repo, "push", "origin", "main", env=framework.env)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "broken, hook skipped: FAIL" in proc.stdout + proc.stderr
    pushed = subprocess.run(["git", "--git-dir", str(remote), "log", "-1", "--format=%s", "main"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert pushed == "use policycheck"
