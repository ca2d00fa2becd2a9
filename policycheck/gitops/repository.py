"""Which repository URL is *this* repository, so that only roots deploying from it count.

A Flux Kustomization deploys whatever its `sourceRef` names, an Argo CD
Application whatever its `repoURL` names: a root pointing at another
repository deploys none of this one's files. URLs are compared normalised
(`git@github.com:o/r.git`, `ssh://git@github.com/o/r` and
`https://github.com/o/r` are one). This repository is, by the first rule that
decides:

1. `repoURLs` in `.policycheck.yaml`;
2. the Git remotes' URLs, when some root names one of them;
3. the URL the bootstrap names (Flux's `flux-system` GitRepository, a
   FluxInstance's sync, an Argo CD Application no other deploys);
4. the URL most roots name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.*)$")  # git@host:owner/repo


def normalise(url: str) -> str:
    """`host/path` in lower case, without scheme, user, port-less `:` form, `.git` or trailing slash."""
    text = url.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
        text = text.split("@", 1)[1] if "@" in text.split("/", 1)[0] else text
        host, _, rest = text.partition("/")
        text = f"{host.split(':', 1)[0]}/{rest}"  # no port
    else:
        m = _SCP.match(text)
        if m:
            text = f"{m.group(1)}/{m.group(2)}"
    text = text.rstrip("/")
    text = text.removesuffix(".git").rstrip("/")
    return text.lower()


@dataclass(frozen=True)
class Decision:
    urls: frozenset[str]  # normalised URLs of this repository (empty: no root names one)
    rule: str  # which rule decided, for `inventory`


DECLARED = "repoURLs in .policycheck.yaml"
REMOTES = "the Git remotes' URLs"
BOOTSTRAP = "the URL the bootstrap names"
MAJORITY = "the URL most roots name"
UNNAMED = "no root names another repository"


def decide(named: Iterable[str], declared: Iterable[str], remotes: Iterable[str],
           bootstraps: Iterable[str]) -> Decision:
    """This repository's URLs from what the roots name (`named`, normalised) and the rules above."""
    named_list = list(named)
    declared_set = frozenset(normalise(u) for u in declared)
    if declared_set:
        return Decision(declared_set, DECLARED)
    remote_set = frozenset(normalise(u) for u in remotes)
    if remote_set & set(named_list):
        return Decision(remote_set, REMOTES)
    if not named_list:
        return Decision(remote_set, UNNAMED)
    boot_set = frozenset(normalise(u) for u in bootstraps)
    if boot_set:
        return Decision(boot_set, BOOTSTRAP)
    counts = Counter(named_list).most_common()
    top = counts[0][1]
    return Decision(frozenset(u for u, n in counts if n == top), MAJORITY)
