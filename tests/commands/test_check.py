"""`policycheck check` over a range: every blob it parses comes through a pipelined read, none one by one."""

from __future__ import annotations

import pytest
from gitrepo import GitRepo, run_cli
from manifests_fixtures import mesh_route, service

from policycheck.commands.check import CheckOptions, run_check
from policycheck.gitbatch import BlobStream
from policycheck.gitsource import GitSource
from policycheck.render import render_report

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\n" \
                "resources:\n  - service.yaml\n  - route.yaml\n"


def _history(repo: GitRepo) -> None:
    files: dict[str, str | None] = {f"apps/svc-{i}.yaml": service(f"svc-{i}") for i in range(8)}
    files |= {f"apps/route-{i}.yaml": mesh_route(f"route-{i}", f"svc-{i % 3}") for i in range(8)}
    files |= {"shop/kustomization.yaml": KUSTOMIZATION.format(ns="shop"), "shop/service.yaml": service("cart"),
              "shop/route.yaml": mesh_route("cart", "cart")}
    repo.commit("tree", files)
    repo.git("tag", "base")
    repo.commit("retarget", {"apps/route-1.yaml": mesh_route("route-1", "svc-7"),
                             "apps/route-2.yaml": mesh_route("route-2", "gone")})
    repo.commit("move, add", {"apps/route-3.yaml": None,  # the same blob at a new path
                              "moved/route-3.yaml": mesh_route("route-3", "svc-0"),
                              "apps/route-9.yaml": mesh_route("route-9", "svc-1"), "apps/svc-9.yaml": service("svc-9")})
    repo.commit("namespace", {"shop/kustomization.yaml": KUSTOMIZATION.format(ns="store"),
                              "apps/svc-0.yaml": None})
    repo.commit("put back", {"apps/route-2.yaml": mesh_route("route-2", "svc-2")})


@pytest.mark.parametrize("revision", ["base..HEAD", None])
def test_a_range_reads_no_blob_one_by_one(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                          revision: str | None) -> None:
    _history(repo)
    opts = CheckOptions(repo=str(repo.path), revision=revision, history=revision is None, no_cache=True)
    expected = render_report(run_check(opts), "json")
    round_trips: list[str] = []
    one_by_one = GitSource.read_blob

    def counted(self: GitSource, sha: str, limit: int | None = None) -> bytes:
        round_trips.append(sha)
        return one_by_one(self, sha, limit)

    monkeypatch.setattr(GitSource, "read_blob", counted)
    assert render_report(run_check(opts), "json") == expected
    assert round_trips == []
    # Every blob read one by one instead: the same report.
    monkeypatch.setattr(BlobStream, "get", lambda self, sha: None)
    assert render_report(run_check(opts), "json") == expected
    assert round_trips


def test_a_large_staged_change_is_read_in_one_stream(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.commit("empty")
    repo.stage({f"apps/svc-{i}.yaml": service(f"svc-{i}") for i in range(6)})
    round_trips: list[str] = []
    one_by_one = GitSource.read_blob
    monkeypatch.setattr(GitSource, "read_blob",
                        lambda self, sha, limit=None: round_trips.append(sha) or one_by_one(self, sha, limit))
    report = run_check(CheckOptions(repo=str(repo.path), staged=True, no_cache=True))
    assert report.commits[0].changes and round_trips == []


def test_an_empty_range_says_so_on_stderr(repo: GitRepo) -> None:
    repo.commit("one", {"svc.yaml": service("a")})
    proc = run_cli("check", "HEAD..HEAD", "--repo", str(repo.path))
    assert proc.returncode == 0
    assert proc.stderr == "nothing to check: HEAD..HEAD holds no commit\n"
    proc = run_cli("check", "--base", "main", "--repo", str(repo.path))
    assert proc.returncode == 0 and proc.stderr == "nothing to check: main..HEAD holds no commit\n"


def test_quiet_prints_the_full_summary_only_on_failure(repo: GitRepo) -> None:
    repo.commit("one", {"svc.yaml": service("a")})
    full = run_cli("check", "--history", "--repo", str(repo.path))
    assert full.returncode == 0 and run_cli("check", "--history", "--quiet", "--repo", str(repo.path)).stdout == ""
    repo.commit("broken", {"r.yaml": mesh_route("r", "missing")})
    repo.commit("fine", {"svc2.yaml": service("b")})
    full = run_cli("check", "--history", "--repo", str(repo.path))
    quiet = run_cli("check", "--history", "--quiet", "--repo", str(repo.path))
    assert quiet.returncode == full.returncode == 1
    assert quiet.stdout.splitlines()[-1] == full.stdout.splitlines()[-1]
    assert quiet.stdout.splitlines()[-1].startswith("3 commits checked, 1 failed: ")
