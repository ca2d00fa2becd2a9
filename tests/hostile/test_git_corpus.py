"""Odd repositories and Git states, judged by the real CLI: each test names the exit code and message."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route, run

MISSING = "Service default/nowhere port=80: no such parent"


def policies_of(report: dict[str, object] | None) -> list[str]:
    return [f["policy"] for f in findings(report)]  # type: ignore[arg-type]


def test_empty_repository(repo: GitRepo) -> None:
    """No commit at all: the working tree is judged against nothing (exit 0); HEAD is unknown (exit 2)."""
    assert check(repo)[0] == 0
    code, _, err = check(repo, "HEAD")
    assert code == 2 and "unknown revision 'HEAD'" in err
    code, _, err = check(repo, "--history")
    assert code == 2 and "unknown revision" in err


def test_unborn_head_staged(repo: GitRepo) -> None:
    """The first commit being made: --staged judges the index against the empty tree (exit 1)."""
    repo.stage({"r.yaml": route("nowhere")})
    code, report, _ = check(repo, "--staged")
    assert code == 1 and MISSING in str(report)
    assert report is not None and report["commits"][0]["parent"] is None


def test_temporary_index(repo: GitRepo, tmp_path: Path) -> None:
    """GIT_INDEX_FILE (git commit -a / git commit PATH) is the index --staged reads (exit 1; 0 without it)."""
    repo.commit("base", {"svc.yaml": SERVICE})
    index = tmp_path / "tmp-index"
    env = {"GIT_INDEX_FILE": str(index)}
    repo.git("read-tree", "HEAD", env=env)
    repo.write("r.yaml", route("nowhere"))
    repo.git("add", "r.yaml", env=env)
    assert check(repo, "--staged")[0] == 0  # the real index has nothing staged
    code, report, _ = check(repo, "--staged", env=env)
    assert code == 1 and MISSING in str(report)


def test_merge_against_first_parent(repo: GitRepo) -> None:
    """A merge is judged against its first parent: the merged branch's files are its change and are listed;
    what the merge itself introduces (an evil merge, a conflict resolution) fails it (exit 1)."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("bad route", {"r.yaml": route("nowhere")})
    repo.git("checkout", "-q", "main")
    repo.commit("other", {"README.md": "x"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    code, report, _ = check(repo, "HEAD")
    assert code in (0, 1) and report is not None
    (commit,) = report["commits"]
    assert commit["parent"] == repo.git("rev-parse", "HEAD^1").strip()
    assert MISSING in str(commit["findings"])
    assert check(repo, "main~1..main")[0] == 1  # the range holds the side commit, which fails
    repo.git("checkout", "-q", "-b", "side2", "main~1")
    repo.commit("good route", {"g.yaml": route("web", name="g")})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "side2")
    repo.write("g.yaml", route("elsewhere", name="g"))
    repo.git("add", "g.yaml")
    repo.git("commit", "-q", "-m", "evil merge")
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and "elsewhere" in str(findings(report))


def test_octopus_merge(repo: GitRepo) -> None:
    """An octopus merge: first parent again, every branch's files are in the state and listed."""
    repo.commit("base", {"svc.yaml": SERVICE})
    for name in ("a", "b", "c"):
        repo.git("checkout", "-q", "-b", name, "main")
        repo.commit(name, {f"{name}.yaml": route("nowhere", name=name)})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "-m", "octopus", "a", "b", "c")
    assert len(repo.git("log", "-1", "--format=%P").split()) == 3
    code, report, _ = check(repo, "HEAD")
    assert code in (0, 1)
    # Git fast-forwards to `a` first, so `a` is the first parent and its file is no change.
    assert {f["resource"]["name"] for f in findings(report)} == {"b", "c"}
    code, report, _ = check(repo, "--history")
    assert code == 1 and report is not None and len(report["commits"]) == 5


def test_submodule_is_not_followed(repo: GitRepo, tmp_path: Path) -> None:
    """A gitlink is neither read nor an error (exit 0), in commits and in the working tree."""
    other = GitRepo(tmp_path / "other")
    sha = other.commit("bad", {"r.yaml": route("nowhere")})
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},sub.yaml")
    repo.git("commit", "-q", "-m", "submodule")
    assert check(repo, "HEAD")[0] == 0
    assert check(repo, "--staged")[0] == 0
    assert check(repo)[0] == 0


