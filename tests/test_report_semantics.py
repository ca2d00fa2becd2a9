"""What a commit lists, what is new, what fails: the report's promises."""

from __future__ import annotations

from gitrepo import GitRepo, check_json
from manifests_fixtures import gateway, gateway_route, mesh_route, service


def test_preexisting_findings_are_counted_not_listed(repo: GitRepo) -> None:
    repo.commit("broken route", {"bad.yaml": mesh_route("bad", "nowhere")})
    sha = repo.commit("unrelated", {"svc.yaml": service("a")})
    code, report = check_json(repo, sha)
    assert code == 0
    (commit,) = report["commits"]
    assert commit["findings"] == [] and commit["preexisting"] == 1
    code, report = check_json(repo, sha, "--all")
    assert report["commits"][0]["all"][0]["policy"] == "parent-exists"
    assert report["commits"][0]["all"][0]["new"] is False
    code, _ = check_json(repo, sha, "--fail-on", "all")
    assert code == 1


def test_finding_on_changed_object_is_listed_but_not_new(repo: GitRepo) -> None:
    repo.commit("broken route", {"bad.yaml": mesh_route("bad", "nowhere")})
    sha = repo.commit("touch it", {"bad.yaml": mesh_route("bad", "nowhere").replace("value: /", "value: /x")})
    code, report = check_json(repo, sha)
    assert code == 0
    (f,) = report["commits"][0]["findings"]
    assert f["policy"] == "parent-exists" and f["new"] is False and f["operation"] == "update"


def test_new_key_ignores_defaults_and_api_version(repo: GitRepo) -> None:
    repo.commit("broken route", {"bad.yaml": mesh_route("bad", "nowhere", api="gateway.networking.k8s.io/v1beta1")})
    bumped = mesh_route("bad", "nowhere", api="gateway.networking.k8s.io/v1").replace(
        "      port: 80", "      port: 80\n      namespace: default")
    sha = repo.commit("bump apiVersion, spell the default namespace", {"bad.yaml": bumped})
    code, report = check_json(repo, sha)
    assert code == 0
    assert [f["new"] for f in report["commits"][0]["findings"]] == [False]


def test_core_and_empty_group_are_the_same_reference(repo: GitRepo) -> None:
    repo.commit("services", {"svc.yaml": service("a")})
    repo.commit("route", {"r.yaml": mesh_route("r", "a", group="core")})
    sha = repo.commit("spell the group as empty", {"r.yaml": mesh_route("r", "a", group='""')})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["findings"] == []


def test_gateway_move_reports_nothing_unless_configured(repo: GitRepo) -> None:
    """Moving a route between Gateways is routine: no finding by default, a warning when turned on."""
    repo.commit("gateways", {"gw.yaml": gateway("one") + "---\n" + gateway("two"),
                             "svc.yaml": service("web")})
    repo.commit("route", {"r.yaml": gateway_route("r", "one", backend="web")})
    sha = repo.commit("move route to gateway two", {"r.yaml": gateway_route("r", "two", backend="web")})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["findings"] == []
    repo.commit("turn gateway moves on", {".policycheck.yaml": "params:\n  no-in-place-detach: {gateways: true}\n"})
    sha = repo.commit("move it back", {"r.yaml": gateway_route("r", "one", backend="web")})
    code, report = check_json(repo, sha)
    assert code == 0
    (f,) = report["commits"][0]["findings"]
    assert f["policy"] == "no-in-place-detach" and f["severity"] == "warning"
    assert "linkerd" not in f["message"].lower() and "Gateway default/two" in f["message"]


def test_deleting_the_route_is_the_safe_way(repo: GitRepo) -> None:
    repo.commit("services", {"svc.yaml": service("a")})
    repo.commit("route", {"r.yaml": mesh_route("r", "a")})
    sha = repo.commit("delete route", {"r.yaml": None})
    code, report = check_json(repo, sha)
    assert code == 0 and report["commits"][0]["findings"] == []
    assert report["commits"][0]["changes"] == {"created": 0, "updated": 0, "deleted": 1}


def test_removed_listener_orphans_routes(repo: GitRepo) -> None:
    repo.commit("gateway", {"gw.yaml": gateway("gw", listeners="http:80,admin:8080"), "svc.yaml": service("web")})
    repo.commit("route on admin", {"r.yaml": gateway_route("r", "gw", section="admin", backend="web")})
    sha = repo.commit("drop admin listener", {"gw.yaml": gateway("gw", listeners="http:80")})
    code, report = check_json(repo, sha)
    assert code == 1
    policies = {f["policy"] for f in report["commits"][0]["findings"]}
    assert "no-orphaning-delete" in policies
    orphan = next(f for f in report["commits"][0]["findings"] if f["policy"] == "no-orphaning-delete")
    assert orphan["file"] == "r.yaml" and orphan["resource"]["name"] == "r"
    assert "removes the listener" in orphan["message"]


def test_defaulted_kind_hint(repo: GitRepo) -> None:
    route = gateway_route("r", "web")  # kind defaults to Gateway; a Service named web exists
    repo.commit("svc", {"svc.yaml": service("web")})
    sha = repo.commit("route", {"r.yaml": route})
    code, report = check_json(repo, sha)
    assert code == 1
    (f,) = [f for f in report["commits"][0]["findings"] if f["policy"] == "parent-exists"]
    assert "did you mean group: core" in f["message"]


def test_backends_resolve(repo: GitRepo) -> None:
    repo.commit("gateway", {"gw.yaml": gateway("gw")})
    sha = repo.commit("route to missing backend", {"r.yaml": gateway_route("r", "gw", backend="ghost")})
    code, report = check_json(repo, sha)
    assert code == 1
    assert [f["policy"] for f in report["commits"][0]["findings"]] == ["backends-resolve"]


def test_json_shape(repo: GitRepo) -> None:
    sha = repo.commit("root", {"r.yaml": mesh_route("r", "missing")})
    _, report = check_json(repo, sha)
    assert set(report) >= {"result", "commits"}
    commit = report["commits"][0]
    assert set(commit) >= {"commit", "parent", "subject", "result", "preexisting", "findings"}
    finding = commit["findings"][0]
    assert set(finding) >= {"policy", "severity", "new", "message", "resource", "operation", "file", "line"}
    assert set(finding["resource"]) == {"apiVersion", "kind", "namespace", "name"}


def test_a_renamed_gateway_is_one_finding_per_route_with_a_suggestion(repo: GitRepo) -> None:
    repo.commit("gateway", {"gw.yaml": gateway("edge"), "svc.yaml": service("web")})
    repo.commit("routes", {"a.yaml": gateway_route("a", "edge", backend="web"),
                           "b.yaml": gateway_route("b", "edge", backend="web")})
    sha = repo.commit("rename the gateway", {"gw.yaml": gateway("edge-v2")})
    code, report = check_json(repo, sha)
    assert code == 1
    found = report["commits"][0]["findings"]
    assert sorted((f["policy"], f["resource"]["name"]) for f in found) == [("parent-exists", "a"),
                                                                            ("parent-exists", "b")]
    assert all("did you mean Gateway default/edge-v2?" in f["message"] for f in found)
    assert all(f["fails"] for f in found)
