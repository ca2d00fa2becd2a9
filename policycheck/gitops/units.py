"""Several clusters in one repository: each judged on its own, one report.

A run that sees two or more cluster labels (see `gitops.scopes`) is repeated
once per cluster, each an ordinary run whose state holds that cluster's
placements and the shared ones (`Config.unit`). A route of one cluster then
resolves its parents in that cluster only, and the same object defined for two
clusters is no duplicate. This module merges those runs' reports commit by
commit:

- a finding (by key, message and file) found in every unit is listed once, unchanged;
- one found in some units only is listed once with ` (cluster: a, b)` appended;
- a commit fails when any unit fails it;
- the created/updated/deleted counts are those of the run over every placement
  (the union), which counts each object once.

`policycheck status` with several clusters lists each unit's entries with a
`cluster` field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from policycheck.findings import FAIL, PASS, CommitResult, Finding, Report
from policycheck.status import Resolution

Identity = tuple[tuple[str, ...], str, str]


def _identity(f: Finding) -> Identity:
    """Key, message and file: the same object written in two clusters' files is two findings, each located."""
    return (f.key, f.message, f.file)


def _order(f: Finding) -> tuple[Any, ...]:
    return (f.file, f.line, f.policy, f.message, f.key)


def merge(union: Report, units: Mapping[str, Report], list_all: bool) -> Report:
    """One report from the union run and each unit's run (made with `list_all`, over the same targets)."""
    names = sorted(units)
    commits = []
    for i, base in enumerate(union.commits):
        per_unit = {name: units[name].commits[i] for name in names}
        commits.append(_merge_commit(base, per_unit, list_all))
    head_objects = dict(union.head_objects)
    for name in names:
        for gknn, where in units[name].head_objects.items():
            head_objects.setdefault(gknn, where)
    return Report(tuple(commits), union.policies, union.fail_on, union.head_files, head_objects,
                  union.tool_version, _merge_state([units[n].head_findings for n in names]),
                  _merge_state([units[n].base_findings for n in names]))


def _merge_state(per_unit: list[tuple[Finding, ...] | None]) -> tuple[Finding, ...] | None:
    """Every finding of one state over the units, once each (None when a unit did not collect them)."""
    if not per_unit or any(found is None for found in per_unit):
        return None
    every: dict[Identity, Finding] = {}
    for found in per_unit:
        for f in found or ():
            every.setdefault(_identity(f), f)
    return tuple(sorted(every.values(), key=_order))


def _merge_commit(base: CommitResult, per_unit: Mapping[str, CommitResult], list_all: bool) -> CommitResult:
    for name, c in per_unit.items():
        if c.commit != base.commit or c.all_findings is None:
            raise ValueError(f"unit {name} judged {c.commit}, not {base.commit}, or without every finding")
    found: dict[Identity, list[str]] = {}
    every: dict[Identity, Finding] = {}
    for name, c in per_unit.items():
        for f in c.all_findings or ():
            found.setdefault(_identity(f), []).append(name)
            _keep(every, f)
    listed: dict[Identity, Finding] = {}
    for c in per_unit.values():
        for f in c.findings:
            _keep(listed, f)
    count = len(per_unit)

    def labelled(f: Finding) -> Finding:
        where = found.get(_identity(f), [])
        return f if len(where) == count else replace(f, message=f"{f.message} (cluster: {', '.join(where)})")

    findings = tuple(sorted((labelled(f) for f in listed.values()), key=_order))
    everything = tuple(sorted((labelled(f) for f in every.values()), key=_order)) if list_all else None
    suppressions = tuple(dict.fromkeys(s for c in per_unit.values() for s in c.added_suppressions))
    return CommitResult(
        commit=base.commit, parent=base.parent, subject=base.subject,
        result=FAIL if any(f.fails for f in findings) else PASS,
        findings=findings, preexisting=len(every) - len(listed), changes=base.changes,
        added_suppressions=suppressions, all_findings=everything,
    )


def _keep(into: dict[Identity, Finding], f: Finding) -> None:
    """One finding per identity; new when some unit has it new, failing when it fails some unit's commit."""
    ident = _identity(f)
    known = into.get(ident)
    if known is None:
        into[ident] = f
    elif (f.new and not known.new) or (f.fails and not known.fails):
        into[ident] = replace(known, new=known.new or f.new, fails=known.fails or f.fails)


def status_data(resolutions: Mapping[str, Resolution]) -> dict[str, Any]:
    """`policycheck status --format json` for several clusters: every unit's entries, each with its `cluster`."""
    from policycheck.statusreport import as_data

    out: dict[str, Any] = {"clusters": sorted(resolutions)}
    for name in sorted(resolutions):
        for section, entries in as_data(resolutions[name]).items():
            out.setdefault(section, []).extend({**entry, "cluster": name} for entry in entries)
    for section in ("routes", "gateways", "listenerSets"):
        out.setdefault(section, []).sort(key=lambda e: (e["group"], e["kind"], e["namespace"], e["name"],
                                                        e["cluster"]))
    return out


def status_json(resolutions: Mapping[str, Resolution]) -> str:
    import json

    return json.dumps(status_data(resolutions), indent=2) + "\n"


def status_text(resolutions: Mapping[str, Resolution]) -> str:
    """`policycheck status` text for several clusters: one block per cluster."""
    from policycheck.statusreport import render_text

    return "\n".join(f"cluster {name}:\n" + "".join(f"  {line}\n" for line in render_text(resolutions[name])
                                                     .splitlines())
                     for name in sorted(resolutions))
