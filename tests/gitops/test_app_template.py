"""Routes declared in bjw-s app-template HelmRelease values, lifted into route objects."""

from __future__ import annotations

from typing import Any

from gitops_manifests import helm_release, network_gateway
from gitrepo import GitRepo, check_json, run_cli

GATEWAYS = network_gateway() + "---\n" + network_gateway("external")


def release(admin_gateway: str) -> str:
    return helm_release("app-template", "bjw-s", version="3.7.3", repository_namespace="flux-system",
                        values=f"""    controllers:
      sonarr:
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/sonarr
    service:
      app:
        controller: sonarr
        ports:
          http:
            port: 8989
    route:
      app:
        hostnames:
          - sonarr.example.com
        parentRefs:
          - name: internal
            namespace: network
            sectionName: https
        rules:
          - backendRefs:
              - identifier: app
                port: 8989
      admin:
        hostnames:
          - sonarr-admin.example.com
        parentRefs:
          - name: {admin_gateway}
            namespace: network
            sectionName: https
        rules:
          - backendRefs:
              - identifier: app
""")


def line_of(text: str, needle: str, after: str) -> int:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def test_two_routes_are_lifted_with_the_release_name_and_identifiers(repo: GitRepo) -> None:
    import json

    repo.commit("release", {"network/gateways.yaml": GATEWAYS, "media/sonarr/helmrelease.yaml": release("internal")})
    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    routes = {(r["namespace"], r["name"]): r for r in data["routes"]}
    assert set(routes) == {("media", "sonarr-app"), ("media", "sonarr-admin")}
    for r in routes.values():
        accepted = {c["type"]: c for c in r["parents"][0]["conditions"]}["Accepted"]
        assert accepted["status"] == "True", r


def test_a_retargeted_parent_ref_in_values_is_an_in_place_detach_at_the_release(repo: GitRepo) -> None:
    """Moves between Gateways are reported only when the configuration asks for them."""
    repo.commit("release", {"network/gateways.yaml": GATEWAYS, "media/sonarr/helmrelease.yaml": release("internal"),
                            ".policycheck.yaml": "params:\n  no-in-place-detach: {gateways: true}\n"})
    text = release("external")
    repo.commit("move admin to the external gateway", {"media/sonarr/helmrelease.yaml": text})
    _, report = check_json(repo, "--history")
    last = report["commits"][-1]
    detach = [f for f in last["findings"] if f["policy"] == "no-in-place-detach"]
    assert len(detach) == 1, last["findings"]
    f = detach[0]
    assert f["resource"]["name"] == "sonarr-admin" and f["resource"]["kind"] == "HTTPRoute"
    assert f["file"] == "media/sonarr/helmrelease.yaml"
    assert f["line"] == line_of(text, "parentRefs:", "admin:")  # the retargeted list, inside the values
    assert not [x for c in report["commits"] for x in c["findings"]
                if x["policy"] in ("parent-exists", "backends-resolve") and x["severity"] == "error"]


def test_the_extractor_can_be_turned_off(repo: GitRepo) -> None:
    import json

    repo.commit("release", {
        ".policycheck.yaml": "extractors:\n  - id: app-template\n    enabled: false\n",
        "network/gateways.yaml": GATEWAYS, "media/sonarr/helmrelease.yaml": release("internal"),
    })
    proc = run_cli("status", "--rev", "HEAD", "--format", "json", cwd=repo.path)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["routes"] == []


def test_a_bad_extractor_definition_exits_2_naming_the_file(repo: GitRepo) -> None:
    repo.commit("bad", {".policycheck.yaml": "extractors:\n  - id: mine\n    match: {kind: HelmRelease}\n"})
    proc = run_cli("check", "--repo", str(repo.path), "HEAD")
    assert proc.returncode == 2
    assert ".policycheck.yaml" in proc.stderr and "Traceback" not in proc.stderr


def chart_ref_release(source: str) -> str:
    """The release above, its chart named by `chartRef` to an OCIRepository called `source`."""
    text = release("missing")
    head, values = text.split("  values:\n", 1)
    return head.split("  chart:\n", 1)[0] + f"""  chartRef:
    kind: OCIRepository
    name: {source}
  values:
{values}"""


def oci_repository(name: str, url: str) -> str:
    return f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
  namespace: media
spec:
  interval: 15m
  url: {url}
  ref:
    tag: 3.7.3
"""


def test_a_chart_ref_to_an_oci_repository_is_matched_by_what_its_url_is(repo: GitRepo) -> None:
    """A per-application OCIRepository named after the application still installs app-template."""
    repo.commit("release", {
        "network/gateways.yaml": GATEWAYS,
        "media/sonarr/helmrelease.yaml": chart_ref_release("sonarr"),
        "media/sonarr/ocirepository.yaml": oci_repository("sonarr", "oci://ghcr.io/bjw-s-labs/helm/app-template"),
    })
    code, report = check_json(repo, "--history")
    assert code == 1
    assert {(f["policy"], f["file"]) for c in report["commits"] for f in c["findings"]
            if f["severity"] == "error"} == {("parent-exists", "media/sonarr/helmrelease.yaml")}
    # The same source pointing at another chart lifts nothing.
    repo.commit("another chart", {
        "media/sonarr/ocirepository.yaml": oci_repository("sonarr", "oci://ghcr.io/example/charts/sonarr")})
    code, report = check_json(repo, "HEAD")
    assert code == 0, report
