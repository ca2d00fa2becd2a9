"""A file that cannot be read fails the change that breaks it; later edits of it get a warning."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from gitrepo import GitRepo, check_json, run_cli
from manifests_fixtures import service

BROKEN = "apiVersion: v1\nkind: Service\nmetadata:\n  name: [b\n"


def _commit(report: dict[str, Any], sha: str) -> dict[str, Any]:
    (c,) = [c for c in report["commits"] if c["commit"] == sha]
    return c


def _history(repo: GitRepo) -> tuple[str, str, str]:
    repo.commit("base", {"svc.yaml": service("a"), "b.yaml": service("b")})
    broke = repo.commit("break b", {"b.yaml": BROKEN})
    edit = repo.commit("edit b", {"b.yaml": BROKEN + "# more\n"})
    again = repo.commit("edit b again", {"b.yaml": BROKEN + "# more and more\n"})
    return broke, edit, again


def test_the_change_that_breaks_a_file_fails_and_later_edits_are_warned(repo: GitRepo) -> None:
    broke, edit, again = _history(repo)
    code, report = check_json(repo, "--history")
    assert code == 1
    c = _commit(report, broke)
    assert c["result"] == "fail"
    assert [(f["policy"], f["fails"], f["new"]) for f in c["findings"]] == [("manifest-parse-error", True, True)]
    for sha in (edit, again):
        c = _commit(report, sha)
        assert c["result"] == "pass"
        found = {f["policy"]: f for f in c["findings"]}
        assert set(found) == {"manifest-parse-error", "manifest-unchecked"}
        assert not found["manifest-parse-error"]["fails"] and not found["manifest-parse-error"]["new"]
        warning = found["manifest-unchecked"]
        assert warning["severity"] == "warning" and warning["file"] == "b.yaml" and warning["line"] == 4
        assert f"since {broke[:12]}" in warning["message"] and "line 4" in warning["message"]
    # The same alone as in the history.
    code, alone = check_json(repo, again)
    assert code == 0 and alone["commits"][0]["findings"] == _commit(report, again)["findings"]


def test_a_shallow_clone_names_its_oldest_commit(repo: GitRepo, tmp_path: Path) -> None:
    _, edit, _ = _history(repo)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True)
    proc = run_cli("check", "--repo", str(clone), "--format", "json", "HEAD")
    assert proc.returncode == 0, proc.stderr
    (c,) = json.loads(proc.stdout)["commits"]
    (warning,) = [f for f in c["findings"] if f["policy"] == "manifest-unchecked"]
    assert f"before {edit[:12]}" in warning["message"]
