"""Policy files: every built-in loads; a broken policy stops the run at `file:line` with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import GitRepo, run_cli

from policycheck.errors import ConfigError
from policycheck.policy import builtin_dir, load_folder, parse_policy

GOOD = """\
id: my-policy
severity: warning
description: Routes have a team label.
match:
  routes: true
when: "!(resource.metadata.labels.team)"
message: "route {key.name} has no team label"
"""


def test_every_builtin_policy_loads_and_is_named_after_its_file() -> None:
    policies = load_folder(builtin_dir(), "policies")
    ids = {p.id for p in policies}
    assert {"parent-exists", "parent-accepts-route", "backends-resolve", "no-in-place-detach",
            "no-orphaning-delete", "route-valid", "unresolved-variable"} <= ids
    assert {p.id for p in policies if p.opt_in} == {"allowed-gateways", "allowed-hostnames",
                                                    "no-cross-namespace-gateway"}
    for p in policies:
        assert p.source == f"policies/{p.id}.yaml"
        assert p.title and p.description and p.rationale


def test_good_policy_parses() -> None:
    p = parse_policy(GOOD, "my-policy.yaml", "my-policy")
    assert (p.id, p.severity, p.routes_only, p.global_) == ("my-policy", "warning", True, False)
    assert p.expressions["when"] == "!(resource.metadata.labels.team)"


def test_lookup_makes_a_policy_global() -> None:
    p = parse_policy(GOOD.replace('"!(resource.metadata.labels.team)"', "\"!lookup('Service', key.namespace, 'x')\""),
                     "my-policy.yaml")
    assert p.global_


BROKEN = [
    # (policy text, expected line, message part)
    (GOOD.replace("severity: warning", "severity: fatal"), 2, "severity: 'fatal' is not one of"),
    (GOOD.replace('when: "!(resource.metadata.labels.team)"', 'when: "resource.["'), 6,
     "when: JMESPath does not compile"),
    (GOOD.replace('message: "route {key.name} has no team label"', 'message: "route {key.[} x"'), 7,
     "message: JMESPath does not compile"),
    (GOOD.replace('when: "!(resource.metadata.labels.team)"', 'when: "nosuch(resource)"'), 6,
     "when: unknown function nosuch()"),
    (GOOD.replace('when: "!(resource.metadata.labels.team)"', "when: \"glob('a')\""), 6,
     "glob() takes 2 argument(s), got 1"),
    (GOOD.replace("  routes: true", "  routes: true\n  colour: blue"), 4, "match: Additional properties"),
    (GOOD.replace("id: my-policy", "id: other-name"), 1, "must equal the file name 'my-policy'"),
    (GOOD.replace("id: my-policy", "id: policy-runtime-error"), 1, "reserved"),
    (GOOD + "forEach: [a\n", 8, "YAML does not parse"),  # where the `[` opens
    (GOOD.replace("description: Routes have a team label.\n", ""), 1, "'description' is a required property"),
    ("- id: my-policy\n", 1, "exactly one mapping"),
    (GOOD.replace('when: "!(resource.metadata.labels.team)"', 'when: "!resource.metadata"'), 6, "binds tighter"),
]


@pytest.mark.parametrize(("text", "line", "part"), BROKEN)
def test_broken_policy_names_file_and_line(text: str, line: int, part: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy(text, "my-policy.yaml", "my-policy")
    assert str(info.value).startswith(f"my-policy.yaml:{line}: "), str(info.value)
    assert part in str(info.value)


def _policy_dir(tmp_path: Path, text: str, name: str = "my-policy") -> Path:
    folder = tmp_path / "pol"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return folder


def test_cli_exits_2_with_file_and_line_for_a_policy_that_does_not_compile(tmp_path: Path) -> None:
    folder = _policy_dir(tmp_path, GOOD.replace('when: "!(resource.metadata.labels.team)"', 'when: "a ||"'))
    proc = run_cli("policies", "list", "--policies", str(folder), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{folder}/my-policy.yaml:6: when: JMESPath does not compile" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_exits_2_for_a_schema_error_in_a_repository_policy(repo: GitRepo) -> None:
    repo.commit("policies", {".policycheck.yaml": "policyDirs: [checks]\n",
                             "checks/my-policy.yaml": GOOD.replace("severity: warning", "severity: loud")})
    proc = run_cli("check", "HEAD", "--repo", str(repo.path))
    assert proc.returncode == 2
    assert "checks/my-policy.yaml:2: severity: 'loud' is not one of" in proc.stderr


def test_same_id_twice_exits_2(tmp_path: Path) -> None:
    folder = _policy_dir(tmp_path, GOOD.replace("my-policy", "parent-exists"), "parent-exists")
    proc = run_cli("policies", "list", "--policies", str(folder), cwd=tmp_path)
    assert proc.returncode == 2
    assert "parent-exists.yaml:1: id: policy 'parent-exists' is defined twice" in proc.stderr


def test_policies_list_and_show(tmp_path: Path) -> None:
    proc = run_cli("policies", "list", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    assert rows["no-in-place-detach"]["source"] == "policies/no-in-place-detach.yaml"
    assert rows["allowed-gateways"]["optIn"] is True
    assert rows["manifest-parse-error"]["reserved"] is True
    text = run_cli("policies", "list", cwd=tmp_path).stdout
    assert "Reserved ids" in text and "policy-runtime-error" in text and "opt-in: list it under enable:" in text
    show = run_cli("policies", "show", "no-in-place-detach", cwd=tmp_path)
    assert show.returncode == 0
    for part in ("[error]", "source: policies/no-in-place-detach.yaml", "Why:", "linkerd/linkerd2#13280",
                 "2.13", "2.16", "forEach: detached"):
        assert part in show.stdout
    params = run_cli("policies", "show", "allowed-hostnames", cwd=tmp_path).stdout
    assert "Parameters" in params and "domains: []" in params
    reserved = run_cli("policies", "show", "manifest-parse-error", cwd=tmp_path)
    assert reserved.returncode == 0 and "reserved" in reserved.stdout


def test_policies_list_and_show_the_configuration_in_force(tmp_path: Path) -> None:
    (tmp_path / ".policycheck.yaml").write_text(
        "enable: [allowed-hostnames]\ndisable:\n  - route-valid\nseverity:\n  parent-exists: warning\n")
    rows = {r["id"]: r for r in json.loads(run_cli("policies", "list", "--format", "json", cwd=tmp_path).stdout)}
    assert (rows["parent-exists"]["severity"], rows["parent-exists"]["defaultSeverity"]) == ("warning", "error")
    assert rows["parent-exists"]["severitySetAt"] == ".policycheck.yaml:5"
    assert (rows["route-valid"]["state"], rows["route-valid"]["stateSetAt"]) == ("off", ".policycheck.yaml:3")
    hostnames = rows["allowed-hostnames"]
    assert (hostnames["state"], hostnames["stateSetAt"]) == ("on", ".policycheck.yaml:1")
    assert (rows["allowed-gateways"]["state"], rows["allowed-gateways"]["stateSetAt"]) == ("off", None)
    assert rows["manifest-skipped"]["severity"] == "warning"
    text = run_cli("policies", "list", cwd=tmp_path).stdout
    line = next(x for x in text.splitlines() if x.startswith("parent-exists "))
    assert line.split()[1:3] == ["warning", "on"] and "error -> warning at .policycheck.yaml:5" in line
    assert "disabled at .policycheck.yaml:3" in text
    show = run_cli("policies", "show", "route-valid", cwd=tmp_path).stdout
    assert "state: off (disabled at .policycheck.yaml:3)" in show and "severity: error (the policy's default)" in show


def test_policies_show_unknown_id_exits_2(tmp_path: Path) -> None:
    proc = run_cli("policies", "show", "no-such-policy", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown policy id 'no-such-policy'" in proc.stderr

