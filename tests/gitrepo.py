"""Test helpers: real Git repositories in temporary folders (never mocks of Git), the real CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class GitRepo:
    """A throwaway repository with helpers to write files and commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "Test")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True, env=full_env)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout

    def write(self, rel: str, text: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def remove(self, rel: str) -> None:
        (self.path / rel).unlink()

    def commit(self, message: str, files: dict[str, str | None] | None = None) -> str:
        for rel, text in (files or {}).items():
            if text is None:
                self.git("rm", "-q", rel)
            else:
                self.write(rel, text)
                self.git("add", rel)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def stage(self, files: dict[str, str | None]) -> None:
        for rel, text in files.items():
            if text is None:
                self.git("rm", "-q", rel)
            else:
                self.write(rel, text)
                self.git("add", rel)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            isolated: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real command line: (returncode, stdout, stderr).

    By default in this process, through the same `main()` the console script
    calls (a subprocess per call would dominate the suite's time); with
    `isolated=True`, or POLICYCHECK_TEST_SUBPROCESS=1, as `python -m policycheck`.
    """
    if isolated or os.environ.get("POLICYCHECK_TEST_SUBPROCESS") == "1":
        return subprocess.run([sys.executable, "-m", "policycheck", *args], cwd=cwd, capture_output=True,
                              text=True, env={**os.environ, **(env or {})}, timeout=300)
    from policycheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    try:
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["policycheck", *args], code, out.getvalue(), err.getvalue())


def check_json(repo: GitRepo, *args: str) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", "--repo", str(repo.path), "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)
