"""`.policycheck.yaml`: validated by its schema; every error names the file and line and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo, check_json, run_cli

from policycheck.config import Config, parse_config
from policycheck.errors import ConfigError
from policycheck.setup_run import load_policies

ROUTE_MISSING_PARENT = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: no-such-gateway}]
"""


def test_defaults_and_values() -> None:
    assert parse_config("", "c.yaml") == Config(source="c.yaml")
    c = parse_config("failOn: all\nprofile: linkerd\nmesh: {name: linkerd, version: '2.14.1'}\n"
                     "params: {allowed-hostnames: {domains: [example.com]}}\n", "c.yaml")
    assert (c.fail_on, c.profile, c.mesh["version"]) == ("all", "linkerd", "2.14.1")
    assert c.params == {"allowed-hostnames": {"domains": ["example.com"]}}


@pytest.mark.parametrize(("text", "line", "part"), [
    ("include: ['*.yaml']\nfailOn: sometimes\n", 2, "failOn: 'sometimes' is not one of"),
    ("include: ['*.yaml']\ncolour: blue\n", 1, "Additional properties are not allowed ('colour'"),
    ("severity:\n  parent-exists: loud\n", 2, "severity/parent-exists: 'loud' is not one of"),
    ("params:\n  parent-exists: 3\n", 2, "params/parent-exists: 3 is not of type 'object'"),
    ("include: [a\n", 1, "YAML does not parse"),
    ("a: 1\n---\nb: 2\n", 1, "one YAML document"),
])
def test_schema_errors_name_the_line(text: str, line: int, part: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, ".policycheck.yaml")
    assert str(info.value).startswith(f".policycheck.yaml:{line}: "), str(info.value)
    assert part in str(info.value)


@pytest.mark.parametrize(("text", "line", "part"), [
    ("failOn: new\ndisable:\n  - parent-exists\n  - parent-exist\n", 4, "disable: unknown policy id 'parent-exist'"),
    ("enable: [no-such-opt-in]\n", 1, "enable: unknown built-in policy 'no-such-opt-in'"),
    ("failOn: new\nseverity:\n  parent-exits: warning\n", 3, "severity: unknown policy id 'parent-exits'"),
    ("params:\n  allowed-hostname: {domains: []}\n", 2, "params: unknown policy id 'allowed-hostname'"),
    ("forbidSuppressing: [parent-exists, nope]\n", 1, "forbidSuppressing: unknown policy id 'nope'"),
    ("failOn: new\npolicyDirs:\n  - missing-folder\n", 3, "policyDirs: no folder 'missing-folder'"),
])
def test_unknown_ids_and_folders_name_the_line(tmp_path: Path, text: str, line: int, part: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_policies(parse_config(text, ".policycheck.yaml"), root=tmp_path)
    assert str(info.value).startswith(f".policycheck.yaml:{line}: "), str(info.value)
    assert part in str(info.value)


def test_params_of_an_opt_in_policy_not_enabled_are_accepted(tmp_path: Path) -> None:
    config = parse_config("params: {allowed-gateways: {allowed: {}}}\n")
    assert "allowed-gateways" not in {p.id for p in load_policies(config, root=tmp_path)}
    enabled = parse_config("enable: [allowed-gateways]\n")
    assert "allowed-gateways" in {p.id for p in load_policies(enabled, root=tmp_path)}


def test_check_exits_2_on_a_broken_configuration(repo: GitRepo) -> None:
    repo.commit("config", {".policycheck.yaml": "include: ['*.yaml']\nfailOn: sometimes\n", "r.yaml": "a: 1\n"})
    proc = run_cli("check", "--repo", str(repo.path))
    assert proc.returncode == 2
    assert ".policycheck.yaml:2: failOn: 'sometimes' is not one of" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_explicit_config_file_error(tmp_path: Path) -> None:
    cfg = tmp_path / "pc.yaml"
    cfg.write_text("disable:\n  - parent-exist\n")
    proc = run_cli("policies", "list", "--config", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{cfg}:2: disable: unknown policy id 'parent-exist'" in proc.stderr


def test_disable_and_severity_override(repo: GitRepo) -> None:
    repo.commit("route", {"r.yaml": ROUTE_MISSING_PARENT,
                          ".policycheck.yaml": "severity: {parent-exists: warning}\n"})
    code, report = check_json(repo, "HEAD")
    assert code == 0
    assert [f["severity"] for f in report["commits"][0]["findings"] if f["policy"] == "parent-exists"] == ["warning"]
    repo.commit("disable", {".policycheck.yaml": "disable: [parent-exists]\n"})
    code, report = check_json(repo, "HEAD~1", "--config", str(repo.path / ".policycheck.yaml"))
    assert "parent-exists" not in {f["policy"] for f in report["commits"][0]["findings"]}


def test_range_check_reads_configuration_from_the_base(repo: GitRepo) -> None:
    base = repo.commit("base", {"README.md": "x\n"})
    repo.commit("weaken and break", {".policycheck.yaml": "disable: [parent-exists]\n", "r.yaml": ROUTE_MISSING_PARENT})
    code, report = check_json(repo, "--base", base)
    assert code == 1, "a change cannot disable the policy that judges it"
    assert "parent-exists" in {f["policy"] for f in report["commits"][0]["findings"]}
    code, report = check_json(repo, "--base", base, "--policy-source", "head")
    assert code == 0
