"""Snapshots of an evaluated commit: a run that starts from one reports exactly what a run from scratch does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitops_manifests import HTTP, flux, helm_release, kustomization, network_gateway
from gitrepo import GitRepo, run_cli

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {name}{namespace}
spec:
  ports:
    - name: http
      port: 80
"""

ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}{namespace}
spec:
  parentRefs:
    - name: {parent}
      namespace: network
      sectionName: http
  rules:
    - backendRefs:
        - name: {backend}
          port: 80
"""

HELMRELEASE = helm_release()

FLUX = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: shop
  namespace: flux-system
spec:
  interval: 10m
  path: ./shop
  prune: true
  targetNamespace: shop
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      GATEWAY: gw-a
"""


def service(name: str, namespace: str = "") -> str:
    return SERVICE.format(name=name, namespace=f"\n  namespace: {namespace}" if namespace else "")


def route(name: str, parent: str, backend: str, namespace: str = "") -> str:
    return ROUTE.format(name=name, parent=parent, backend=backend,
                        namespace=f"\n  namespace: {namespace}" if namespace else "")



# The history has two clusters (deploying overlays apps/prod and apps/staging of one base): a check is a run
# over every placement and one run per environment, each with its snapshot.
RUNS = 3


def history(repo: GitRepo) -> list[str]:
    """Overlays, a Flux scope with variables, a chart, deletions and retargets; returns the commits."""
    shas = [repo.commit("gateways and apps", {
        "infra/gw-a.yaml": network_gateway("gw-a", (HTTP,)),
        "infra/gw-b.yaml": network_gateway("gw-b", (HTTP,)),
        "apps/base/kustomization.yaml": kustomization(["service.yaml", "route.yaml"]),
        # A diagnostic on a file that overlays place (a key written twice).
        "apps/base/service.yaml": service("web").replace("  name: web", "  name: web\n  name: web"),
        "apps/base/route.yaml": route("web", "gw-a", "web"),
        "apps/staging/kustomization.yaml": kustomization(["../base"], "staging"),
        "apps/prod/kustomization.yaml": kustomization(["../base"], "prod"),
        "clusters/shop.yaml": FLUX,
        "clusters/infra.yaml": flux("infra", "./infra"),
        "clusters/media.yaml": flux("media", "./media"),
        "clusters/prod/apps.yaml": flux("apps", "./apps/prod"),
        "clusters/staging/apps.yaml": flux("apps", "./apps/staging"),
        "shop/service.yaml": service("cart"),
        "shop/route.yaml": route("cart", "${GATEWAY}", "cart"),
        "media/release.yaml": HELMRELEASE,
        "media/service.yaml": service("sonarr", "media"),
        "media/route.yaml": route("sonarr", "gw-b", "sonarr", "media"),
        "media/other.yaml": route("other", "gw-b", "sonarr", "media"),
        "notes/broken.yaml": "key: [unclosed\n",  # a diagnostic on a file no later change touches
    })]
    shas.append(repo.commit("delete a service, retarget a route", {
        "media/service.yaml": None,
        "media/route.yaml": route("sonarr", "gw-missing", "sonarr", "media"),
    }))
    shas.append(repo.commit("move prod, delete a gateway", {
        "apps/prod/kustomization.yaml": kustomization(["../base"], "production"),
        "infra/gw-b.yaml": None,
    }))
    shas.append(repo.commit("bring the gateway back", {"infra/gw-b.yaml": network_gateway("gw-b", (HTTP,))}))
    return shas


def check(repo: GitRepo, cache: Path, *args: str) -> str:
    proc = run_cli("check", "--repo", str(repo.path), "--format", "json", "--all", *args,
                   env={"POLICYCHECK_CACHE_DIR": str(cache)})
    assert proc.returncode in (0, 1), proc.stderr
    json.loads(proc.stdout)
    return proc.stdout


def snapshots(cache: Path) -> dict[str, float]:
    folder = cache / "snapshots"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def findings(report: str) -> list[dict[str, Any]]:
    return [f for c in json.loads(report)["commits"] for f in c["findings"]]


def test_each_commit_judged_from_its_parents_snapshot_matches_a_run_from_scratch(repo: GitRepo,
                                                                                   tmp_path: Path) -> None:
    shas = history(repo)
    cache = tmp_path / "cache"
    for sha in shas[1:]:
        scratch = check(repo, cache, sha, "--no-cache")
        cold = check(repo, cache, sha)
        assert len(snapshots(cache)) >= 1
        warm = check(repo, cache, sha)  # the parent comes from its snapshot
        assert cold == scratch
        assert warm == scratch, sha


