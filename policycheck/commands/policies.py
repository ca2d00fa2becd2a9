"""`policycheck policies list|show`: what is in force, and why each policy exists."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from policycheck.diagnostics import RESERVED
from policycheck.errors import UsageError
from policycheck.policy import Policy
from policycheck.setup_run import load_config, load_policies


def _policies(config_file: str | None, policy_dirs: tuple[str, ...], everything: bool = False) -> list[Policy]:
    config = load_config(None, None, config_file, Path.cwd())
    if everything:
        from dataclasses import replace

        from policycheck.policy import builtin_dir, load_folder

        opt_in = tuple(p.id for p in load_folder(builtin_dir(), "policies") if p.opt_in)
        config = replace(config, enable=tuple(set(config.enable) | set(opt_in)))
    return load_policies(config, policy_dirs, root=Path.cwd())


def list_policies(config_file: str | None, policy_dirs: tuple[str, ...], fmt: str) -> str:
    policies = sorted(_policies(config_file, policy_dirs, everything=True), key=lambda p: p.id)
    if fmt == "json":
        rows = [{"id": p.id, "severity": p.severity, "optIn": p.opt_in, "description": p.description,
                 "source": p.source} for p in policies]
        rows += [{"id": rid, "severity": "error", "reserved": True, "description": text}
                 for rid, text in sorted(RESERVED.items())]
        return json.dumps(rows, indent=2) + "\n"
    width = max([len(p.id) for p in policies] + [len(r) for r in RESERVED])
    lines = [f"{p.id:<{width}}  {p.severity:<7}  {'(opt-in) ' if p.opt_in else ''}{p.title or _first(p.description)}"
             for p in policies]
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
    for p in _policies(config_file, policy_dirs, everything=True):
        if p.id == policy_id:
            parts = [f"{p.id}  [{p.severity}]{'  (opt-in)' if p.opt_in else ''}"]
            if p.title:
                parts.append(p.title)
            parts += [f"source: {p.source}", "", p.description]
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
