"""The pull-request check: --base (per commit), --net, merges of the target branch, shallow clones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitrepo import GitRepo, check_json, run_cli

from .manifests import OTHER_SERVICE, SERVICES, route

ROUTE = "routes/route.yaml"


def _subjects(report: dict[str, Any]) -> list[str]:
    return [c["subject"] for c in report["commits"]]


def _new(commit: dict[str, Any]) -> set[str]:
    return {f["policy"] for f in commit["findings"] if f["new"]}


def _pull_request(repo: GitRepo) -> str:
    """main: Services and a route; branch `pr` adds a route; main then moves on. Returns the fork point."""
    fork = repo.commit("services and a route", {"services.yaml": SERVICES, ROUTE: route("r", "test-service")})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("pr: add route two", {"routes/two.yaml": route("two", "other-service")})
    repo.commit("pr: add route three", {"routes/three.yaml": route("three", "test-service")})
    repo.git("checkout", "-q", "main")
    repo.commit("main: retarget the route in place", {ROUTE: route("r", "missing-service")})
    repo.commit("main: unrelated", {"README.txt": "hello\n"})
    repo.git("checkout", "-q", "pr")
    return fork


def test_base_checks_the_commits_since_the_merge_base(repo: GitRepo) -> None:
    fork = _pull_request(repo)
    code, report = check_json(repo, "--base", "main")
    assert code == 0
    assert _subjects(report) == ["pr: add route two", "pr: add route three"]
    assert report["commits"][0]["parent"] == fork
    assert all(c["result"] == "pass" for c in report["commits"])


def test_base_with_an_explicit_head(repo: GitRepo) -> None:
    _pull_request(repo)
    head = repo.git("rev-parse", "pr~1").strip()
    repo.git("checkout", "-q", "main")
    code, report = check_json(repo, "--base", "main", head)
    assert code == 0
    assert _subjects(report) == ["pr: add route two"]


def test_base_on_the_base_itself_checks_nothing(repo: GitRepo) -> None:
    _pull_request(repo)
    for extra in ((), ("--net",)):
        code, report = check_json(repo, "--base", "pr", *extra)
        assert (code, report["commits"], report["result"]) == (0, [], "pass")


def test_net_judges_the_pull_request_as_one_change(repo: GitRepo) -> None:
    fork = repo.commit("base", {"services.yaml": SERVICES})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("typo in the parent", {ROUTE: route("r", "test-servce")})
    head = repo.commit("fix the typo", {ROUTE: route("r", "test-service")})

    code, report = check_json(repo, "--base", "main")
    assert code == 1
    assert [c["result"] for c in report["commits"]] == ["fail", "pass"]
    assert "parent-exists" in _new(report["commits"][0])

    code, report = check_json(repo, "--base", "main", "--net")
    assert code == 0
    [net] = report["commits"]
    assert (net["commit"], net["parent"], net["result"]) == (head, fork, "pass")
    assert "(net)" in net["subject"]


def test_net_still_fails_a_pull_request_that_ends_broken(repo: GitRepo) -> None:
    repo.commit("base", {"services.yaml": SERVICES, ROUTE: route("r", "test-service")})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("delete a Service the route uses", {"services.yaml": OTHER_SERVICE})
    code, report = check_json(repo, "--base", "main", "--net")
    assert code == 1
    assert "parent-exists" in _new(report["commits"][0])


def test_merging_the_target_branch_is_not_blamed_for_its_changes(repo: GitRepo) -> None:
    _pull_request(repo)
    repo.git("merge", "-q", "--no-edit", "main")
    code, report = check_json(repo, "--base", "main")
    assert code == 0, report
    merge = report["commits"][-1]
    assert merge["subject"].startswith("Merge branch 'main'")
    assert merge["result"] == "pass"
    assert _new(merge) == set()
    # The same commits judged from before main's change do blame main's own commit.
    fork = repo.git("merge-base", "pr~1", "main").strip()
    code, report = check_json(repo, "--base", fork)
    assert code == 1
    failing = [c["subject"] for c in report["commits"] if c["result"] == "fail"]
    assert failing == ["main: retarget the route in place"]


def test_a_merge_that_breaks_something_itself_is_blamed(repo: GitRepo) -> None:
    repo.commit("base", {"services.yaml": SERVICES})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("pr: route on other-service", {ROUTE: route("r", "other-service")})
    repo.git("checkout", "-q", "main")
    repo.commit("main: drop other-service", {"services.yaml": SERVICES.split("---\n")[0]})
    repo.git("checkout", "-q", "pr")
    repo.git("merge", "-q", "--no-edit", "main")
    code, report = check_json(repo, "--base", "main")
    assert code == 1
    merge = report["commits"][-1]
    assert merge["result"] == "fail"
    assert "parent-exists" in _new(merge)


def test_concluding_a_merge_in_the_index_is_not_blamed(repo: GitRepo) -> None:
    _pull_request(repo)
    repo.git("merge", "-q", "--no-commit", "--no-ff", "main")
    code, report = check_json(repo, "--staged")
    assert code == 0, report
    assert _new(report["commits"][0]) == set()


def _shallow_clone(repo: GitRepo, dest: Path, *args: str) -> GitRepo:
    repo.git("clone", "-q", "--depth", "1", *args, f"file://{repo.path}", str(dest))
    return GitRepo(dest)  # re-initialising an existing repository keeps it as it is


def test_shallow_clone_without_the_base_says_how_to_fetch_it(repo: GitRepo, tmp_path: Path) -> None:
    _pull_request(repo)
    clone = _shallow_clone(repo, tmp_path / "clone", "--branch", "pr", "--single-branch")
    proc = run_cli("check", "--base", "origin/main", cwd=clone.path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert "git fetch origin main:refs/remotes/origin/main" in line
    assert "git fetch --unshallow" in line and "fetch-depth: 0" in line
    assert "Traceback" not in proc.stderr


def test_shallow_clone_with_the_base_but_not_the_merge_base(repo: GitRepo, tmp_path: Path) -> None:
    _pull_request(repo)
    clone = _shallow_clone(repo, tmp_path / "clone", "--no-single-branch", "--branch", "pr")
    proc = run_cli("check", "--base", "origin/main", cwd=clone.path)
    assert proc.returncode == 2
    assert "git fetch --unshallow" in proc.stderr
    clone.git("fetch", "-q", "--unshallow")
    proc = run_cli("check", "--base", "origin/main", "--format", "json", cwd=clone.path)
    assert proc.returncode == 0, proc.stderr


def test_a_commit_at_the_edge_of_a_shallow_clone_is_not_judged_as_a_root(repo: GitRepo, tmp_path: Path) -> None:
    _pull_request(repo)
    clone = _shallow_clone(repo, tmp_path / "clone", "--branch", "pr")
    for args in (("HEAD",), ("--history",)):
        proc = run_cli("check", *args, cwd=clone.path)
        assert proc.returncode == 2, args
        assert "shallow clone" in proc.stderr and "git fetch --unshallow" in proc.stderr
    clone.git("fetch", "-q", "--deepen=1")
    proc = run_cli("check", "HEAD", cwd=clone.path)
    assert proc.returncode == 0, proc.stderr
