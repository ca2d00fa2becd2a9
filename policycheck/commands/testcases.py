"""`policycheck test [DIR]`: policy unit tests written as YAML cases.

A case gives a parent state and a state under check (manifests, no Git) and
every finding the policies under test must make. It runs through the same
loader, resolver, engine and runner as `policycheck check`, so a case that
passes here behaves the same on a real commit: "new" means absent from the
parent state's findings, suppressions and severity overrides apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from policycheck.config import Config, config_from_data, load_mapping, validate
from policycheck.diagnostics import RESERVED
from policycheck.engine import Engine
from policycheck.errors import ConfigError, UsageError
from policycheck.findings import Finding
from policycheck.gitsource import Change, blob_id
from policycheck.loader import Loader
from policycheck.policy import Policy, builtin_dir, load_folder
from policycheck.runner import Runner, Target
from policycheck.setup_run import check_ids, load_config, load_policies, refuse_outside_link, select_policies
from policycheck.yamlsource import LineMap

BEFORE, AFTER = "BEFORE", "AFTER"
DEFAULT_FILE = "manifests.yaml"


@dataclass(frozen=True)
class Expected:
    """One finding a case expects; fields left out (None) match anything."""

    policy: str
    kind: str
    namespace: str | None
    name: str
    group: str | None = None
    severity: str | None = None
    new: bool | None = None
    suppressed: bool | None = None
    message: str | None = None

    def matches(self, f: Finding) -> bool:
        r = f.resource
        if f.policy != self.policy or r is None:
            return False
        if (r.kind, r.name) != (self.kind, self.name):
            return False
        if self.namespace is not None and r.namespace != self.namespace:
            return False
        if self.group is not None and r.group != self.group:
            return False
        return ((self.severity is None or f.severity == self.severity)
                and (self.new is None or f.new == self.new)
                and (self.suppressed is None or f.suppressed == self.suppressed)
                and (self.message is None or self.message in f.message))

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        extra = [f"{k}={v if not isinstance(v, bool) else str(v).lower()}"
                 for k, v in (("severity", self.severity), ("new", self.new), ("suppressed", self.suppressed))
                 if v is not None]
        if self.message is not None:
            extra.append(f"message contains {self.message!r}")
        return f"{self.policy} {self.kind} {where}" + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class CaseResult:
    source: str
    line: int
    name: str
    missing: tuple[Expected, ...]
    unexpected: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected


def run_tests(directory: str | None, policy_dirs: tuple[str, ...], config_file: str | None,
              only: tuple[str, ...] = (), fmt: str = "text") -> tuple[bool, str]:
    """Run every case (`only`: those that test these policies); (all passed, the report in `fmt`, text or
    junit). Broken case or policy files raise ConfigError (exit 2)."""
    root = Path.cwd()
    base = load_config(None, None, config_file, root)
    files, extra_dirs = _locate(directory)
    configured = {(root / d).resolve() for d in base.policy_dirs}
    extra_dirs = [d for d in extra_dirs if Path(d).resolve() not in configured]
    policies = _load(base, tuple(extra_dirs) + policy_dirs, root)
    if only:
        select_policies(policies, {p.id for p in policies}, only=only)  # an unknown id is a usage error
    results: list[CaseResult] = []
    for path, label in files:
        results.extend(run_file(path, label, policies, base, frozenset(only)))
    return all(r.ok for r in results), (render_junit(results) if fmt == "junit" else render(results))


def _locate(directory: str | None) -> tuple[list[tuple[Path, str]], list[str]]:
    """The case files to run and the policy folders they come with.

    DIR may be a case file, a folder of case files, or a policy folder with its
    cases under `tests/` (then its policies are loaded too).
    """
    builtin = builtin_dir().resolve()
    if directory is None:
        return _case_files(builtin / "tests", "policies/tests"), []
    path = Path(directory)
    if path.is_file():
        return [(path, str(path))], []
    if not path.is_dir():
        raise UsageError(f"{directory}: no such file or folder")
    extra: list[str] = []
    if (path / "tests").is_dir():
        if path.resolve() != builtin:
            extra.append(str(path))
        path = path / "tests"
    files = _case_files(path, str(path))
    if not files:
        raise UsageError(f"{directory}: no test case files (*.yaml) found")
    return files, extra


def _case_files(folder: Path, label: str) -> list[tuple[Path, str]]:
    return [(p, f"{label}/{p.relative_to(folder).as_posix()}")
            for p in sorted(folder.rglob("*.yaml")) if p.is_file()]


def _load(config: Config, extra_dirs: tuple[str, ...], root: Path) -> list[Policy]:
    """Every policy, opt-in built-ins included: a test may exercise any of them."""
    opt_in = tuple(p.id for p in load_folder(builtin_dir(), "policies") if p.opt_in) if config.builtin_policies else ()
    everything = replace(config, enable=tuple(dict.fromkeys(config.enable + opt_in)), disable=())
    return load_policies(everything, extra_dirs, root=root)


def run_file(path: Path, label: str, policies: list[Policy], base: Config,
             only: frozenset[str] = frozenset()) -> list[CaseResult]:
    refuse_outside_link(path, Path.cwd(), label)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read test cases: {exc}", label) from None
    data = load_mapping(text, label, "testcases.schema.json",
                        "test case file holds exactly one mapping (with `cases:`)")
    lines = LineMap(text)
    known = {p.id for p in policies} | set(RESERVED)
    file_config = _config(data, ("config",), label, lines, base, known)
    results = []
    for i, case in enumerate(data["cases"]):
        where: tuple[str | int, ...] = ("cases", i)
        config = _config(case, (*where, "config"), label, lines, file_config, known)
        tested = _tested(data, case, where, path.stem, label, lines, known)
        if only:
            tested &= only
            if not tested:
                continue
        expected = [_expected(e, label, lines, (*where, "expect", j), known) for j, e in enumerate(case["expect"])]
        if only:
            expected = [e for e in expected if e.policy in tested]
        actual = [f for f in evaluate_case(case, policies, config) if f.policy in tested]
        missing, unexpected = compare(expected, actual)
        results.append(CaseResult(label, lines(0, where), case["name"], tuple(missing), tuple(unexpected)))
    return results


def _config(holder: dict[str, Any], path: tuple[str | int, ...], label: str, lines: LineMap, base: Config,
            known: set[str]) -> Config:
    data = holder.get("config")
    if data is None:
        return base
    validate(data, "config.schema.json", label, lines, prefix=path)
    config = config_from_data(data, label, lines, path, base)
    check_ids(config, known)
    return config


def _tested(data: dict[str, Any], case: dict[str, Any], where: tuple[str | int, ...], stem: str, label: str,
            lines: LineMap, known: set[str]) -> set[str]:
    """The policy ids a case judges: its own list, the file's, or the file name and the expectations' ids."""
    for holder, path in ((case, where), (data, ())):
        if "policies" in holder:
            for j, pid in enumerate(holder["policies"]):
                if pid not in known:
                    raise ConfigError(f"policies: unknown policy id {pid!r}", label, lines(0, (*path, "policies", j)))
            return set(holder["policies"])
    ids = {e["policy"] for c in data["cases"] for e in c["expect"]}
    if stem in known:
        ids.add(stem)
    if not ids:
        raise ConfigError(f"no policy under test: name the file after a policy id or list `policies:` ({stem!r} "
                          "is not a policy id)", label, 1)
    return ids


def _expected(e: dict[str, Any], label: str, lines: LineMap, path: tuple[str | int, ...],
              known: set[str]) -> Expected:
    if e["policy"] not in known:
        raise ConfigError(f"policy: unknown policy id {e['policy']!r}", label, lines(0, (*path, "policy")))
    res = e["resource"]
    if isinstance(res, str):
        kind, _, rest = res.partition(" ")
        namespace, _, name = rest.rpartition("/")
        group = None
    else:
        kind, namespace, name, group = res["kind"], res.get("namespace", ""), res["name"], res.get("group")
    return Expected(e["policy"], kind, namespace or None, name, group, e.get("severity"), e.get("new"),
                    e.get("suppressed"), e.get("message"))


def _files(spec: Any) -> dict[str, bytes]:
    if spec is None:
        return {}
    if isinstance(spec, str):
        return {DEFAULT_FILE: spec.encode()}
    if isinstance(spec, list):
        return {DEFAULT_FILE: yaml.safe_dump_all(spec, sort_keys=False).encode()}
    return {path: text.encode() for path, text in spec.items()}


def evaluate_case(case: dict[str, Any], policies: list[Policy], config: Config) -> list[Finding]:
    """Every finding of the `after` state judged against `before`, through the real runner."""
    blobs: dict[str, bytes] = {}

    def listing(files: dict[str, bytes]) -> dict[str, tuple[str, str]]:
        out = {}
        for path, data in files.items():
            blob = blob_id(data)
            blobs[blob] = data
            out[path] = ("100644", blob)
        return out

    before, after = listing(_files(case.get("before"))), listing(_files(case["after"]))
    changes = [Change(p, blob, mode) for p, (mode, blob) in sorted(after.items()) if before.get(p, ("", ""))[1] != blob]
    changes += [Change(p, None) for p in sorted(before) if p not in after]
    loader = Loader(config, blobs.__getitem__)
    active = [p for p in policies if p.id not in config.disable]
    engine = Engine(active, config.severity, config.forbid_suppressing, config.params, config.mesh)
    runner = Runner(active, config.profile,
                    state_of=lambda rev: loader.state(before if rev == BEFORE else {}),
                    evolve=lambda state, rev, target: (loader.evolve(state, changes),
                                                       {c.path for c in changes if config.wants(c.path)}),
                    parent_of=lambda rev: None,
                    engine=engine, fail_on=config.fail_on, list_all=True)
    report = runner.run([Target(AFTER, BEFORE if before else None, case["name"])], ())
    return list(report.commits[0].all_findings or ())


def compare(expected: list[Expected], actual: list[Finding]) -> tuple[list[Expected], list[Finding]]:
    """Pair each expectation with one finding it matches; what is left on either side is the diff.

    The most specific expectations pick first, so a loose one cannot take the
    finding a precise one needs.
    """
    left = sorted(actual)
    missing = []
    for e in sorted(expected, key=_specificity, reverse=True):
        hit = next((f for f in left if e.matches(f)), None)
        if hit is None:
            missing.append(e)
        else:
            left.remove(hit)
    return [e for e in expected if e in missing], left


def _specificity(e: Expected) -> int:
    return sum(v is not None for v in (e.namespace, e.group, e.severity, e.new, e.suppressed, e.message))


def render(results: list[CaseResult]) -> str:
    lines: list[str] = []
    source = None
    for r in results:
        if r.source != source:
            source = r.source
            lines.append(source)
        lines.append(f"  {'PASS' if r.ok else 'FAIL'}  {r.name}")
        if not r.ok:
            lines.append(f"        at {r.source}:{r.line}")
            lines.extend(_diff(r))
    failed = sum(1 for r in results if not r.ok)
    lines.append("")
    lines.append(f"{len(results)} case{'s' if len(results) != 1 else ''}, {len(results) - failed} passed, "
                 f"{failed} failed")
    return "\n".join(lines) + "\n"


def render_junit(results: list[CaseResult]) -> str:
    """The cases as JUnit XML: a suite per case file, a test case per case (named by file and case, stable)."""
    import xml.etree.ElementTree as ET

    from policycheck.reporters.junit import xml_text

    root = ET.Element("testsuites", {"name": "policycheck test"})
    by_source: dict[str, list[CaseResult]] = {}
    for r in results:
        by_source.setdefault(r.source, []).append(r)
    for source, cases in by_source.items():
        failed = sum(1 for r in cases if not r.ok)
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(source), "tests": str(len(cases)),
                                                  "failures": str(failed), "errors": "0", "skipped": "0",
                                                  "time": "0"})
        for r in cases:
            case = ET.SubElement(suite, "testcase", {"classname": xml_text(source), "name": xml_text(r.name),
                                                     "file": xml_text(r.source), "line": str(r.line), "time": "0"})
            if not r.ok:
                message = f"{len(r.missing)} expected not found, {len(r.unexpected)} found not expected"
                ET.SubElement(case, "failure", {"message": message}).text = xml_text(
                    "\n".join(line.strip() for line in _diff(r)))
    failed = sum(1 for r in results if not r.ok)
    root.attrib.update({"tests": str(len(results)), "failures": str(failed), "errors": "0", "time": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _diff(r: CaseResult) -> Iterator[str]:
    """Expected-but-missing with `-`, found-but-not-expected with `+`, like a unified diff."""
    for e in r.missing:
        yield f"        - expected, not found: {e}"
    for f in r.unexpected:
        state = "suppressed" if f.suppressed else ("new" if f.new else "pre-existing")
        yield (f"        + found, not expected: {f.policy} {f.resource} (severity={f.severity}, {state}) "
               f"at {f.file}:{f.line}: {f.message}")
