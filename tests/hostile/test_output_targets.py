"""`--output` onto what is already there: a regular file is replaced whole, anything else is written
into, never replaced (a link keeps pointing where it did, a device or a pipe stays one)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gitrepo import ROOT, GitRepo

from hostile.kit import SERVICE, route, run


@pytest.fixture
def failing(repo: GitRepo) -> GitRepo:
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("nowhere")})
    return repo


def _report(repo: GitRepo, target: str) -> int:
    proc = run("check", "--repo", str(repo.path), "HEAD", "--format", "json", "--output", target)
    assert proc.stdout == "", proc.stdout
    return proc.returncode


def test_a_link_is_followed_and_kept(failing: GitRepo, tmp_path: Path) -> None:
    """The target of a link is replaced (atomically), the link stays a link; a dangling link makes its target."""
    target = tmp_path / "reports" / "report.json"
    target.parent.mkdir()
    target.write_text("previous")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert _report(failing, str(link)) == 1
    assert link.is_symlink() and target.read_text().rstrip().endswith("}")
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "reports" / "new.json")
    assert _report(failing, str(dangling)) == 1
    assert dangling.is_symlink() and (tmp_path / "reports" / "new.json").read_text().rstrip().endswith("}")
    assert sorted(p.name for p in target.parent.iterdir()) == ["new.json", "report.json"]


def test_a_named_pipe_is_written_into(failing: GitRepo, tmp_path: Path) -> None:
    """A FIFO stays a FIFO and its reader gets the whole report (it does not hang)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert _report(failing, str(fifo)) == 1
    reader.join(timeout=60)
    assert not reader.is_alive() and got and got[0].rstrip().endswith("}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_character_device_is_written_into(failing: GitRepo) -> None:
    before = os.lstat("/dev/null")
    assert _report(failing, "/dev/null") == 1
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (before.st_ino, before.st_rdev) == (after.st_ino, after.st_rdev)


def test_dev_stdout_is_the_callers_stdout(failing: GitRepo, tmp_path: Path) -> None:
    """`-o /dev/stdout` (and `-o -`) while stdout is redirected to a file: the report lands in that file,
    which stays the caller's (no rename over it)."""
    for target in ("/dev/stdout", "-"):
        out = tmp_path / "captured.json"
        with out.open("w") as fh:
            proc = subprocess.run([sys.executable, "-m", "policycheck", "check", "--repo", str(failing.path), "HEAD",
                                   "--format", "json", "--output", target], stdout=fh, stderr=subprocess.PIPE,
                                  text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 1, proc.stderr
        assert out.read_text().rstrip().endswith("}"), target
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".policycheck-")] == []