def test_symlinks_are_not_followed(repo: GitRepo, tmp_path: Path) -> None:
    """Links to files and folders outside the repository are never read (exit 0, an info note in commits)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "r.yaml").write_text(route("nowhere"))
    repo.commit("base", {"svc.yaml": SERVICE})
    os.symlink(outside / "r.yaml", repo.path / "link.yaml")
    os.symlink(outside, repo.path / "linkdir")
    os.symlink("/dev/zero", repo.path / "zero.yaml")
    code, report, _ = check(repo)
    assert code == 0 and MISSING not in str(report)
    repo.commit("links")
    code, report, _ = check(repo, "HEAD")
    assert code == 0 and MISSING not in str(report)
    assert "symbolic link; not followed" in str(report)


def test_delete_rename_and_mode_change(repo: GitRepo) -> None:
    """Deleting, renaming and chmod-ing files: renames and modes are no change (exit 0); a delete is judged."""
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("web")})
    repo.git("mv", "r.yaml", "moved.yaml")
    (repo.path / "moved.yaml").chmod(0o755)
    repo.commit("rename and chmod")
    code, report, _ = check(repo, "HEAD")
    assert code == 0 and report is not None
    assert report["commits"][0]["changes"] == {"created": 0, "deleted": 0, "updated": 0}
    repo.commit("delete the parent", {"svc.yaml": None})
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and "parent-exists" in policies_of(report)


def test_shallow_clone_missing_base(repo: GitRepo, tmp_path: Path) -> None:
    """A shallow clone lacks the base: exit 2 with how to fetch it."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("one", {"a.txt": "1"})
    repo.commit("two", {"b.txt": "2"})
    repo.git("branch", "old", "HEAD~2")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", "--no-single-branch", f"file://{repo.path}", str(clone)],
                   check=True, capture_output=True)
    shallow = GitRepo.__new__(GitRepo)
    shallow.path = clone
    code, _, err = check(shallow, "--base", "HEAD~2")
    assert code == 2 and "shallow" in err and "fetch" in err


def test_unknown_revision(repo: GitRepo) -> None:
    """A revision that does not exist: exit 2, one line naming it."""
    repo.commit("base", {"svc.yaml": SERVICE})
    for args in (("nosuchbranch",), ("main..nosuchbranch",), ("--base", "nosuchbranch"), ("deadbeef" * 5,)):
        code, _, err = check(repo, *args)
        assert code == 2 and ("unknown revision" in err or "not in this clone" in err), (args, err)


def test_detached_head(repo: GitRepo) -> None:
    """A detached HEAD works in every mode (exit 1: the detached commit adds a bad route)."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.git("checkout", "-q", "--detach")
    repo.commit("bad", {"r.yaml": route("nowhere")})
    for args in (("HEAD",), ("--base", "main"), ("--history",)):
        code, report, _ = check(repo, *args)
        assert code == 1 and MISSING in str(report), args
    repo.stage({"s.yaml": route("nowhere", name="s")})
    assert check(repo, "--staged")[0] == 1


def test_spaces_and_non_ascii_paths(tmp_path: Path) -> None:
    """Repository and file paths with spaces and non-ASCII letters are reported as written (exit 1)."""
    repo = GitRepo(tmp_path / "my repo ü")
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("bad", {"routes/ñame with space.yaml": route("nowhere"), "日本/r.yml": route("nowhere", name="j")})
    code, report, _ = check(repo, "HEAD")
    assert code == 1
    assert {f["file"] for f in findings(report)} == {"routes/ñame with space.yaml", "日本/r.yml"}
    proc = run("check", "HEAD", cwd=repo.path / "routes")
    assert proc.returncode == 1 and "routes/ñame with space.yaml" in proc.stdout


def test_bare_repository(repo: GitRepo, tmp_path: Path) -> None:
    """Ranges and commits work in a bare repository (exit 1); the working tree does not exist (exit 2)."""
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("bad", {"r.yaml": route("nowhere")})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True, capture_output=True)
    proc = run("check", "--repo", str(bare), "main~1..main")
    assert proc.returncode == 1 and MISSING in proc.stdout
    proc = run("check", "--repo", str(bare))
    assert proc.returncode == 2 and "bare repository" in proc.stderr
    proc = run("check", "--repo", str(bare), "--staged")
    assert proc.returncode == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_worktree_file(repo: GitRepo) -> None:
    """A working-tree file that cannot be read stops the run (exit 2), never taken for deleted."""
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("web")})
    (repo.path / "svc.yaml").chmod(0)
    code, _, err = check(repo)
    assert code == 2 and "svc.yaml: cannot be read" in err


def test_not_a_repository(tmp_path: Path) -> None:
    """A folder that is not a repository: exit 2, one line."""
    folder = tmp_path / "plain"
    folder.mkdir()
    proc = run("check", "--repo", str(folder))
    assert proc.returncode == 2 and "not a Git repository" in proc.stderr
    proc = run("check", cwd=folder, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 2 and "not a Git repository" in proc.stderr
    proc = run("check", "--repo", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr
