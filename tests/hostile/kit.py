"""Helpers of the hostile-input corpus: run the real CLI and hold it to its contract.

Whatever the input, the command line ends with exit code 0, 1 or 2, never prints
a Python traceback, and on exit 2 says what went wrong in one line.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitrepo import GitRepo, run_cli

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  ports:
    - name: http
      port: 80
"""


def route(parent: str = "web", name: str = "r") -> str:
    """A mesh HTTPRoute on Service `parent` (port 80): fails parent-exists unless the Service exists."""
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: default
spec:
  parentRefs:
    - group: core
      kind: Service
      name: {parent}
      port: 80
"""


@dataclass(frozen=True)
class Case:
    """One corpus entry: files committed on top of a base commit, what the CLI must answer."""

    name: str
    files: dict[str, str | bytes]
    exit: int  # the expected exit code
    expect: tuple[str, ...] = ()  # texts the report (or, on exit 2, stderr) must contain
    absent: tuple[str, ...] = ()  # texts it must not contain
    config: str | None = None  # .policycheck.yaml of the base commit
    args: tuple[str, ...] = field(default=("HEAD",))


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, held to the contract: exit 0/1/2, no traceback, one line on stderr for exit 2."""
    proc = run_cli(*args, cwd=cwd, env=env)
    assert proc.returncode in (0, 1, 2), (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 2:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, proc.stderr
    return proc


def check(repo: GitRepo, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None, str]:
    """`check --format json` on `repo`: exit code, the report (None on exit 2), stderr."""
    proc = run("check", "--repo", str(repo.path), "--format", "json", *args, env=env)
    if proc.returncode == 2:
        assert proc.stdout == "", proc.stdout
        return 2, None, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def findings(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    assert report is not None
    return [f for c in report["commits"] for f in c["findings"]]


def write_bytes(repo: GitRepo, rel: str, data: str | bytes) -> None:
    path = repo.path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
