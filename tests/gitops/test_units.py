"""Namespace inference and substitution without Git: the pieces on their own."""

from __future__ import annotations

from policycheck.gitops.kustomize import Tree, parse_kustomization
from policycheck.gitops.scopes import Root, plan
from policycheck.gitops.substitute import substitute, unresolved


def test_outer_kustomization_namespace_wins_and_remote_bases_are_skipped() -> None:
    base = parse_kustomization("base/kustomization.yaml", b"namespace: inner\nresources: [a.yaml, ../x]\n")
    over = parse_kustomization("over/kustomization.yaml",
                               b"namespace: outer\nresources: [../base, https://github.com/x/y//z, b.yaml]\n")
    tree = Tree.of({"base/a.yaml", "over/b.yaml", "base/kustomization.yaml", "over/kustomization.yaml"}, [base, over])
    assert sorted(tree.build("over")) == [("base/a.yaml", "outer"), ("over/b.yaml", "outer")]
    assert tree.build("base") == [("base/a.yaml", "inner")]
    placements = plan(tree, [])
    assert {p.override for p in placements["base/a.yaml"]} == {"outer"}  # base is included, not a root


def test_a_cycle_of_kustomizations_ends() -> None:
    a = parse_kustomization("a/kustomization.yaml", b"resources: [../b, x.yaml]\n")
    b = parse_kustomization("b/kustomization.yaml", b"resources: [../a]\n")
    tree = Tree.of({"a/x.yaml"}, [a, b])
    assert tree.build("a") == [("a/x.yaml", None)]


def test_a_flux_folder_without_kustomization_reads_every_manifest_below() -> None:
    sub = parse_kustomization("apps/sub/kustomization.yaml", b"resources: [s.yaml]\n")
    tree = Tree.of({"apps/a.yaml", "apps/deep/b.yml", "apps/sub/s.yaml", "apps/sub/ignored.yaml", "other/c.yaml"},
                   [sub])
    placements = plan(tree, [Root("clusters/x", "apps", "target")])
    assert {f for f, ps in placements.items() if not ps[0].excluded} == {"apps/a.yaml", "apps/deep/b.yml",
                                                                        "apps/sub/s.yaml"}
    assert placements["apps/sub/ignored.yaml"][0].excluded == (
        "not deployed: apps/sub/kustomization.yaml does not list it")
    assert placements["other/c.yaml"][0].excluded.endswith("reaches it")
    assert all(p.override == "target" for ps in placements.values() for p in ps if not p.excluded)


def test_substitution_copies_and_keeps_unknown_variables() -> None:
    body = {"metadata": {"name": "${APP}-${ENV:=dev}"}, "spec": {"x": ["${UNKNOWN}", 3]}}
    out = substitute(body, {"APP": "shop"})
    assert out["metadata"]["name"] == "shop-dev"
    assert out["spec"] is body["spec"]  # unchanged parts are shared
    assert body["metadata"]["name"] == "${APP}-${ENV:=dev}"
    assert unresolved(out["spec"]["x"][0]) == ["UNKNOWN"]