def test_staged_change_from_a_snapshot_matches_and_a_moved_head_or_new_config_is_a_miss(
        repo: GitRepo, tmp_path: Path) -> None:
    history(repo)
    cache = tmp_path / "cache"
    # Deleting a gateway makes findings on routes in files the change does not touch: their
    # lines come from blobs the snapshot does not hold.
    repo.stage({"infra/gw-a.yaml": None,
                "apps/staging/kustomization.yaml": kustomization(["../base"], "stage")})
    scratch = check(repo, cache, "--staged", "--no-cache")
    assert any(f["file"] == "apps/base/route.yaml" for f in findings(scratch))
    assert check(repo, cache, "--staged") == scratch
    stored = snapshots(cache)
    assert len(stored) == RUNS
    assert check(repo, cache, "--staged") == scratch
    assert set(snapshots(cache)) == set(stored)  # a hit writes nothing new

    repo.git("commit", "-q", "-m", "staged")  # HEAD moves: derived from its parent's snapshot, not stored
    repo.stage({"shop/route.yaml": route("cart", "gw-b", "cart")})
    scratch = check(repo, cache, "--staged", "--no-cache")
    assert check(repo, cache, "--staged") == scratch
    assert set(snapshots(cache)) == set(stored)
    assert check(repo, cache, "--staged") == scratch

    # Another configuration (read from the working tree by --staged) is another snapshot.
    repo.write(".policycheck.yaml", "severity:\n  parent-exists: warning\n")
    scratch = check(repo, cache, "--staged", "--no-cache")
    assert check(repo, cache, "--staged") == scratch
    assert len(snapshots(cache)) == 2 * RUNS
    assert check(repo, cache, "--staged") == scratch


def test_a_hook_after_commits_derives_head_from_an_older_snapshot_as_a_run_from_scratch_judges_it(
        repo: GitRepo, tmp_path: Path) -> None:
    """HEAD moves by one commit or several between hook runs; each run derives HEAD from the nearest
    snapshot behind it (parents deleted and brought back, so "deleted earlier" hints are at stake)."""
    shas = history(repo)
    more = [
        {"media/service.yaml": service("sonarr", "media")},
        {"infra/gw-a.yaml": None, "media/route.yaml": route("sonarr", "gw-b", "sonarr", "media")},
        {"infra/gw-a.yaml": network_gateway("gw-a", (HTTP,)), "media/service.yaml": None},
        {"shop/route.yaml": route("cart", "gw-b", "cart"), "infra/gw-b.yaml": None},
        {"infra/gw-b.yaml": network_gateway("gw-b", (HTTP,)), "media/other.yaml": None},
        {"media/service.yaml": service("sonarr", "media"), "apps/base/route.yaml": route("web", "gw-b", "web")},
    ]
    shas += [repo.commit(f"step {i}", files) for i, files in enumerate(more)]
    cache = tmp_path / "cache"
    stored: list[int] = []
    for i, sha in enumerate(shas[1:], start=1):
        if i in (4, 5):
            continue  # HEAD then moves by several commits at once
        repo.git("reset", "-q", "--soft", shas[i - 1])  # HEAD is the parent; the index holds the commit
        repo.git("read-tree", sha)
        scratch = check(repo, cache, "--staged", "--no-cache")
        assert check(repo, cache, "--staged") == scratch, sha
        stored.append(len(snapshots(cache)))
    # Stored by the first run; derived, not stored, by the next; a commit far enough from it is stored.
    assert stored[:2] == [RUNS, RUNS] and stored[-1] > RUNS, stored

    # Two commits since the last run, then a staged change deleting a Gateway that neither touched:
    # a run from scratch remembers HEAD, so the routes' missing parent was "deleted earlier".
    repo.git("reset", "-q", "--hard", shas[-1])
    repo.stage({"media/other.yaml": route("other", "gw-b", "web", "media")})
    check(repo, cache, "--staged")
    repo.git("commit", "-q", "-m", "one")
    repo.commit("two", {"shop/service.yaml": service("cart").replace("port: 80", "port: 8080")})
    repo.stage({"infra/gw-b.yaml": None})
    scratch = check(repo, cache, "--staged", "--no-cache")
    assert any("deleted" in f["message"] for f in findings(scratch) if f["policy"] == "parent-exists"), scratch
    assert check(repo, cache, "--staged") == scratch

    # HEAD's parent from its own snapshot: what it updated is judged again (its findings' operation
    # is `update` there, `none` in HEAD), the rest keeps its findings.
    repo.git("reset", "-q", "--hard", "HEAD")
    cache = tmp_path / "fresh-cache"
    repo.commit("update a route that has a finding", {"media/route.yaml": route("sonarr", "gw-x", "sonarr", "media")})
    repo.stage({"notes/more.yaml": "a: 1\n"})
    check(repo, cache, "--staged")  # stores HEAD (a run with nothing staged judges nothing)
    repo.commit("something else", {"shop/service.yaml": service("cart")})
    repo.stage({"media/other.yaml": None})
    scratch = check(repo, cache, "--staged", "--no-cache")
    every = [f for c in json.loads(scratch)["commits"] for f in c["all"]]
    assert any(f["resource"] and f["resource"]["name"] == "sonarr" and f["operation"] == "none" for f in every)
    assert check(repo, cache, "--staged") == scratch


