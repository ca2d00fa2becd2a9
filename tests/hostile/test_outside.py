"""What lies outside the repository: a link in it is never a way to read the machine's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, route, run

SECRET = "token: ghp_s3cr3tv4lu3\n"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.yaml"
    path.write_text(SECRET)
    return path


def _no_leak(err: str, secret: Path) -> None:
    assert "s3cr3t" not in err and "token" not in err and str(secret) not in err, err
    assert "symbolic link to a file outside the repository" in err, err


def test_configuration_linked_outside_is_refused(repo: GitRepo, secret: Path) -> None:
    """`.policycheck.yaml -> /elsewhere/secret.yaml`: exit 2 on the working tree, a commit, a range."""
    repo.commit("base", {"svc.yaml": SERVICE})
    os.symlink(secret, repo.path / ".policycheck.yaml")
    for args in ((), ("--staged",)):
        code, _, err = check(repo, *args)
        assert code == 2
        _no_leak(err, secret)
    repo.commit("link", {"r.yaml": route("web")})
    code, _, err = check(repo, "HEAD")
    assert code == 2
    _no_leak(err, secret)
    repo.commit("more", {"r2.yaml": route("web", name="r2")})
    code, _, err = check(repo, "HEAD~1..HEAD")  # read at the base commit, where the link leaves the tree
    assert code == 2
    _no_leak(err, secret)


def test_policy_linked_outside_is_refused(repo: GitRepo, secret: Path) -> None:
    repo.commit("base", {"svc.yaml": SERVICE, ".policycheck.yaml": "policyDirs: [checks]\n"})
    (repo.path / "checks").mkdir()
    os.symlink(secret, repo.path / "checks" / "leak.yaml")
    code, _, err = check(repo)
    assert code == 2
    _no_leak(err, secret)
    code, _, err = check(repo, "--policies", str(repo.path / "checks"), "HEAD")
    assert code == 2
    _no_leak(err, secret)


def test_config_named_on_the_command_line_linked_outside_is_refused(repo: GitRepo, secret: Path) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    os.symlink(secret, repo.path / "ci.yaml")
    code, _, err = check(repo, "--config", str(repo.path / "ci.yaml"), "HEAD")
    assert code == 2
    _no_leak(err, secret)


def test_links_within_the_repository_are_read(repo: GitRepo) -> None:
    """A link to another file of the repository is fine, on disk and in a commit (exit 1: parent-exists
    is not disabled by a broken link, it is enabled by the configuration the link names)."""
    repo.commit("base", {"svc.yaml": SERVICE, "config/policycheck.yaml": "disable: [parent-exists]\n"})
    os.symlink("config/policycheck.yaml", repo.path / ".policycheck.yaml")
    repo.commit("link")
    repo.commit("route", {"r.yaml": route("nowhere")})
    for args in (("HEAD",), ("HEAD~1..HEAD",)):
        code, report, err = check(repo, *args)
        assert code == 0, (args, err, report)


def test_test_cases_linked_outside_are_refused(repo: GitRepo, secret: Path) -> None:
    """`policycheck test checks`: a case file of the repository linked outside it is refused (exit 2)."""
    (repo.path / "checks" / "tests").mkdir(parents=True)
    os.symlink(secret, repo.path / "checks" / "tests" / "leak.yaml")
    proc = run("test", "checks", cwd=repo.path)
    assert proc.returncode == 2
    _no_leak(proc.stderr, secret)
