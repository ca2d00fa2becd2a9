"""The copy-paste snippets of README.md and docs/ci.md, and action.yml, stay true.

Every fenced YAML block is parsed and checked against what it configures (the
pre-commit hook ids, the action's inputs); the GitLab job's script is run. Shell
blocks marked `<!-- snippet: run -->` run as one script (`sh -e`, exit 0), blocks
marked `<!-- snippet: lines -->` run line by line (each exits 0 or 1: judged, not
refused). They run in a clone of a demo repository whose `origin/main` holds the
sample history and whose branch `feature` adds one good commit. Lines that install
policycheck are not run: the one under test is already installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitrepo import ROOT, GitRepo

from .manifests import route

DOCS = ("README.md", "docs/ci.md")
FENCE = re.compile(r"(?:<!-- snippet: (?P<mark>[\w-]+) -->\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)```", re.S)
INSTALL = re.compile(r"^\s*(python3? -m )?pip install ")


@dataclass(frozen=True)
class Snippet:
    doc: str
    lang: str
    mark: str | None
    body: str

    def __str__(self) -> str:
        return f"{self.doc}: {self.body.splitlines()[0] if self.body else ''}"


def _snippets() -> list[Snippet]:
    out = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        out += [Snippet(doc, m["lang"], m["mark"], m["body"]) for m in FENCE.finditer(text)]
    return out


SNIPPETS = _snippets()
YAML_SNIPPETS = [s for s in SNIPPETS if s.lang in ("yaml", "yml")]
SHELL_SNIPPETS = [s for s in SNIPPETS if s.mark in ("run", "lines")]


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return data


def _hook_ids() -> set[str]:
    return {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone whose origin/main holds the sample history; `feature` (checked out) adds a good route."""
    base = tmp_path_factory.mktemp("demo")
    origin = base / "origin"
    subprocess.run([str(ROOT / "samples" / "make-repo.sh"), str(ROOT / "samples" / "linkerd-retarget"), str(origin)],
                   check=True, capture_output=True)
    work = base / "work"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    repo = GitRepo(work)
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("add a route on test-service", {"routes/good.yaml": route("good", "test-service")})
    return work


def _copy(demo: Path, dest: Path) -> Path:
    shutil.copytree(demo, dest, symlinks=True)
    return dest


def test_every_doc_has_snippets() -> None:
    for doc in DOCS:
        assert [s for s in SNIPPETS if s.doc == doc], doc
    assert {s.mark for s in SHELL_SNIPPETS} == {"run", "lines"}


