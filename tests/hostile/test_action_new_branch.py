"""The GitHub Action on a push that creates a branch (no revision before it): the pushed commits are
judged with the default branch's configuration, never with the one they bring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from gitrepo import ROOT, GitRepo

from hostile.kit import SERVICE, route

ZERO = "0" * 40
RELAXED = "disable: [parent-exists]\n"


def _check_step() -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    script: str = next(s for s in steps if s.get("id") == "check")["run"]
    return script


def _run_action(tmp_path: Path, work: Path, head: str, base: str = ZERO, default: str = "main") -> tuple[int, str]:
    wrapper = tmp_path / "policycheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policycheck "$@"\n')
    wrapper.chmod(0o755)
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    env = {**os.environ, "POLICYCHECK": str(wrapper), "GITHUB_OUTPUT": str(outputs), "INPUT_BASE": base,
           "INPUT_HEAD": head, "INPUT_MODE": "per-commit", "INPUT_FORMAT": "text", "INPUT_FAIL_ON": "new",
           "INPUT_SARIF": "", "INPUT_EXIT_ZERO": "false", "INPUT_DEFAULT_BRANCH": default,
           "INPUT_WORKING_DIRECTORY": str(work)}
    proc = subprocess.run(["bash", "-c", _check_step()], env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stdout + outputs.read_text()


def _origin(tmp_path: Path) -> GitRepo:
    origin = GitRepo(tmp_path / "origin")
    origin.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("web")})
    return origin


def _clone(origin: GitRepo, where: Path, *args: str) -> GitRepo:
    subprocess.run(["git", "clone", "-q", *args, str(origin.path), str(where)], check=True, capture_output=True)
    clone = GitRepo.__new__(GitRepo)
    clone.path = where
    clone.git("config", "user.email", "test@example.com")
    clone.git("config", "user.name", "Test")
    return clone


def test_new_branch_cannot_relax_its_own_check(tmp_path: Path) -> None:
    work = _clone(_origin(tmp_path), tmp_path / "work")
    work.git("checkout", "-q", "-b", "feature")
    head = work.commit("relax the check and break a route", {".policycheck.yaml": RELAXED, "r.yaml": route("gone")})
    code, out = _run_action(tmp_path, work.path, head)
    assert code == 1, out
    assert "parent-exists" in out and "result=fail" in out


def test_default_branch_is_fetched_when_the_clone_lacks_it(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    origin.git("checkout", "-q", "-b", "feature")
    head = origin.commit("relax and break", {".policycheck.yaml": RELAXED, "r.yaml": route("gone")})
    work = _clone(origin, tmp_path / "work", "--single-branch", "--branch", "feature")
    assert "origin/main" not in work.git("branch", "-r")
    code, out = _run_action(tmp_path, work.path, head)
    assert code == 1 and "parent-exists" in out, out


def test_first_push_of_the_default_branch_checks_its_head(tmp_path: Path) -> None:
    origin = _origin(tmp_path)
    head = origin.commit("a good route", {"r2.yaml": route("web", "r2")})
    work = _clone(origin, tmp_path / "work")
    code, out = _run_action(tmp_path, work.path, head)
    assert code == 0 and "result=pass" in out, out
