"""Incremental evaluation (a range, each state derived from the previous one) equals judging
each commit on its own, on a generated history of edits, retargets, deletions, additions and moves."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from gitrepo import ROOT, run_cli

from policycheck.diagnostics import POLICY_ERROR


def _generate(dest: Path, files: int, commits: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    module.write_repo(dest, files, commits, seed=7, checkout=False)


def _check(repo: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("check", "--repo", str(repo), "--format", "json", "--no-cache", "--all", *args)
    assert proc.returncode in (0, 1), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_range_equals_each_commit_alone(tmp_path: Path) -> None:
    repo = tmp_path / "gen"
    _generate(repo, files=80, commits=12)
    shas = subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "base..main"], check=True,
                          capture_output=True, text=True).stdout.split()
    assert len(shas) == 12
    ranged = {c["commit"]: c for c in _check(repo, "base..main")["commits"]}
    assert list(ranged) == shas
    for sha in shas:
        alone = _check(repo, sha)["commits"]
        assert len(alone) == 1
        assert alone[0] == ranged[sha], sha


FLAKY = """id: flaky-check
severity: error
description: Fails to run on some routes, and finds an error on the others.
match:
  routes: true
forEach: "status.parents"
severityFrom: "contains(key.name, '1') && 'bogus' || null"
message: "parentRef {item.refText} seen"
location: item.path
ref: item.parentKey
"""


def test_range_equals_each_commit_alone_when_carried_findings_fail_it(tmp_path: Path) -> None:
    """A policy that cannot run on an object fails every commit that has it, listed or carried,
    and so does any error under fail-on=all: the range must agree with each commit judged alone."""
    repo = tmp_path / "gen"
    _generate(repo, files=60, commits=6)
    policies = tmp_path / "extra"
    policies.mkdir()
    (policies / "flaky-check.yaml").write_text(FLAKY, encoding="utf-8")
    shas = subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "base..main"], check=True,
                          capture_output=True, text=True).stdout.split()
    for extra in (("--policies", str(policies)), ("--fail-on", "all")):
        ranged = {c["commit"]: c for c in _check(repo, "base..main", *extra)["commits"]}
        assert list(ranged) == shas
        for sha in shas:
            assert _check(repo, sha, *extra)["commits"] == [ranged[sha]], sha
    flaky = _check(repo, "base..main", "--policies", str(policies))["commits"]
    assert any(f["policy"] == POLICY_ERROR for c in flaky for f in c["all"])  # the case is exercised
    # A carried finding that fails the commit is listed there, marked as failing it.
    assert any(c["result"] == "fail" and any(f["policy"] == POLICY_ERROR and not f["new"] and f["fails"]
                                             for f in c["findings"]) for c in flaky)