@pytest.mark.parametrize("snippet", YAML_SNIPPETS, ids=str)
def test_yaml_snippet(snippet: Snippet, demo: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(snippet.body)
    assert isinstance(data, dict), "a YAML snippet is a mapping"
    if "repos" in data:
        _check_pre_commit_config(data)
    elif "jobs" in data:
        _check_workflow(data)
    else:
        _run_gitlab_jobs(data, _copy(demo, tmp_path / "work"))


def _check_pre_commit_config(data: dict[str, Any]) -> None:
    hooks = [h for r in data["repos"] for h in r["hooks"]]
    assert hooks and {h["id"] for h in hooks} <= _hook_ids()
    assert all({"repo", "rev"} <= set(r) for r in data["repos"])


def _check_workflow(data: dict[str, Any]) -> None:
    inputs = set(_action()["inputs"])
    for job in data["jobs"].values():
        steps = job["steps"]
        uses = [s for s in steps if str(s.get("uses", "")).split("@")[0].endswith("/policycheck")]
        assert uses, "the workflow uses the action"
        for step in uses:
            assert set(step.get("with", {})) <= inputs, f"unknown inputs {set(step['with']) - inputs}"
            if "sarif" in step.get("with", {}):
                upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
                assert upload and upload[0]["with"]["sarif_file"] == step["with"]["sarif"]
        checkout = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
        assert checkout and checkout[0]["with"]["fetch-depth"] == 0, "a depth-1 clone has no history to judge"


def _run_gitlab_jobs(data: dict[str, Any], work: Path) -> None:
    jobs = {name: job for name, job in data.items() if isinstance(job, dict) and "script" in job}
    assert jobs, "a GitLab CI configuration with a job"
    base = subprocess.run(["git", "merge-base", "origin/main", "HEAD"], cwd=work, capture_output=True, text=True,
                          check=True).stdout.strip()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True,
                          check=True).stdout.strip()
    env = {**os.environ, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
           "CI_COMMIT_SHA": head, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    for job in jobs.values():
        assert job["variables"]["GIT_DEPTH"] == 0, "GitLab clones 20 commits deep unless told otherwise"
        script = "\n".join(line for line in job["script"] if not INSTALL.match(line))
        proc = subprocess.run(["sh", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for path in job["artifacts"]["reports"].values():
            assert (work / path).stat().st_size > 0, path
        json.loads((work / job["artifacts"]["reports"]["codequality"]).read_text())


@pytest.mark.parametrize("snippet", SHELL_SNIPPETS, ids=str)
def test_shell_snippet(snippet: Snippet, demo: Path, tmp_path: Path) -> None:
    work = _copy(demo, tmp_path / "work")
    lines = [line for line in snippet.body.splitlines() if not INSTALL.match(line)]
    if snippet.mark == "run":
        proc = subprocess.run(["sh", "-e", "-c", "\n".join(lines)], cwd=work, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return
    for line in lines:
        proc = subprocess.run(["sh", "-c", line], cwd=work, capture_output=True, text=True, timeout=300)
        assert proc.returncode in (0, 1), f"{line}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr


# -- action.yml ---------------------------------------------------------------

def test_action_structure() -> None:
    action = _action()
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    assert {"base", "head", "mode", "format", "fail-on", "sarif"} <= set(action["inputs"])
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    steps = action["runs"]["steps"]
    ids = {s["id"] for s in steps if "id" in s}
    for step in steps:
        assert step.get("shell") == "bash", "a composite step that runs a script names its shell"
        used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*}}", yaml.safe_dump(step)))
        assert used <= set(action["inputs"]), used - set(action["inputs"])
        assert "${{" not in step["run"], "inputs reach scripts through env, never spliced into the script"
        syntax = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr
    for name, spec in action["outputs"].items():
        step_id = re.search(r"steps\.([\w-]+)\.outputs", spec["value"])
        assert step_id and step_id[1] in ids, name
    declared = set(action["inputs"])
    mentioned = set(re.findall(r"inputs\.([\w-]+)", (ROOT / "action.yml").read_text(encoding="utf-8")))
    assert declared == mentioned, "every input is used"


def _run_action_check(work: Path, tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """Run the action's check step as the runner would, with policycheck already installed."""
    action = _action()
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    wrapper = tmp_path / "policycheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policycheck "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    defaults = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values = {**{k: v for k, v in defaults.items() if "${{" not in v}, "base": "", "head": "", **inputs}
    env = {**os.environ, "POLICYCHECK": str(wrapper), "GITHUB_OUTPUT": str(outputs)}
    env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in values.items()})
    proc = subprocess.run(["bash", "-c", step["run"]], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return proc.returncode, got, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps run in bash")
def test_action_check_step(demo: Path, tmp_path: Path) -> None:
    work = _copy(demo, tmp_path / "work")
    base = "origin/main"
    code, out, log = _run_action_check(work, tmp_path, base=base, head="HEAD", sarif="reports/policycheck.sarif")
    assert (code, out["result"], out["sarif"]) == (0, "pass", "reports/policycheck.sarif"), log
    sarif = json.loads((work / "reports" / "policycheck.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1

    # The sample history itself fails: per commit, net, and report-only.
    root = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=work, capture_output=True, text=True,
                          check=True).stdout.strip()
    code, out, log = _run_action_check(work, tmp_path, base=root, head="origin/main")
    assert (code, out["result"]) == (1, "fail"), log
    assert "::error" in log
    code, out, _ = _run_action_check(work, tmp_path, base=root, head="origin/main", mode="net")
    assert (code, out["result"]) == (1, "fail")
    code, out, _ = _run_action_check(work, tmp_path, base=root, head="origin/main", **{"exit-zero": "true"})
    assert (code, out["result"]) == (0, "fail")

    # No base (a new branch pushed): the head commit alone.
    code, out, log = _run_action_check(work, tmp_path, base="0" * 40, head="HEAD")
    assert (code, out["result"]) == (0, "pass") and "head commit only" in log

    # Bad input and a missing base: the step fails with exit 2 and says why.
    code, out, log = _run_action_check(work, tmp_path, base=base, mode="sideways")
    assert (code, out["result"]) == (2, "error") and "per-commit or net" in log
    code, out, log = _run_action_check(work, tmp_path, base="origin/nope")
    assert (code, out["result"]) == (2, "error") and "git fetch" in log
