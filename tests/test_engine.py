"""The engine end to end: a policy's context holds the facts it reads, and findings follow their object's lines."""

from __future__ import annotations

from typing import Any

from gitrepo import GitRepo, check_json
from manifests_fixtures import gateway, gateway_route, service

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  hostnames: [shop.example.com]
"""

WHOLE = """\
id: whole-context
severity: info
description: Lists what a policy reading its whole input sees.
match:
  routes: true
message: "{join(',', keys(@))}"
"""

KEY_ONLY = """\
id: key-only
severity: info
description: Reads only the object's key, and points at its spec.
match:
  routes: true
when: "key.name == 'shop'"
location: "`[\\"spec\\", \\"hostnames\\"]`"
message: "route {key.name}"
"""


def _only(report: dict[str, Any], policy: str) -> dict[str, Any]:
    [finding] = [f for c in report["commits"] for f in c["findings"] if f["policy"] == policy]
    return dict(finding)


def test_a_policy_reading_its_whole_input_sees_every_fact_in_order(repo: GitRepo) -> None:
    repo.commit("base", {".policycheck.yaml": "policyDirs: [checks]\n", "checks/whole-context.yaml": WHOLE})
    repo.commit("route", {"route.yaml": ROUTE})
    _, report = check_json(repo, "HEAD")
    assert _only(report, "whole-context")["message"] == ",".join((
        "resource", "old", "operation", "key", "apiVersion", "file", "isRoute", "status", "backends", "mesh",
        "oldStatus", "detached", "orphaned", "validation", "commit", "params", "item"))


def test_a_reused_outcome_on_an_edited_object_is_located_on_its_new_lines(repo: GitRepo) -> None:
    repo.commit("base", {".policycheck.yaml": "policyDirs: [checks]\n", "checks/key-only.yaml": KEY_ONLY})
    repo.commit("route", {"route.yaml": ROUTE})
    labelled = ROUTE.replace("name: shop\n", "name: shop\n  labels:\n    a: b\n")
    repo.commit("label", {"route.yaml": labelled})
    repo.commit("another label", {"route.yaml": labelled.replace("a: b\n", "a: b\n    c: d\n")})
    _, report = check_json(repo, "HEAD~3..HEAD")
    lines = [[f["line"] for f in c["findings"] if f["policy"] == "key-only"] for c in report["commits"]]
    assert lines == [[6], [8], [9]]


def test_an_outcome_shared_between_objects_makes_findings_on_each(repo: GitRepo) -> None:
    # Both routes leave the same Gateway by the same parentRef: equal facts, one outcome, two findings.
    repo.commit("gateways", {"gw.yaml": gateway("one") + "---\n" + gateway("two"), "svc.yaml": service("web"),
                             ".policycheck.yaml": "params:\n  no-in-place-detach: {gateways: true}\n"})
    repo.commit("routes", {"a.yaml": gateway_route("a", "one", backend="web"),
                           "b.yaml": "# b\n" + gateway_route("b", "one", backend="web")})
    repo.commit("move both", {"a.yaml": gateway_route("a", "two", backend="web"),
                              "b.yaml": "# b\n" + gateway_route("b", "two", backend="web")})
    _, report = check_json(repo, "HEAD")
    found = sorted((f["resource"]["name"], f["file"], f["line"], f["message"])
                   for f in report["commits"][0]["findings"] if f["policy"] == "no-in-place-detach")
    assert [(name, file) for name, file, _, _ in found] == [("a", "a.yaml"), ("b", "b.yaml")]
    assert found[1][2] == found[0][2] + 1  # each on its own line (b's file has a comment first)
    assert found[0][3] == found[1][3]


def test_a_route_re_resolved_to_an_equal_status_keeps_its_findings(repo: GitRepo) -> None:
    # The Gateway's edit re-resolves the route to the same status: nothing detached, findings carried.
    repo.commit("gateway", {"gw.yaml": gateway("one"), "svc.yaml": service("web")})
    repo.commit("route", {"r.yaml": gateway_route("r", "one", backend="web") + "---\n"
                          + gateway_route("lost", "nowhere", backend="web")})
    repo.commit("label the gateway", {"gw.yaml": gateway("one").replace("name: one", "name: one\n  labels: {a: b}")})
    repo.commit("label it again", {"gw.yaml": gateway("one").replace("name: one", "name: one\n  labels: {a: c}")})
    _, ranged = check_json(repo, "HEAD~3..HEAD", "--all")
    for commit in ranged["commits"][1:]:
        assert sorted(f["policy"] for f in commit["all"]) == ["parent-exists"]
    _, alone = check_json(repo, "HEAD", "--all")
    assert alone["commits"][0]["all"] == ranged["commits"][-1]["all"]
