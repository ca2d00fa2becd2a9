"""Revisions and paths from untrusted hands: anything Git could take for an option is refused (exit 2)
before Git sees it, and no path in configuration reaches outside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, route, run

HOSTILE = [
    "--output=/tmp/policycheck-pwned",
    "--upload-pack=touch /tmp/policycheck-pwned",
    "-c",
    "-ccore.sshCommand=touch /tmp/policycheck-pwned",
    "--exec=touch /tmp/policycheck-pwned",
    "main..--output=/tmp/policycheck-pwned",
    "--output=/tmp/policycheck-pwned..main",
    "main;touch /tmp/policycheck-pwned",
    "$(touch /tmp/policycheck-pwned)",
    "main\n--output=/tmp/x",
]


@pytest.fixture
def committed(repo: GitRepo) -> GitRepo:
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("route", {"r.yaml": route("web")})
    return repo


@pytest.mark.parametrize("rev", HOSTILE)
def test_hostile_revision_after_double_dash(committed: GitRepo, rev: str, tmp_path: Path) -> None:
    """`check -- REV`: exit 2, "refusing revision"."""
    code, _, err = check(committed, "--", rev)
    assert code == 2 and "refusing revision" in err, err
    assert not Path("/tmp/policycheck-pwned").exists()


@pytest.mark.parametrize("rev", HOSTILE)
def test_hostile_base(committed: GitRepo, rev: str) -> None:
    """`check --base=REV`: exit 2, "refusing revision"."""
    code, _, err = check(committed, f"--base={rev}")
    assert code == 2 and "refusing revision" in err, err


@pytest.mark.parametrize("rev", HOSTILE)
def test_hostile_status_rev(committed: GitRepo, rev: str) -> None:
    """`status --rev=REV`: exit 2, "refusing revision"."""
    proc = run("status", "--repo", str(committed.path), f"--rev={rev}")
    assert proc.returncode == 2 and "refusing revision" in proc.stderr, proc.stderr


def test_option_looking_words_are_click_errors(committed: GitRepo) -> None:
    """Option-looking words without `--` are parsed as options, never passed on: exit 2, one line."""
    code, _, err = check(committed, "-c", "core.sshCommand=touch /tmp/policycheck-pwned")
    assert code == 2 and "No such option" in err


def test_hostile_pre_commit_refs(committed: GitRepo) -> None:
    """pre-commit's pre-push refs come from the environment: refused the same way (exit 2)."""
    env = {"PRE_COMMIT_FROM_REF": "--upload-pack=touch /tmp/policycheck-pwned", "PRE_COMMIT_TO_REF": "main"}
    code, _, err = check(committed, "--staged", env=env)
    assert code == 2 and "refusing revision" in err


@pytest.mark.parametrize("folder", ["../outside", "/tmp", "policies/../../outside"])
def test_policy_dirs_outside_the_repository(committed: GitRepo, folder: str, tmp_path: Path) -> None:
    """`policyDirs` escaping the repository: exit 2 naming the configuration (working tree and HEAD);
    at a base revision only the base's tree is read, so the folder is simply not there."""
    outside = committed.path.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "evil.yaml").write_text("not: a policy\n")
    committed.write(".policycheck.yaml", f"policyDirs: [{folder!r}]\n")
    code, _, err = check(committed)
    assert code == 2 and "policyDirs" in err and ".policycheck.yaml" in err, err
    committed.commit("config")
    code, _, err = check(committed, "HEAD~1..HEAD", "--policy-source", "head")
    assert code == 2 and "policyDirs" in err, err
