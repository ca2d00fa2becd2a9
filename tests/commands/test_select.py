"""`--skip` and `--only` choose policies for one run; loader diagnostics always show."""

from __future__ import annotations

import json

from gitrepo import GitRepo, run_cli
from manifests_fixtures import gateway_route

ROUTE = gateway_route("r", "missing", backend="nosvc")


def _policies(repo: GitRepo, *args: str) -> tuple[int, set[str]]:
    proc = run_cli("check", "HEAD", "--format", "json", "--no-cache", *args, cwd=repo.path)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, {f["policy"] for c in json.loads(proc.stdout)["commits"] for f in c["findings"]}


def test_skip_and_only_select_policies(repo: GitRepo) -> None:
    repo.commit("a broken route and a broken file",
                {"r.yaml": ROUTE, "bad.yaml": "apiVersion: v1\nkind: Service\n  x: [\n"})
    assert _policies(repo) == (1, {"parent-exists", "backends-resolve", "manifest-parse-error"})
    assert _policies(repo, "--skip", "parent-exists")[1] == {"backends-resolve", "manifest-parse-error"}
    assert _policies(repo, "--only", "parent-exists")[1] == {"parent-exists", "manifest-parse-error"}
    assert _policies(repo, "--only", "route-valid", "--skip", "manifest-parse-error")[1] == {"manifest-parse-error"}


def test_unknown_policy_is_a_usage_error_with_a_suggestion(repo: GitRepo) -> None:
    repo.commit("a route", {"r.yaml": ROUTE})
    for flag in ("--skip", "--only"):
        proc = run_cli("check", "HEAD", flag, "parent-exist", cwd=repo.path)
        assert proc.returncode == 2
        assert "did you mean parent-exists?" in proc.stderr, proc.stderr
    proc = run_cli("check", "HEAD", "--only", "zzz", cwd=repo.path)
    assert proc.returncode == 2 and "no such policy" in proc.stderr and "did you mean" not in proc.stderr


def test_only_a_policy_the_configuration_leaves_off(repo: GitRepo) -> None:
    repo.commit("a route", {"r.yaml": ROUTE, ".policycheck.yaml": "disable: [parent-exists]\n"})
    proc = run_cli("check", "HEAD", "--no-cache", "--only", "parent-exists", "--only", "allowed-gateways",
                   cwd=repo.path)
    assert proc.returncode == 0
    assert proc.stderr.count("the configuration leaves this policy off") == 2
