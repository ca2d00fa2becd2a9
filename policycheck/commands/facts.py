"""`policycheck facts ADDRESS`: the document the policies evaluate for one object.

What `conftest parse` and `kyverno jp` give policy authors: the object, its
previous version, the change operation, its predicted status per parentRef,
backends, detached and orphaned parents, validation issues, exactly as a
policy reading the whole context sees them. The object is judged as `check`
judges it: a commit (`--rev`) against its first parent, or by default the
working tree against HEAD.

ADDRESS is `KIND[.GROUP]/[NAMESPACE/]NAME`: the kind is matched without regard
to case, the group only when given, the namespace only when given. An address
that matches several objects is a usage error listing them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from policycheck.errors import UsageError
from policycheck.model import ResourceKey
from policycheck.state import State


def parse_address(address: str) -> tuple[str, str | None, str | None, str]:
    """(kind, group or None, namespace or None, name) of `KIND[.GROUP]/[NAMESPACE/]NAME`."""
    parts = address.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"{address!r}: give the object as KIND[.GROUP]/[NAMESPACE/]NAME, "
                         "e.g. HTTPRoute/shop/web or Gateway.gateway.networking.k8s.io/infra/edge")
    kind, _, group = parts[0].partition(".")
    namespace = parts[1] if len(parts) == 3 else None
    return kind, (group or None), namespace, parts[-1]


def matching(address: str, *states: State) -> list[ResourceKey]:
    """The objects of the states that the address names, sorted."""
    kind, group, namespace, name = parse_address(address)
    keys = {k for state in states for k in state.resources
            if k.kind.lower() == kind.lower() and k.name == name
            and (group is None or k.group == group or (group == "core" and k.group == ""))
            and (namespace is None or k.namespace == namespace)}
    return sorted(keys)


def run_facts(address: str, rev: str | None, repo: str | None, cluster: str | None, config_file: str | None,
              profile: str | None, fmt: str) -> str:
    from policycheck.commands.check import _WORKTREE_DATA, CheckOptions, plan
    from policycheck.engine import Engine, Transition
    from policycheck.gitbatch import BlobSupply
    from policycheck.gitsource import GitSource
    from policycheck.loader import Loader
    from policycheck.resolver import resolve
    from policycheck.runner import EMPTY, _operations
    from policycheck.setup_run import load_config, load_policies

    parse_address(address)  # a malformed address is refused before any Git work
    source = GitSource(repo)
    targets, _ = plan(source, CheckOptions(repo=repo, revision=rev))
    target = targets[-1]
    root = Path(source.root) if not source.bare else None
    config = load_config(source, target.id if root is None else None, config_file, root)
    if profile:
        config = replace(config, profile=profile)
    if cluster:
        config = replace(config, unit=cluster)
    policies = load_policies(config, (), None, None, root)
    blobs = BlobSupply(str(source.repo.git_dir), source.read_blob, _WORKTREE_DATA)
    try:
        loader = Loader(config, blobs.read)
        old = loader.state(source.tree(target.parent)) if target.parent is not None else EMPTY
        changes = target.changes if target.changes is not None else tuple(source.diff(target.parent, target.id))
        new = loader.evolve(old, changes)
    finally:
        blobs.close()
    clusters = sorted(loader.layout.clusters)
    if cluster and cluster not in clusters:
        known = ", ".join(clusters) or "none"
        raise UsageError(f"--cluster {cluster}: no such cluster (clusters: {known})")
    if not cluster and len(clusters) >= 2:  # each cluster is judged on its own: say which one
        raise UsageError(f"this repository deploys to {len(clusters)} clusters: give --cluster "
                         f"({', '.join(clusters)})")
    keys = matching(address, new, old)
    at = "the working tree" if rev is None else rev
    if not keys:
        raise UsageError(f"{address}: no such object in {at} or its parent")
    if len(keys) > 1:
        raise UsageError(f"{address} names {len(keys)} objects: {'; '.join(_address(k) for k in keys)}; "
                         "give the group and namespace")
    ops = _operations(old, new, None)
    t = Transition(new, old, resolve(new, config.profile, gateways=False), resolve(old, config.profile, gateways=False),
                   ops, {"id": target.id, "parent": target.parent, "subject": target.subject})
    engine = Engine(policies, config.severity, config.forbid_suppressing, config.params, config.mesh)
    doc = engine.document(t, keys[0])
    return render(doc, fmt)


def _address(key: ResourceKey) -> str:
    kind = f"{key.kind}.{key.group}" if key.group else key.kind
    return f"{kind}/{key.namespace}/{key.name}" if key.namespace else f"{kind}/{key.name}"


def render(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "yaml":
        return str(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True))
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
