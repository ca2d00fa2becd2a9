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
