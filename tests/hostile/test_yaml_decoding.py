"""Manifests decoded as Kubernetes decodes them (sigs.k8s.io/yaml over go-yaml v2), not as PyYAML does:
one case per difference that docs/yaml.md lists."""

from __future__ import annotations

import math
from typing import Any

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route
from policycheck.yamlsource import LineMap, load_stream

DIFFERENCES: list[tuple[str, str, Any]] = [
    # (what, the value's YAML text, what Kubernetes reads; PyYAML reads otherwise)
    ("timestamp", "2024-01-01", "2024-01-01"),  # PyYAML: datetime.date
    ("timestamp with time", "2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("impossible date", "2001-13-45", "2001-13-45"),  # PyYAML: an error
    ("y", "y", True), ("Y", "Y", True), ("n", "n", False), ("N", "N", False),  # PyYAML: strings
    ("0o octal", "0o17", 15), ("0O octal", "0O17", 15),  # PyYAML: strings
    ("0X hexadecimal", "0X1F", 31),  # PyYAML: a string
    ("sexagesimal", "1:30", "1:30"),  # PyYAML: 90
    ("sexagesimal float", "1:30.5", "1:30.5"),  # PyYAML: 90.5
    ("float without a dot", "1e3", 1000),  # PyYAML: a string
    ("exponent without a sign", "1.5e3", 1500),  # PyYAML: a string
    ("leading zero, not octal", "08", 8),  # PyYAML: a string
    ("integral float", "80.0", 80),  # PyYAML: 80.0
    ("plain =", "=", "="),  # PyYAML: an error (the YAML 1.1 value key)
    ("!!timestamp", "!!timestamp 2024-01-01", "2024-01-01"),  # PyYAML: datetime.date
    ("!!binary", "!!binary aGVsbG8=", "hello"),  # PyYAML: bytes
]

KEYS: list[tuple[str, str, str]] = [
    ("boolean key", "true", "true"), ("y key", "y", "true"), ("on key", "on", "true"),  # PyYAML: True
    ("integer key", "1", "1"), ("float key", "1.5", "1.5"), ("date key", "2024-01-01", "2024-01-01"),
    ("infinite key", ".inf", ".inf"), ("NaN key", ".nan", ".nan"),  # PyYAML: floats
]


@pytest.mark.parametrize(("what", "text", "value"), DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_values_as_kubernetes_reads_them(what: str, text: str, value: Any) -> None:
    loaded = load_stream(f"a: {text}\nb: [{text}]\n")
    assert loaded.error is None, loaded.error
    assert loaded.documents == [{"a": value, "b": [value]}]
    assert type(loaded.documents[0]["a"]) is type(value)


@pytest.mark.parametrize(("what", "text", "key"), KEYS, ids=[k[0] for k in KEYS])
def test_keys_are_text(what: str, text: str, key: str) -> None:
    for source in (f"{text}: x\n", f"{{{text}: x}}\n", f"<<: {{}}\n{text}: x\n"):  # every way the loader takes
        assert load_stream(source).documents == [{key: "x"}], source


def test_a_redefined_anchor_names_the_latest_node() -> None:
    text = ("a: &x first\nb: *x\nc: {d: &x second, e: *x}\nf: *x\n"
            "---\ng: &x third\nh: *x\n")  # PyYAML: "found duplicate anchor", nothing read
    loaded = load_stream(text, lines=True)
    assert loaded.error is None, loaded.error
    assert loaded.documents == [{"a": "first", "b": "first", "c": {"d": "second", "e": "second"}, "f": "second"},
                                {"g": "third", "h": "third"}]
    lines = LineMap(text)
    assert (lines(0, ("f",)), lines(0, ("c", "e")), lines(1, ("h",))) == (4, 3, 7)


def test_a_manifest_redefining_an_anchor_is_judged(repo: GitRepo) -> None:
    repo.write("gw.yaml", SERVICE)
    repo.commit("a Service")
    repo.write("route.yaml", route(parent="missing").replace("name: r", "name: &n r\n  labels: {a: &n b, c: *n}", 1))
    repo.commit("a route repeating an anchor, to a missing parent")
    kinds = [(f["policy"], f["severity"]) for f in findings(check(repo, "HEAD")[1])]
    assert ("parent-exists", "error") in kinds and not any(p == "manifest-parse-error" for p, _ in kinds)


def test_what_both_read_alike_stays() -> None:
    text = "a: yes\nb: 017\nc: 0x1f\nd: 1_000\ne: .5\nf: ~\ng: '2024-01-01'\nh: 0b101\ni: -.inf\n"
    (doc,) = load_stream(text).documents
    assert doc == {"a": True, "b": 15, "c": 31, "d": 1000, "e": 0.5, "f": None, "g": "2024-01-01", "h": 5,
                   "i": -math.inf}


def test_a_route_named_like_a_date_is_judged(repo: GitRepo) -> None:
    """`name: 2024-01-01` is a string to Kubernetes: the route exists, and its retarget fails (exit 1)."""
    dated = route("web", name="2024-01-01")
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": dated})
    code, report, _ = check(repo, "--history")
    assert code == 0, report
    repo.commit("retarget", {"r.yaml": dated.replace("name: web", "name: nowhere")})
    code, report, _ = check(repo, "HEAD")
    assert code == 1
    assert {f["resource"]["name"] for f in findings(report) if f["policy"] == "parent-exists"} == {"2024-01-01"}


def test_an_integral_float_port_is_the_integer(repo: GitRepo) -> None:
    """`port: 80.0` reaches the cluster as 80: the route attaches to port 80 (exit 0)."""
    repo.commit("base", {"svc.yaml": SERVICE, "r.yaml": route("web").replace("port: 80", "port: 80.0")})
    code, report, _ = check(repo, "--history")
    assert code == 0, report
