"""Suppressions end to end: counted and shown, never silently dropped; added ones listed; forbidden ones ignored."""

from __future__ import annotations

from gitrepo import GitRepo, check_json, run_cli

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  annotations:
    policycheck.io/ignore: "parent-exists, backends-resolve"
    policycheck.io/ignore-reason: the Gateway is installed by a Helm chart
spec:
  parentRefs: [{name: from-helm}]
"""


def test_suppressed_finding_does_not_fail_and_is_shown(repo: GitRepo) -> None:
    repo.commit("base", {"README.md": "x\n"})
    repo.commit("route", {"route.yaml": ROUTE})
    code, report = check_json(repo, "HEAD")
    assert code == 0
    commit = report["commits"][0]
    assert commit["result"] == "pass"
    [finding] = [f for f in commit["findings"] if f["policy"] == "parent-exists"]
    assert finding["suppressed"] is True
    assert finding["suppressionReason"] == "the Gateway is installed by a Helm chart"
    [added] = commit["suppressions"]
    assert added["policies"] == ["backends-resolve", "parent-exists"]
    text = run_cli("check", "HEAD", "--repo", str(repo.path)).stdout
    assert "[suppressed: the Gateway is installed by a Helm chart]" in text
    assert "suppression added for HTTPRoute default/shop, ignoring backends-resolve, parent-exists" in text
    assert "1 suppressed" in text


def test_suppression_already_in_the_parent_is_not_listed_as_added(repo: GitRepo) -> None:
    repo.commit("route", {"route.yaml": ROUTE})
    repo.commit("edit", {"route.yaml": ROUTE.replace("name: shop\n", "name: shop\n  labels: {a: b}\n")})
    code, report = check_json(repo, "HEAD")
    assert code == 0
    assert report["commits"][0]["suppressions"] == []


def test_forbidden_suppression_is_not_honoured(repo: GitRepo) -> None:
    repo.commit("config", {".policycheck.yaml": "forbidSuppressing: [parent-exists]\n"})
    repo.commit("route", {"route.yaml": ROUTE})
    code, report = check_json(repo, "HEAD")
    assert code == 1
    [finding] = [f for f in report["commits"][0]["findings"] if f["policy"] == "parent-exists"]
    assert "suppressed" not in finding


def test_suppressing_another_policy_does_not_hide_this_one(repo: GitRepo) -> None:
    repo.commit("route", {"route.yaml": ROUTE.replace('"parent-exists, backends-resolve"', "route-valid")})
    code, _ = check_json(repo, "HEAD")
    assert code == 1
