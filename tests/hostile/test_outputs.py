"""Outputs under failure: no partial --output file, and every error is exit 2 in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, route, run
from policycheck import cli, output


def test_failed_run_leaves_previous_output(repo: GitRepo, tmp_path: Path) -> None:
    """A run that stops (exit 2) before its report never touches --output."""
    repo.commit("base", {"svc.yaml": SERVICE})
    out = tmp_path / "report.json"
    out.write_text("previous")
    code, _, _ = check(repo, "nosuchrev", "--output", str(out))
    assert code == 2 and out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".policycheck-")] == []


def test_complete_output_and_mode(repo: GitRepo, tmp_path: Path) -> None:
    """A finished run replaces the file whole, with ordinary permissions (exit 1 here)."""
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("nowhere")})
    out = tmp_path / "report.json"
    proc = run("check", "--repo", str(repo.path), "HEAD", "--format", "json", "--output", str(out))
    assert proc.returncode == 1 and proc.stdout == ""
    assert out.read_text().rstrip().endswith("}")
    assert out.stat().st_mode & 0o044  # readable by others, unlike mkstemp's 0600


@pytest.mark.parametrize("where", ["folder", "missing"])
def test_output_to_a_bad_place(repo: GitRepo, tmp_path: Path, where: str) -> None:
    """--output to a folder or into a missing folder: exit 2, one line."""
    repo.commit("base", {"svc.yaml": SERVICE})
    target = tmp_path if where == "folder" else tmp_path / "missing" / "r.json"
    code, _, err = check(repo, "HEAD", "--output", str(target))
    assert code == 2 and "--output" in err


def test_interrupted_write_leaves_nothing_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the report is being written: the old file stays whole, no temporary file remains."""
    out = tmp_path / "report.txt"
    out.write_text("previous")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_output("x" * 100_000, str(out))
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_internal_error_is_one_line_with_debug_hint(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Any unexpected exception: exit 2, one line naming it and pointing at --debug; --debug shows the traceback."""
    import policycheck.commands.check as check_cmd

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(check_cmd, "run_check", broken)
    repo.commit("base", {"svc.yaml": SERVICE})
    assert cli.main(["check", "--repo", str(repo.path), "HEAD"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: boom second line" in err and "--debug" in err
    assert cli.main(["--debug", "check", "--repo", str(repo.path), "HEAD"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_is_exit_130(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    import policycheck.commands.check as check_cmd

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(check_cmd, "run_check", interrupted)
    repo.commit("base", {"svc.yaml": SERVICE})
    assert cli.main(["check", "--repo", str(repo.path), "HEAD"]) == 130
    assert capsys.readouterr().err.strip() == "policycheck: interrupted"  # after the newline click prints


def test_usage_errors_are_one_line() -> None:
    for args in (["check", "--nope"], ["check", "--format", "pdf"], ["nosuchcommand"], ["check", "a", "b"]):
        proc = run(*args)
        assert proc.returncode == 2, args
