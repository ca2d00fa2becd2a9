"""The engine end to end: a policy's context holds the facts it reads, and findings follow their object's lines."""

from __future__ import annotations

from typing import Any

from gitrepo import GitRepo, check_json

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
