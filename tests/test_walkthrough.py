"""The policy reference stays true: its walk-through runs as written, and it documents every function and fact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from gitrepo import ROOT, GitRepo, check_json, run_cli

from policycheck.commands.testcases import evaluate_case
from policycheck.config import Config
from policycheck.functions import FUNCTION_NAMES
from policycheck.policy import parse_policy

DOC = ROOT / "docs" / "policies.md"


def doc_files() -> dict[str, str]:
    """Fenced blocks whose first line is `# file: PATH`, by path."""
    out = {}
    for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S):
        first = block.partition("\n")[0]
        if first.startswith("# file: "):
            out[first[len("# file: "):].strip()] = block
    return out


def test_walkthrough_as_a_new_user(repo: GitRepo) -> None:
    files = doc_files()
    assert set(files) == {"checks/keep-hostnames.yaml", "checks/tests/keep-hostnames.yaml", ".policycheck.yaml"}
    for path, text in files.items():
        repo.write(path, text)
    proc = run_cli("test", "checks", cwd=repo.path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 cases, 2 passed, 0 failed" in proc.stdout

    # The same policy on real commits: it uses the old version and the predicted status.
    case = yaml.safe_load(files["checks/tests/keep-hostnames.yaml"])["cases"][0]
    repo.commit("serve shop", dict(case["before"]))
    repo.commit("drop a hostname", dict(case["after"]))
    code, report = check_json(repo, "HEAD")
    assert code == 1
    [finding] = [f for f in report["commits"][0]["findings"] if f["policy"] == "keep-hostnames"]
    assert finding["severity"] == "error" and "www.example.com" in finding["message"]
    show = run_cli("policies", "show", "keep-hostnames", cwd=repo.path)
    assert show.returncode == 0 and "source: checks/keep-hostnames.yaml" in show.stdout


def test_walkthrough_case_fails_when_the_policy_is_wrong(repo: GitRepo) -> None:
    for path, text in doc_files().items():
        repo.write(path, text.replace("severityFrom:", "# severityFrom:"))
    proc = run_cli("test", "checks", cwd=repo.path)
    assert proc.returncode == 1
    assert "- expected, not found: keep-hostnames HTTPRoute default/shop (severity=error" in proc.stdout


def test_docs_name_every_function() -> None:
    text = DOC.read_text()
    for name in FUNCTION_NAMES:
        assert f"`{name}(" in text, f"function {name} is not documented in docs/policies.md"


DUMP = """\
id: dump
severity: info
description: Shows the context.
match: {routes: true, operations: [update]}
forEach: "detached"
message: "{to_json(@)}"
"""

SERVICES = "".join(f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  ports: [{{port: 80}}]
""" for name in ("a", "b"))
ROUTE = """---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r}}
spec:
  parentRefs: [{{group: core, kind: Service, name: {parent}, port: 80}}]
"""


def test_docs_name_every_context_key() -> None:
    policy = parse_policy(DUMP, "dump.yaml")
    case = {"name": "retarget", "before": SERVICES + ROUTE.format(parent="a"),
            "after": SERVICES + ROUTE.format(parent="b")}
    [finding] = [f for f in evaluate_case(case, [policy], Config()) if f.policy == "dump"]
    context = json.loads(finding.message)
    text = DOC.read_text()
    tables = {
        "the context": set(context),
        "status.parents": set(context["status"]["parents"][0]),
        "detached": set(context["detached"][0]),
        "mesh": set(context["mesh"]),
        "commit": set(context["commit"]),
        "key": set(context["key"]),
    }
    for where, keys in tables.items():
        for k in keys:
            assert f"`{k}`" in text or f"{k}," in text or f"{k}}}" in text, f"{where}: {k} is not documented"
    for extra in ("`what`", "`was`", "`how`"):
        assert extra in text


def test_docs_config_example_is_valid() -> None:
    from policycheck.config import parse_config

    block = re.search(r"`\.policycheck\.yaml` at the repository root.*?```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    config = parse_config(block.group(1), "docs")
    assert config.params["allowed-hostnames"] == {"domains": ["example.com"]}


def test_docs_list_every_builtin_policy() -> None:
    text = DOC.read_text()
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        assert f"**`{path.stem}`**" in text, path.stem


def test_doc_examples_compile() -> None:
    """Every `` `expr` `` after `forEach:` in the worked examples is a valid expression."""
    for path in Path(ROOT / "policies").glob("*.yaml"):
        parse_policy(path.read_text(), path.name, path.stem)
