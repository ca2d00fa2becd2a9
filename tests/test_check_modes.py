"""`policycheck check` in each of its modes, on real repositories."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo, check_json, run_cli
from manifests_fixtures import mesh_route, service


def _history(repo: GitRepo) -> list[str]:
    shas = [repo.commit("services", {"svc.yaml": service("a") + "---\n" + service("b")})]
    shas.append(repo.commit("route on a", {"route.yaml": mesh_route("r", "a")}))
    shas.append(repo.commit("retarget to b", {"route.yaml": mesh_route("r", "b")}))
    return shas


def test_range_is_topological_and_excludes_base(repo: GitRepo) -> None:
    shas = _history(repo)
    code, report = check_json(repo, f"{shas[0]}..{shas[2]}")
    assert code == 1
    assert [c["commit"] for c in report["commits"]] == shas[1:]
    assert [c["parent"] for c in report["commits"]] == shas[:2]
    assert [c["result"] for c in report["commits"]] == ["pass", "fail"]
    assert report["result"] == "fail"


def test_single_commit_against_first_parent(repo: GitRepo) -> None:
    shas = _history(repo)
    code, report = check_json(repo, shas[2])
    assert code == 1
    (commit,) = report["commits"]
    assert commit["commit"] == shas[2] and commit["parent"] == shas[1] and commit["subject"] == "retarget to b"
    assert [f["policy"] for f in commit["findings"]] == ["no-in-place-detach"]


def test_root_commit_against_empty_tree(repo: GitRepo) -> None:
    sha = repo.commit("root", {"route.yaml": mesh_route("r", "missing")})
    code, report = check_json(repo, sha)
    assert code == 1
    (commit,) = report["commits"]
    assert commit["parent"] is None
    assert commit["findings"][0]["policy"] == "parent-exists"
    assert commit["findings"][0]["operation"] == "create"
    assert commit["findings"][0]["line"] == 8  # the parentRef's line


def test_history_checks_root_first(repo: GitRepo) -> None:
    shas = _history(repo)
    code, report = check_json(repo, "--history")
    assert code == 1
    assert [c["commit"] for c in report["commits"]] == shas


def test_staged_against_head(repo: GitRepo) -> None:
    _history(repo)
    repo.stage({"route.yaml": mesh_route("r", "nowhere")})
    repo.write("untracked.yaml", mesh_route("u", "nowhere"))  # not staged: not seen
    code, report = check_json(repo, "--staged")
    assert code == 1
    (commit,) = report["commits"]
    assert commit["commit"] == "STAGED"
    assert {(f["policy"], f["resource"]["name"]) for f in commit["findings"]} == {
        ("parent-exists", "r"), ("no-in-place-detach", "r")}


def test_staged_on_unborn_head(repo: GitRepo) -> None:
    repo.stage({"svc.yaml": service("a"), "route.yaml": mesh_route("r", "a")})
    code, report = check_json(repo, "--staged")
    assert code == 0
    assert report["commits"][0]["parent"] is None


def test_staged_with_nothing_yaml_passes_at_once(repo: GitRepo) -> None:
    _history(repo)
    repo.stage({"notes.txt": "hello"})
    code, report = check_json(repo, "--staged")
    assert code == 0 and report["commits"][0]["findings"] == []


def test_worktree_sees_untracked_and_deleted(repo: GitRepo) -> None:
    _history(repo)
    repo.write("extra.yaml", mesh_route("u", "nowhere"))
    repo.remove("svc.yaml")
    code, report = check_json(repo)
    assert code == 1
    (commit,) = report["commits"]
    assert commit["commit"] == "WORKTREE"
    policies = {(f["policy"], f["resource"]["name"]) for f in commit["findings"]}
    assert ("parent-exists", "u") in policies
    assert ("parent-exists", "r") in policies  # svc.yaml deleted while r attaches to b (one finding)
    assert ("no-orphaning-delete", "r") not in policies


def test_repo_option_and_cwd(repo: GitRepo, tmp_path: Path) -> None:
    _history(repo)
    sub = repo.path / "deep" / "er"
    sub.mkdir(parents=True)
    proc = run_cli("check", "HEAD", "--format", "json", cwd=sub)
    assert proc.returncode == 1, proc.stderr


def test_moving_and_renaming_is_not_a_change(repo: GitRepo) -> None:
    _history(repo)
    text = (repo.path / "route.yaml").read_text()
    (repo.path / "moved").mkdir()
    repo.git("mv", "route.yaml", "moved/route-renamed.yaml")
    sha = repo.commit("move")
    code, report = check_json(repo, sha)
    (commit,) = report["commits"]
    assert commit["changes"] == {"created": 0, "updated": 0, "deleted": 0}
    assert all(not f["new"] for f in commit["findings"])
    # Splitting one file's objects into two files is no change either.
    svc = (repo.path / "svc.yaml").read_text().split("---\n")
    sha = repo.commit("split", {"svc.yaml": None, "svc-a.yaml": svc[0], "svc-b.yaml": svc[1]})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["changes"] == {"created": 0, "updated": 0, "deleted": 0}
    assert text


def test_exit_codes(repo: GitRepo) -> None:
    shas = _history(repo)
    assert run_cli("check", "--repo", str(repo.path), shas[1]).returncode == 0
    assert run_cli("check", "--repo", str(repo.path), shas[2]).returncode == 1
    assert run_cli("check", "--repo", str(repo.path), shas[2], "--exit-zero").returncode == 0
    bad = run_cli("check", "--repo", str(repo.path), "no-such-rev")
    assert bad.returncode == 2 and "unknown revision" in bad.stderr and "Traceback" not in bad.stderr
    hostile = run_cli("check", "--repo", str(repo.path), "--", "--output=/tmp/x")
    assert hostile.returncode == 2 and "refusing revision" in hostile.stderr
    usage = run_cli("check", "--repo", str(repo.path), "--no-such-flag")
    assert usage.returncode == 2


def test_not_a_repository(tmp_path: Path) -> None:
    proc = run_cli("check", "--repo", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not a Git repository" in proc.stderr
