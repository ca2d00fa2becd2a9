"""Shared fixtures: a real Git repository per test, and a clean environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[GitRepo]:
    yield GitRepo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _no_user_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's ~/.gitconfig, and never see GitHub's env."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GIT_INDEX_FILE", "PRE_COMMIT_FROM_REF",
                "PRE_COMMIT_TO_REF", "NO_COLOR", "GIT_DIR", "GIT_WORK_TREE", "GITHUB_SERVER_URL",
                "GITHUB_REPOSITORY", "GITLAB_CI", "CI_PROJECT_URL", "FORCE_COLOR", "POLICYCHECK_COLOR"):
        monkeypatch.delenv(var, raising=False)


