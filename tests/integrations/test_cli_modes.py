"""The manual run and the hook's entry point: exit codes, --exit-zero, --output, --quiet, progress, the index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo, check_json, run_cli

from policycheck import output

from .manifests import SERVICES, route

ROUTE = "routes/route.yaml"


def _history(repo: GitRepo) -> tuple[str, str]:
    """Three commits: Services, a good route, then the route broken in place. Returns (first, last)."""
    first = repo.commit("services", {"services.yaml": SERVICES})
    repo.commit("route", {ROUTE: route("r", "test-service")})
    last = repo.commit("break the route", {ROUTE: route("r", "no-such-service")})
    return first, last


def test_exit_codes_and_exit_zero(repo: GitRepo) -> None:
    first, _ = _history(repo)
    assert run_cli("check", first, cwd=repo.path).returncode == 0
    failing = run_cli("check", "HEAD", "--format", "json", cwd=repo.path)
    assert failing.returncode == 1
    report_only = run_cli("check", "HEAD", "--format", "json", "--exit-zero", cwd=repo.path)
    assert report_only.returncode == 0
    assert json.loads(report_only.stdout)["result"] == "fail"
    assert report_only.stdout == failing.stdout
    usage = run_cli("check", "--net", cwd=repo.path)
    assert usage.returncode == 2
    assert usage.stderr.count("\n") == 1 and "--net goes with --base" in usage.stderr
    missing = run_cli("check", "no-such-branch", "--exit-zero", cwd=repo.path)
    assert missing.returncode == 2, "--exit-zero does not hide errors"


@pytest.mark.parametrize("args", [("--help",), ("check", "--help")])
def test_help_documents_the_exit_codes(args: tuple[str, ...]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 0
    for line in ("0  every evaluated commit passes", "1  some commit fails a policy",
                 "2  usage, configuration, policy or Git error"):
        assert line in proc.stdout
    if args[0] == "check":
        assert "--exit-zero" in proc.stdout


def test_output_file_replaces_the_report_whole(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "report.json"
    proc = run_cli("check", "--history", "--format", "json", "--output", str(target), cwd=repo.path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert json.loads(target.read_text())["result"] == "fail"
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]  # no temporary file left behind
    before = target.read_text()
    proc = run_cli("check", "no-such-branch", "--format", "json", "--output", str(target), cwd=repo.path)
    assert proc.returncode == 2
    assert target.read_text() == before, "a failed run leaves the previous report in place"
    proc = run_cli("check", "--output", str(tmp_path / "missing" / "r.json"), cwd=repo.path)
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_an_interrupted_write_leaves_no_half_written_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous report\n")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_output("new report\n" * 1000, str(target))
    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_quiet_prints_only_failing_commits(repo: GitRepo) -> None:
    first, _ = _history(repo)
    proc = run_cli("check", first, "--quiet", cwd=repo.path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    proc = run_cli("check", "--history", "--quiet", "--verbose", cwd=repo.path)
    assert proc.returncode == 1
    assert "break the route: FAIL" in proc.stdout
    assert "PASS" not in proc.stdout.replace("break the route", "")
    assert proc.stderr == "", "--quiet wins over --verbose"


def test_progress_only_on_a_terminal_or_with_verbose(repo: GitRepo) -> None:
    _history(repo)
    plain = run_cli("check", "--history", "--format", "json", cwd=repo.path)
    assert plain.stderr == ""
    verbose = run_cli("check", "--history", "--format", "json", "--verbose", cwd=repo.path)
    assert json.loads(verbose.stdout) == json.loads(plain.stdout), "progress never reaches stdout"
    # in a log: a line every few seconds and at the end, not one per commit
    last = repo.git("rev-parse", "HEAD").strip()
    assert verbose.stderr.splitlines()[-1].startswith(f"checking 3/3 {last[:12]} (")
    assert len(verbose.stderr.splitlines()) <= 2


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_on_a_terminal(repo: GitRepo) -> None:
    import pty

    _history(repo)
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "policycheck", "check", "--history", "--format", "json"],
                              cwd=repo.path, stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 1
    json.loads(proc.stdout)
    assert b"\r" in shown and b"checking  [" in shown and b"]  3/3" in shown  # click's bar, rewritten in place


def test_staged_without_yaml_returns_at_once(repo: GitRepo) -> None:
    repo.commit("a manifest that does not parse", {"broken.yaml": "a: [unclosed\n", "services.yaml": SERVICES})
    repo.stage({"README.txt": "docs only\n"})
    code, report = check_json(repo, "--staged")
    assert code == 0
    [staged] = report["commits"]
    assert (staged["commit"], staged["result"], staged["findings"], staged["preexisting"]) == ("STAGED", "pass", [], 0)


def test_staged_reads_the_index_named_by_git_index_file(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    repo.git("revert", "--no-edit", "HEAD")
    # The default index is clean; a second index (as `git commit -a` builds one) holds a broken route.
    index = str(tmp_path / "other-index")
    repo.write(ROUTE, route("r", "still-missing"))
    repo.git("read-tree", "HEAD", env={"GIT_INDEX_FILE": index})
    repo.git("add", ROUTE, env={"GIT_INDEX_FILE": index})
    code, report = check_json(repo, "--staged")
    assert (code, report["commits"][0]["findings"]) == (0, [])
    proc = run_cli("check", "--repo", str(repo.path), "--staged", "--format", "json", env={"GIT_INDEX_FILE": index})
    assert proc.returncode == 1
    assert "parent-exists" in {f["policy"] for f in json.loads(proc.stdout)["commits"][0]["findings"]}


def test_pre_push_refs_turn_staged_into_a_range(repo: GitRepo) -> None:
    first, last = _history(repo)
    env = {"PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": last}
    proc = run_cli("check", "--repo", str(repo.path), "--staged", "--format", "json", env=env)
    assert proc.returncode == 1
    assert [c["subject"] for c in json.loads(proc.stdout)["commits"]] == ["route", "break the route"]


def test_working_tree_is_the_default(repo: GitRepo) -> None:
    repo.commit("services", {"services.yaml": SERVICES})
    repo.write("routes/new.yaml", route("new", "nowhere"))  # untracked, not ignored
    code, report = check_json(repo)
    assert code == 1
    assert report["commits"][0]["commit"] == "WORKTREE"
