"""Shared fixtures: a real Git repository per test, and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from hypothesis import settings
from verdicts import assert_verdicts

from policycheck.findings import Report

# In CI the property tests draw the same examples every run: a red CI then means a change broke
# something, never that a new random draw found an old corner (run them locally to explore).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


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

@pytest.fixture(autouse=True)
def _verdicts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report a test makes (through the runner or the check command) obeys the verdict rule."""
    from policycheck.commands import check
    from policycheck.runner import Runner

    run, run_check = Runner.run, check.run_check

    def checked_run(self: Runner, *args: Any, **kwargs: Any) -> Report:
        report = run(self, *args, **kwargs)
        assert_verdicts(report)
        return report

    def checked_run_check(*args: Any, **kwargs: Any) -> Report:
        report = run_check(*args, **kwargs)
        assert_verdicts(report)
        return report

    monkeypatch.setattr(Runner, "run", checked_run)
    monkeypatch.setattr(check, "run_check", checked_run_check)
