"""`policycheck facts`: the document a policy evaluates for one object."""

from __future__ import annotations

import json

import yaml
from gitrepo import GitRepo, run_cli
from manifests_fixtures import gateway_route

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  gatewayClassName: x
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def test_facts_of_a_commit_and_of_the_working_tree(repo: GitRepo) -> None:
    repo.commit("gateway and route", {"gw.yaml": GATEWAY, "r.yaml": gateway_route("web", "edge")})
    proc = run_cli("facts", "HTTPRoute/default/web", "--rev", "HEAD", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["operation"], doc["old"], doc["file"]) == ("create", None, "r.yaml")
    assert doc["status"]["parents"][0]["accepted"] == "True"
    assert {"resource", "status", "backends", "detached", "orphaned", "validation", "commit"} <= set(doc)

    repo.write("r.yaml", gateway_route("web", "gone"))  # retargeted in place, not committed
    proc = run_cli("facts", "httproute.gateway.networking.k8s.io/web", "--format", "yaml", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(proc.stdout)
    assert doc["operation"] == "update" and doc["old"]["spec"]["parentRefs"][0]["name"] == "edge"
    assert doc["status"]["parents"][0]["presence"]["state"] == "missing"
    assert [d["how"] for d in doc["detached"]] == ["ref-removed"]


def test_an_address_naming_several_objects_or_none_exits_2(repo: GitRepo) -> None:
    repo.commit("two routes named web", {"a.yaml": gateway_route("web", "edge"),
                                         "b.yaml": gateway_route("web", "edge", namespace="other")})
    proc = run_cli("facts", "HTTPRoute/web", "--rev", "HEAD", cwd=repo.path)
    assert proc.returncode == 2
    assert "names 2 objects" in proc.stderr and "/default/web" in proc.stderr and "/other/web" in proc.stderr
    for address in ("HTTPRoute/default/nope", "not-an-address"):
        proc = run_cli("facts", address, "--rev", "HEAD", cwd=repo.path)
        assert proc.returncode == 2 and proc.stderr.startswith("policycheck: error:"), proc.stderr
