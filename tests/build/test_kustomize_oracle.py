"""`policycheck inventory PATH` against `kubectl kustomize PATH`, object by object, for every fixture tree.

kubectl (with its built-in kustomize) is the oracle; without it the comparison
is skipped with the reason shown.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitrepo import run_cli
from kustomize_fixtures import FIXTURES, FOLDERS

KUBECTL = shutil.which("kubectl")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _key(obj: dict[str, Any]) -> tuple[str, str, str | None, str]:
    md = obj.get("metadata") or {}
    return obj["apiVersion"], obj["kind"], md.get("namespace"), md["name"]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: no kustomize oracle to compare with")
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_inventory_equals_kustomize(tmp_path: Path, name: str) -> None:
    _write(tmp_path, FIXTURES[name])
    folder = tmp_path / FOLDERS.get(name, ".")
    assert KUBECTL is not None
    oracle = subprocess.run([KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert oracle.returncode == 0, oracle.stderr
    expected = {_key(o): o for o in yaml.safe_load_all(oracle.stdout) if o}
    proc = run_cli("inventory", str(folder), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)["objects"]
    assert {(o["apiVersion"], o["kind"], o["namespace"], o["name"]) for o in got} == set(expected)
    for obj in got:
        key = (obj["apiVersion"], obj["kind"], obj["namespace"], obj["name"])
        assert obj["object"] == expected[key], key
