"""A file name that is not UTF-8 (Git's paths are bytes): judged like any other, shown as `\\xNN` bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, route, run

NAME = b"routes/r\xff\xfe.yaml"
SHOWN = "routes/r\\xff\\xfe.yaml"
FORMATS = ("text", "json", "sarif", "markdown", "junit", "github", "gitlab")


def _add(repo: GitRepo, name: bytes, text: str) -> None:
    os.makedirs(repo.path / "routes", exist_ok=True)
    with open(os.fsencode(repo.path) + b"/" + name, "wb") as fh:
        fh.write(text.encode())


@pytest.fixture
def named(repo: GitRepo) -> GitRepo:
    repo.commit("base", {"svc.yaml": SERVICE})
    _add(repo, NAME, route("missing"))
    repo.commit("bad route under an undecodable name")
    return repo


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_with_and_without_cache(named: GitRepo, fmt: str) -> None:
    outputs = []
    for args in (("--no-cache",), (), ()):  # no cache, a cold cache, a warm one
        proc = run("check", "--repo", str(named.path), "--format", fmt, *args, "HEAD")
        assert proc.returncode == 1, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    text = outputs[0]
    assert not any(0xDC80 <= ord(c) <= 0xDCFF for c in text)
    text.encode("utf-8")  # strict: what is written is UTF-8
    if fmt == "json":
        files = [f["file"] for c in json.loads(text)["commits"] for f in c["findings"]]
        assert files == [SHOWN]
    elif fmt == "sarif":
        uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(text)["runs"][0]["results"] for loc in r["locations"]]
        assert uris == ["routes/r%FF%FE.yaml"]
    elif fmt == "gitlab":
        assert [i["location"]["path"] for i in json.loads(text)] == [SHOWN]
    elif fmt == "markdown":
        assert "routes/r%FF%FE.yaml#L" in text
    else:
        assert SHOWN in text


def test_working_tree_and_index(named: GitRepo) -> None:
    _add(named, b"routes/q\xe9.yaml", route("missing", "q"))
    proc = run("check", "--repo", str(named.path), "--format", "json")
    assert proc.returncode == 1
    assert [f["file"] for c in json.loads(proc.stdout)["commits"] for f in c["findings"]] == ["routes/q\\xe9.yaml"]
    named.git("add", "-A")
    proc = run("check", "--repo", str(named.path), "--staged", "--all")
    assert proc.returncode == 1
    assert "routes/q\\xe9.yaml:" in proc.stdout and f"{SHOWN}:" in proc.stdout
    named.commit("fix", {"svc2.yaml": SERVICE.replace("name: web", "name: missing")})
    assert run("check", "--repo", str(named.path), "HEAD").returncode == 0


def test_inventory_and_status(named: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "inventory.txt"
    proc = run("inventory", "--repo", str(named.path), "--rev", "HEAD", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"{SHOWN}:" in out.read_text(encoding="utf-8")
    proc = run("inventory", "--repo", str(named.path), "--rev", "HEAD", "--format", "json")
    assert SHOWN in [o["file"] for o in json.loads(proc.stdout)["objects"]]
    assert run("status", "--repo", str(named.path), "--rev", "HEAD", "--format", "json").returncode == 0
