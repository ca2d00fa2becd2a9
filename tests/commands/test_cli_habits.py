"""Command-line habits users bring from other tools: colour, progress, options after the command."""

from __future__ import annotations

import io

import pytest
from gitrepo import GitRepo, run_cli
from manifests_fixtures import gateway_route

from policycheck import cli

ROUTE = gateway_route("r", "missing")


@pytest.mark.parametrize(("flag", "tty", "env", "expected"), [
    ("auto", True, {}, True),
    ("auto", False, {}, False),
    ("auto", True, {"NO_COLOR": "1"}, False),
    ("auto", True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
    ("always", False, {"NO_COLOR": "1"}, True),  # the flag wins over the environment
    ("never", True, {}, False),
])
def test_colour_choice(flag: str, tty: bool, env: dict[str, str], expected: bool) -> None:
    assert cli.use_colour(flag, tty, env) is expected


def test_color_flag_on_the_command_line(repo: GitRepo) -> None:
    repo.commit("a broken route", {"r.yaml": ROUTE})
    always = run_cli("check", "HEAD", "--no-cache", "--color", "always", cwd=repo.path, env={"NO_COLOR": "1"})
    assert always.returncode == 1 and "\033[" in always.stdout
    never = run_cli("check", "HEAD", "--no-cache", "--color=never", cwd=repo.path)
    assert "\033[" not in never.stdout
    assert run_cli("check", "HEAD", "--color", "sometimes", cwd=repo.path).returncode == 2


def test_progress_in_a_log_is_a_line_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    progress = cli.Progress()
    for n in range(200):
        progress(n, 200, "a" * 40)
    progress.close()
    lines = err.getvalue().splitlines()
    assert 1 <= len(lines) <= 2 and lines[-1].startswith("checking 200/200 aaaaaaaaaaaa (")


def test_debug_after_the_command(repo: GitRepo) -> None:
    repo.commit("a broken route", {"r.yaml": ROUTE})
    before = run_cli("--debug", "check", "HEAD", "--no-cache", cwd=repo.path)
    after = run_cli("check", "HEAD", "--no-cache", "--debug", cwd=repo.path)
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout) == (1, before.stdout)
    version = run_cli("status", "--version")
    assert version.returncode == 0 and version.stdout == run_cli("--version").stdout


def test_status_help_speaks_of_status_only() -> None:
    text = run_cli("status", "--help").stdout
    assert "--rev" in text and "--exit-zero" not in text and "commit fails" not in text
    assert "--exit-zero" in run_cli("check", "--help").stdout


def test_check_of_a_path_says_to_use_status(repo: GitRepo) -> None:
    repo.commit("a route", {"routes/r.yaml": ROUTE})
    for name, what in (("routes", "folder"), ("routes/r.yaml", "file")):
        proc = run_cli("check", name, cwd=repo.path)
        assert proc.returncode == 2
        assert f"is a {what}, not a revision" in proc.stderr and f"policycheck status {name}" in proc.stderr
    repo.git("branch", "routes")  # a name that is both is a revision
    assert run_cli("check", "routes", "--no-cache", cwd=repo.path).returncode == 1
    assert "unknown revision" in run_cli("check", "nothing-here", cwd=repo.path).stderr
