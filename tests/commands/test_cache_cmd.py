"""`policycheck cache info|clear`."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo, run_cli
from manifests_fixtures import gateway_route


def test_cache_info_and_clear(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("a route", {"r.yaml": gateway_route("web", "edge")})
    folder = tmp_path / "shared-cache"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours\n")
    env = {"POLICYCHECK_CACHE_DIR": str(folder)}
    assert run_cli("check", "HEAD", cwd=repo.path, env=env).returncode in (0, 1)
    info = run_cli("cache", "info", cwd=repo.path, env=env)
    assert info.returncode == 0, info.stderr
    assert f"folder: {folder} (from $POLICYCHECK_CACHE_DIR)" in info.stdout
    assert "entries: 0 files" not in info.stdout
    cleared = run_cli("cache", "clear", cwd=repo.path, env=env)
    assert cleared.returncode == 0 and cleared.stdout.startswith("removed ")
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]  # only what policycheck wrote goes
    assert "entries: 0 files, 0 bytes" in run_cli("cache", "info", cwd=repo.path, env=env).stdout


def test_default_folder_is_in_the_git_directory(repo: GitRepo) -> None:
    repo.commit("a route", {"r.yaml": gateway_route("web", "edge")})
    info = run_cli("cache", "info", "--repo", str(repo.path))
    assert info.returncode == 0 and f"folder: {repo.path / '.git' / 'policycheck-cache'}" in info.stdout
