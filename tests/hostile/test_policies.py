"""Policies under hostile conditions: a check that cannot run is a failure, and a change cannot
weaken the policies that judge it."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route

# abs() of a string is a JMESPath type error at run time, on every resource it meets.
FRAGILE = """id: name-length
severity: warning
description: Route names stay short.
match:
  kinds: [HTTPRoute]
when: "abs(resource.metadata.name) > `10`"
message: "name too long"
"""

NO_FOO = """id: no-foo
severity: error
description: No route may be called foo.
match:
  routes: true
when: "resource.metadata.name == 'foo'"
message: "routes must not be called foo"
"""

WEAK_NO_FOO = NO_FOO.replace("when: \"resource.metadata.name == 'foo'\"", "when: \"`false`\"")


def test_runtime_error_fails_the_commit(repo: GitRepo, tmp_path: Path) -> None:
    """A policy that errors on a resource: an error finding naming policy and resource; exit 1."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "name-length.yaml").write_text(FRAGILE)
    repo.commit("base", {"svc.yaml": SERVICE})
    repo.commit("route", {"r.yaml": route("web", name="tiny")})
    code, report, _ = check(repo, "HEAD", "--policies", str(folder))
    assert code == 1
    (f,) = [f for f in findings(report) if f["policy"] == "policy-runtime-error"]
    assert f["severity"] == "error" and f["file"] == "r.yaml"
    assert "name-length" in f["message"] and "HTTPRoute default/tiny" in f["message"]
    assert report is not None and report["commits"][0]["result"] == "fail"
    # Not new in the next commit, and still a failure: the check still cannot run.
    repo.commit("unrelated", {"README.md": "x"})
    code, report, _ = check(repo, "HEAD", "--policies", str(folder), "--all")
    assert code == 1


def test_runtime_error_cannot_be_suppressed_into_a_pass(repo: GitRepo, tmp_path: Path) -> None:
    """An ignore annotation for the failing policy still leaves the commit failed (exit 1)."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "name-length.yaml").write_text(FRAGILE)
    repo.commit("base", {"svc.yaml": SERVICE})
    body = route("web", name="tiny").replace(
        "  namespace: default\n", "  namespace: default\n  annotations:\n    policycheck.io/ignore: '*'\n")
    repo.commit("route", {"r.yaml": body})
    assert check(repo, "HEAD", "--policies", str(folder))[0] == 1


def _base(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE, ".policycheck.yaml": "policyDirs: [team-policies]\n",
                         "team-policies/no-foo.yaml": NO_FOO})
    repo.git("checkout", "-q", "-b", "feature")


def _judged_by_base(repo: GitRepo, policy: str) -> None:
    for args in (("--base", "main"), ("main..feature",), ("--base", "main", "--net")):
        code, report, _ = check(repo, *args)
        assert code == 1, args
        assert policy in [f["policy"] for f in findings(report)], args


def test_head_deleting_a_policy_is_judged_by_the_base(repo: GitRepo) -> None:
    """The pull request deletes team-policies/no-foo.yaml and adds route foo: no-foo still fails it."""
    _base(repo)
    repo.commit("drop the policy and add foo", {"team-policies/no-foo.yaml": None, "r.yaml": route("web", "foo")})
    _judged_by_base(repo, "no-foo")


def test_head_weakening_a_policy_is_judged_by_the_base(repo: GitRepo) -> None:
    """The pull request rewrites no-foo to never match: the base's version still fails it."""
    _base(repo)
    repo.commit("weaken", {"team-policies/no-foo.yaml": WEAK_NO_FOO})
    repo.commit("add foo", {"r.yaml": route("web", "foo")})
    _judged_by_base(repo, "no-foo")


def test_head_disabling_a_policy_in_config_is_judged_by_the_base(repo: GitRepo) -> None:
    """The pull request adds `disable: [parent-exists, no-foo]` and a route to nowhere named foo."""
    _base(repo)
    repo.commit("disable", {".policycheck.yaml": "policyDirs: [team-policies]\ndisable: [parent-exists, no-foo]\n"})
    repo.commit("bad route", {"r.yaml": route("nowhere", "foo")})
    _judged_by_base(repo, "no-foo")
    _judged_by_base(repo, "parent-exists")


def test_head_removing_policy_dirs_is_judged_by_the_base(repo: GitRepo) -> None:
    """The pull request empties .policycheck.yaml (no policyDirs): the base's no-foo still applies."""
    _base(repo)
    repo.commit("forget the folder", {".policycheck.yaml": "{}\n", "r.yaml": route("web", "foo")})
    _judged_by_base(repo, "no-foo")


def test_head_setting_policy_source_head_is_ignored(repo: GitRepo) -> None:
    """A head cannot vote itself trusted: `policySource: head` written by the change has no effect."""
    _base(repo)
    repo.commit("trust me", {".policycheck.yaml": "policyDirs: [team-policies]\npolicySource: head\n",
                             "team-policies/no-foo.yaml": WEAK_NO_FOO, "r.yaml": route("web", "foo")})
    _judged_by_base(repo, "no-foo")