APP_TEMPLATE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: media
spec:
  chart:
    spec:
      chart: app-template
      sourceRef:
        kind: HelmRepository
        name: bjw-s
  values:
    service:
      app:
        controller: sonarr
        ports:
          http:
            port: 80
    route:
      app:
        parentRefs:
          - name: {parent}
            namespace: network
            sectionName: http
        rules:
          - backendRefs:
              - identifier: app
                port: 80
"""


def test_routes_lifted_from_helm_values_are_stored_and_located(repo: GitRepo, tmp_path: Path) -> None:
    history(repo)
    repo.commit("app-template release", {"media/app.yaml": APP_TEMPLATE.format(parent="gw-a")})
    cache = tmp_path / "cache"
    # The gateway the lifted route names goes away: its finding is located through the stored locator.
    repo.stage({"infra/gw-a.yaml": None})
    scratch = check(repo, cache, "--staged", "--no-cache")
    assert any(f["file"] == "media/app.yaml" for f in findings(scratch))
    assert check(repo, cache, "--staged") == scratch
    assert len(snapshots(cache)) == RUNS
    assert check(repo, cache, "--staged") == scratch


def test_a_corrupt_snapshot_is_a_miss(repo: GitRepo, tmp_path: Path) -> None:
    history(repo)
    cache = tmp_path / "cache"
    repo.stage({"infra/gw-b.yaml": None})
    first = check(repo, cache, "--staged")
    paths = [cache / "snapshots" / name for name in snapshots(cache)]
    assert len(paths) == RUNS
    for path in paths:
        path.write_bytes(path.read_bytes()[:-100])
    assert check(repo, cache, "--staged") == first
    for path in paths:
        path.write_bytes(b"garbage")
    assert check(repo, cache, "--staged") == first


def test_policies_are_part_of_the_key(tmp_path: Path) -> None:
    from policycheck.config import Config
    from policycheck.policy import parse_policy
    from policycheck.snapshot import salt

    text = ("id: p\nseverity: error\ndescription: d\nmessage: m {key.name}\nwhen: \"operation == 'create'\"\n")
    one = parse_policy(text, "p.yaml")
    two = parse_policy(text.replace("'create'", "'update'"), "p.yaml")
    assert salt(Config(), [one], "spec") == salt(Config(), [parse_policy(text, "p.yaml")], "spec")
    assert salt(Config(), [one], "spec") != salt(Config(), [two], "spec")
    assert salt(Config(), [one], "spec") != salt(Config(), [one], "linkerd")
    assert salt(Config(), [one], "spec") != salt(Config(severity={"p": "info"}), [one], "spec")


def test_a_validated_configuration_is_remembered_and_a_broken_one_still_fails(repo: GitRepo, tmp_path: Path) -> None:
    history(repo)
    cache = tmp_path / "cache"
    repo.stage({"infra/gw-b.yaml": None})
    repo.write(".policycheck.yaml", "severity:\n  parent-exists: warning\n")
    first = check(repo, cache, "--staged")
    remembered = (cache / "valid-documents").read_text().split()
    assert len(remembered) >= 2  # the configuration and the policies
    assert check(repo, cache, "--staged") == first
    repo.write(".policycheck.yaml", "severity:\n  parent-exists: fatal\n")
    proc = run_cli("check", "--repo", str(repo.path), "--staged", env={"POLICYCHECK_CACHE_DIR": str(cache)})
    assert proc.returncode == 2
    assert ".policycheck.yaml:2" in proc.stderr
    assert (cache / "valid-documents").read_text().split() == remembered
