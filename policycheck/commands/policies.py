"""`policycheck policies list|show`: what is in force, and why each policy exists."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from policycheck.config import CONFIG_FILE, Config
from policycheck.diagnostics import RESERVED
from policycheck.errors import UsageError
from policycheck.policy import Policy
from policycheck.reporters.common import RESERVED_SEVERITY
from policycheck.setup_run import check_ids, load_config, load_policies


def _policies(config_file: str | None, policy_dirs: tuple[str, ...]) -> tuple[list[Policy], Config]:
    """Every policy that exists (opt-in and disabled ones too), and the configuration that says which are on."""
    from dataclasses import replace

    from policycheck.policy import builtin_dir, load_folder

    config = load_config(None, None, config_file, Path.cwd())
    opt_in = tuple(p.id for p in load_folder(builtin_dir(), "policies") if p.opt_in) if config.builtin_policies \
        else ()
    everything = replace(config, enable=tuple(dict.fromkeys(config.enable + opt_in)), disable=())
    policies = load_policies(everything, policy_dirs, root=Path.cwd())
    check_ids(config, {p.id for p in policies})  # a typo under disable: must not disable nothing silently
    return policies, config


@dataclass(frozen=True)
class InForce:
    """A policy's severity and state under the configuration, and where the configuration set them."""

    severity: str
    state: str  # on | off
    severity_set: str = ""  # "file:line" of a severity override, or ""
    state_set: str = ""  # "file:line" of the enable/disable entry, or "" (the policy's default)


def in_force(p: Policy, config: Config) -> InForce:
    source = config.source or CONFIG_FILE

    def where(*path: str | int) -> str:
        line = config.line_of(*path)
        return f"{source}:{line}" if line else source

    severity, severity_set = p.severity, ""
    if p.id in config.severity:
        severity, severity_set = config.severity[p.id], where("severity", p.id)
    if p.id in config.disable:
        return InForce(severity, "off", severity_set, where("disable", config.disable.index(p.id)))
    if p.opt_in:
        if p.id in config.enable:
            return InForce(severity, "on", severity_set, where("enable", config.enable.index(p.id)))
        return InForce(severity, "off", severity_set)
    return InForce(severity, "on", severity_set)


def _notes(p: Policy, f: InForce) -> str:
    notes = []
    if f.severity_set:
        notes.append(f"severity {p.severity} -> {f.severity} at {f.severity_set}")
    if f.state_set:
        notes.append(f"{'enabled' if f.state == 'on' else 'disabled'} at {f.state_set}")
    elif p.opt_in and f.state == "off":
        notes.append("opt-in: list it under enable:")
    return f"  [{'; '.join(notes)}]" if notes else ""


def list_policies(config_file: str | None, policy_dirs: tuple[str, ...], fmt: str) -> str:
    found, config = _policies(config_file, policy_dirs)
    policies = sorted(found, key=lambda p: p.id)
    forced = {p.id: in_force(p, config) for p in policies}
    if fmt == "json":
        rows = [{"id": p.id, "severity": forced[p.id].severity, "defaultSeverity": p.severity,
                 "state": forced[p.id].state, "optIn": p.opt_in, "severitySetAt": forced[p.id].severity_set or None,
                 "stateSetAt": forced[p.id].state_set or None, "description": p.description, "source": p.source}
                for p in policies]
        rows += [{"id": rid, "severity": RESERVED_SEVERITY.get(rid, "error"), "state": "on", "reserved": True,
                  "description": text} for rid, text in sorted(RESERVED.items())]
        return json.dumps(rows, indent=2) + "\n"
    width = max([len(p.id) for p in policies] + [len(r) for r in RESERVED])
    lines = [f"{p.id:<{width}}  {forced[p.id].severity:<7}  {forced[p.id].state:<3}  "
             f"{p.title or _first(p.description)}{_notes(p, forced[p.id])}" for p in policies]
    lines.append("")
    lines.append("Reserved ids (the loader's own diagnostics):")
    lines += [f"{rid:<{width}}  {text}" for rid, text in sorted(RESERVED.items())]
    return "\n".join(lines) + "\n"


def _first(text: str) -> str:
    """The first sentence: a list row stays one line."""
    head = text.split(". ")[0].splitlines()[0]
    return head if head.endswith(".") else head + "."


def show_policy(policy_id: str, config_file: str | None, policy_dirs: tuple[str, ...]) -> str:
    if policy_id in RESERVED:
        return f"{policy_id} (reserved: the loader's own diagnostic)\n\n{RESERVED[policy_id]}\n"
    found, config = _policies(config_file, policy_dirs)
    for p in found:
        if p.id == policy_id:
            f = in_force(p, config)
            parts = [f"{p.id}  [{f.severity}]{'  (opt-in)' if p.opt_in else ''}"]
            if p.title:
                parts.append(p.title)
            severity = f"severity: {f.severity}" + (f" (default {p.severity}; set at {f.severity_set})"
                                                    if f.severity_set else " (the policy's default)")
            state = f"state: {f.state}" + (f" ({'enabled' if f.state == 'on' else 'disabled'} at {f.state_set})"
                                           if f.state_set else " (opt-in: list it under enable:)"
                                           if p.opt_in and f.state == "off" else " (default)")
            parts += [f"source: {p.source}", severity, state, "", p.description]
            if p.rationale:
                parts += ["", "Why:", p.rationale]
            if p.help:
                parts += ["", "How to fix:", p.help]
            if p.params:
                parts += ["", "Parameters (override under params: {" + p.id + ": ...} in .policycheck.yaml):",
                          yaml.safe_dump(p.params, sort_keys=True, default_flow_style=False).rstrip()]
            if p.expressions:
                parts += ["", "Expressions:"] + [f"  {k}: {' '.join(v.split())}" for k, v in p.expressions.items()]
            return "\n".join(parts) + "\n"
    raise UsageError(f"unknown policy id {policy_id!r} (see `policycheck policies list`)")
