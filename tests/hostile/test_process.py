"""The run as a process: Ctrl-C at any moment, and a CI environment that points nowhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gitrepo import GitRepo

from hostile.kit import SERVICE, route, run

# Ctrl-C lands while the package imports (before the command line exists)...
DURING_IMPORTS = """
import os, signal, sys
from policycheck.launch import run
os.kill(os.getpid(), signal.SIGINT)
import policycheck.commands.check
run()
"""

# ... or in the middle of the run, with git processes open.
DURING_RUN = """
import os, signal, sys
from policycheck.launch import run
import policycheck.commands.check as check
real = check.run_check
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return real(*args, **kwargs)
check.run_check = interrupted
run()
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def test_ctrl_c_during_imports(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    proc = _python(DURING_IMPORTS, "check", "--repo", str(repo.path), "HEAD")
    assert (proc.returncode, proc.stderr, proc.stdout) == (130, "policycheck: interrupted\n", "")


def test_ctrl_c_during_the_run(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route()})
    proc = _python(DURING_RUN, "check", "--repo", str(repo.path), "HEAD")
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().splitlines() == ["policycheck: interrupted"]
    assert "Traceback" not in proc.stderr


def test_step_summary_in_a_missing_folder(repo: GitRepo, tmp_path: Path) -> None:
    """The report is out and its verdict is the exit code; the summary that cannot be written is a warning."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("bad", {"r.yaml": route("missing")})
    summary = tmp_path / "no" / "such" / "folder" / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = run("check", "--repo", str(repo.path), "HEAD", env=env)
    assert proc.returncode == 1
    assert "parent-exists" in proc.stdout
    assert "warning: cannot write the step summary" in proc.stderr and str(summary) in proc.stderr
    assert "internal error" not in proc.stderr
    repo.commit("fixed", {"r.yaml": route("web")})
    assert run("check", "--repo", str(repo.path), "HEAD", env=env).returncode == 0
