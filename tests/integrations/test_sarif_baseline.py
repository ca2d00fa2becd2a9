"""SARIF of a pull request: every finding at the head, each with its state relative to the merge base."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from gitrepo import ROOT, GitRepo, run_cli

from .manifests import SERVICES, route

SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def _states(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Route name -> baseline states of its results."""
    out: dict[str, set[str]] = {}
    for r in doc["runs"][0]["results"]:
        name = r["properties"]["resource"].rsplit("/", 1)[-1]
        out.setdefault(name, set()).add(r["baselineState"])
    return out


def test_sarif_holds_every_head_finding_with_its_baseline_state(repo: GitRepo) -> None:
    repo.commit("services and two broken routes", {
        "services.yaml": SERVICES,
        "routes/a.yaml": route("a", "missing-a"),
        "routes/b.yaml": route("b", "missing-b"),
    })
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("fix b, add a broken c", {"routes/b.yaml": route("b", "test-service"),
                                         "routes/c.yaml": route("c", "missing-c")})
    repo.commit("unrelated", {"README.txt": "hello\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main moves on", {"routes/d.yaml": route("d", "missing-d")})
    repo.git("checkout", "-q", "pr")

    proc = run_cli("check", "--base", "main", "--format", "sarif", "--no-cache", cwd=repo.path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    if SARIF_SCHEMA.is_file():
        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    # a is still broken (unchanged), c is the pull request's (new), b was fixed (absent);
    # d is the target branch's, not at the pull request's head.
    assert _states(doc) == {"a": {"unchanged"}, "b": {"absent"}, "c": {"new"}}
    for r in doc["runs"][0]["results"]:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == f"routes/{r['properties']['resource'].rsplit('/', 1)[-1]}.yaml"


def test_sarif_of_one_commit_keeps_the_preexisting_findings(repo: GitRepo) -> None:
    repo.commit("a broken route", {"services.yaml": SERVICES, "routes/a.yaml": route("a", "missing-a")})
    repo.commit("a good route", {"routes/b.yaml": route("b", "test-service")})
    proc = run_cli("check", "HEAD", "--format", "sarif", "--no-cache", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    assert _states(json.loads(proc.stdout)) == {"a": {"unchanged"}}
