"""`policycheck test`: YAML policy cases, the built-ins' own cases, diffs and error paths."""

from __future__ import annotations

from pathlib import Path

import yaml
from gitrepo import ROOT, run_cli

from policycheck.policy import builtin_dir, load_folder

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: public}]
"""


def test_builtin_cases_pass(tmp_path: Path) -> None:
    proc = run_cli("test", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed" in proc.stdout
    assert "policies/tests/no-in-place-detach.yaml" in proc.stdout


def test_every_builtin_policy_has_a_passing_and_a_failing_case() -> None:
    covered: dict[str, set[str]] = {}
    for path in sorted((ROOT / "policies" / "tests").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            tested = set(case.get("policies", data.get("policies", [path.stem])))
            found = {e["policy"] for e in case["expect"]}
            for pid in tested:
                covered.setdefault(pid, set()).add("fail" if pid in found else "pass")
            for pid in found:
                covered.setdefault(pid, set()).add("fail")
    for policy in load_folder(builtin_dir(), "policies"):
        assert covered.get(policy.id) == {"pass", "fail"}, policy.id


def _cases(tmp_path: Path, text: str, name: str = "parent-exists.yaml") -> Path:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path) -> None:
    folder = _cases(tmp_path, yaml.safe_dump({"cases": [
        {"name": "expects a warning", "after": ROUTE,
         "expect": [{"policy": "parent-exists", "resource": "HTTPRoute default/shop", "severity": "warning"}]},
        {"name": "expects nothing", "after": ROUTE, "expect": []},
    ]}, sort_keys=False))
    proc = run_cli("test", str(folder), cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout
    assert "FAIL  expects a warning" in out and "FAIL  expects nothing" in out
    assert "- expected, not found: parent-exists HTTPRoute default/shop (severity=warning)" in out
    assert ("+ found, not expected: parent-exists HTTPRoute default/shop (severity=error, new) "
            "at manifests.yaml:5:") in out
    assert "2 cases, 0 passed, 2 failed" in out


def test_before_state_makes_findings_pre_existing(tmp_path: Path) -> None:
    folder = _cases(tmp_path, yaml.safe_dump({"cases": [
        {"name": "carried over", "before": {"r.yaml": ROUTE},
         "after": {"r.yaml": ROUTE.replace("shop}", "shop, labels: {a: b}}")},
         "expect": [{"policy": "parent-exists", "resource": "HTTPRoute default/shop", "new": False}]},
    ]}, sort_keys=False))
    proc = run_cli("test", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_a_policy_folder_with_tests_is_loaded_with_its_cases(tmp_path: Path) -> None:
    pol = tmp_path / "checks"
    (pol / "tests").mkdir(parents=True)
    (pol / "needs-team.yaml").write_text(
        "id: needs-team\nseverity: warning\ndescription: Routes carry a team label.\nmatch: {routes: true}\n"
        "when: '!(resource.metadata.labels.team)'\nmessage: 'route {key.name} has no team label'\n")
    (pol / "tests" / "needs-team.yaml").write_text(yaml.safe_dump({"cases": [
        {"name": "no label", "after": ROUTE,
         "expect": [{"policy": "needs-team", "resource": "HTTPRoute default/shop"}]},
    ]}))
    proc = run_cli("test", str(pol), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 case, 1 passed, 0 failed" in proc.stdout


def test_error_paths_exit_2_with_file_and_line(tmp_path: Path) -> None:
    bad_key = "cases:\n  - name: x\n    after: ''\n    expect: []\n    colour: blue\n"
    folder = _cases(tmp_path, bad_key)
    proc = run_cli("test", str(folder), cwd=tmp_path)
    assert proc.returncode == 2
    assert "parent-exists.yaml:2: cases/0: Additional properties are not allowed ('colour'" in proc.stderr

    unknown = "cases:\n  - name: x\n    after: ''\n    expect:\n      - policy: parent-exist\n        resource: A b\n"
    proc = run_cli("test", str(_cases(tmp_path, unknown)), cwd=tmp_path)
    assert proc.returncode == 2
    assert "parent-exists.yaml:5: policy: unknown policy id 'parent-exist'" in proc.stderr

    bad_config = "cases:\n  - name: x\n    config:\n      failOn: never\n    after: ''\n    expect: []\n"
    proc = run_cli("test", str(_cases(tmp_path, bad_config)), cwd=tmp_path)
    assert proc.returncode == 2
    assert "parent-exists.yaml:4: cases/0/config/failOn: 'never' is not one of" in proc.stderr

    proc = run_cli("test", str(_cases(tmp_path, "cases: [\n")), cwd=tmp_path)
    assert proc.returncode == 2 and "YAML does not parse" in proc.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("test", str(empty), cwd=tmp_path)
    assert proc.returncode == 2 and "no test case files" in proc.stderr


def test_only_and_junit() -> None:
    import xml.etree.ElementTree as ET

    from gitrepo import run_cli

    proc = run_cli("test", "--only", "parent-exists", "--format", "junit")
    assert proc.returncode == 0, proc.stdout
    root = ET.fromstring(proc.stdout.encode())
    suites = [s.get("name") for s in root.iter("testsuite")]
    assert "policies/tests/parent-exists.yaml" in suites and "policies/tests/route-valid.yaml" not in suites
    assert int(root.get("tests", "0")) == len(list(root.iter("testcase"))) > 0
    proc = run_cli("test", "--only", "parent-exist")
    assert proc.returncode == 2 and "did you mean parent-exists?" in proc.stderr
