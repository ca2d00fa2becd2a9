"""A synthetic multi-cluster Flux + Kustomize repository, for the benchmark.

    python benchmarks/gitops.py DEST --apps 200 --clusters 3 --commits 200

Layout (what real Flux repositories look like): each cluster has a Flux
bootstrap `clusters/<c>/flux-system/gotk-sync.yaml` syncing `clusters/<c>`,
which holds the Flux Kustomizations `infra` (`infra/overlays/<c>`) and `apps`
(`apps/overlays/<c>`). `infra/base` holds the Gateway; each overlay patches
its hostname (a patch file, never a resource). Each application
`apps/base/<app>` is a kustomization with a namespace, a Deployment, a
Service, an HTTPRoute and a configMapGenerator; each cluster's overlay lists
a seeded subset of the applications. The commits edit route weights, move an
application in or out of an overlay, edit a gateway patch or add a file no
kustomization lists.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

AUTHOR = "bench <bench@example.com> 1700000000 +0000"


def _flux(name: str, path: str) -> str:
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
            f"  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./{path}\n  prune: true\n"
            f"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")


def _kustomization(resources: list[str], namespace: str | None = None, extra: str = "") -> str:
    ns = f"namespace: {namespace}\n" if namespace else ""
    items = "".join(f"  - {r}\n" for r in resources)
    return f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{ns}resources:\n{items}{extra}"


GATEWAY = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: main
  namespace: network
spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      hostname: "*.example.com"
      allowedRoutes:
        namespaces:
          from: All
      tls:
        certificateRefs:
          - name: wildcard
"""


def _app(name: str, weight: int) -> dict[str, str]:
    base = f"apps/base/{name}"
    return {
        f"{base}/kustomization.yaml": _kustomization(
            ["deployment.yaml", "service.yaml", "route.yaml"], name,
            f"configMapGenerator:\n  - name: {name}-config\n    literals:\n      - MODE=prod\n"),
        f"{base}/deployment.yaml": (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
                                    f"  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n"
                                    f"      labels:\n        app: {name}\n    spec:\n      containers:\n"
                                    f"        - name: app\n          image: example/{name}:1.0\n"),
        f"{base}/service.yaml": (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n"
                                 f"    app: {name}\n  ports:\n    - name: http\n      port: 80\n"),
        f"{base}/route.yaml": _route(name, weight),
    }


def _route(name: str, weight: int) -> str:
    return (f"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\nspec:\n"
            f"  parentRefs:\n    - name: main\n      namespace: network\n      sectionName: https\n"
            f"  hostnames:\n    - {name}.example.com\n  rules:\n    - backendRefs:\n        - name: {name}\n"
            f"          port: 80\n          weight: {weight}\n")


def _patch(cluster: str, n: int) -> str:
    return (f"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: main\n"
            f"  namespace: network\n  annotations:\n    example.com/revision: \"{cluster}-{n}\"\n")


def build(n_apps: int, n_clusters: int, rng: random.Random) -> tuple[dict[str, str], dict[str, list[str]]]:
    files: dict[str, str] = {
        "infra/base/kustomization.yaml": _kustomization(["namespace.yaml", "gateway.yaml"]),
        "infra/base/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: network\n",
        "infra/base/gateway.yaml": GATEWAY,
    }
    apps = [f"app-{i}" for i in range(n_apps)]
    for app in apps:
        files.update(_app(app, rng.randint(1, 100)))
    members: dict[str, list[str]] = {}
    for c in range(n_clusters):
        cluster = f"cluster-{c}"
        members[cluster] = sorted(a for a in apps if rng.random() < 0.7)
        files[f"clusters/{cluster}/flux-system/gotk-sync.yaml"] = _flux("flux-system", f"clusters/{cluster}")
        files[f"clusters/{cluster}/infra.yaml"] = _flux("infra", f"infra/overlays/{cluster}")
        files[f"clusters/{cluster}/apps.yaml"] = _flux("apps", f"apps/overlays/{cluster}")
        files[f"infra/overlays/{cluster}/kustomization.yaml"] = _kustomization(
            ["../../base"], extra="patches:\n  - path: gateway-patch.yaml\n")
        files[f"infra/overlays/{cluster}/gateway-patch.yaml"] = _patch(cluster, 0)
        files[f"apps/overlays/{cluster}/kustomization.yaml"] = _overlay(members[cluster])
    return files, members


def _overlay(apps: list[str]) -> str:
    return _kustomization([f"../../base/{a}" for a in apps])


def mutate(members: dict[str, list[str]], n_apps: int, step: int, rng: random.Random) -> tuple[dict[str, str | None],
                                                                                            str]:
    roll = rng.random()
    cluster = rng.choice(sorted(members))
    if roll < 0.7:
        app = f"app-{rng.randrange(n_apps)}"
        return {f"apps/base/{app}/route.yaml": _route(app, rng.randint(1, 100))}, f"reweight {app}"
    if roll < 0.85:
        app = f"app-{rng.randrange(n_apps)}"
        now = set(members[cluster])
        now.symmetric_difference_update({app})
        members[cluster] = sorted(now)
        return {f"apps/overlays/{cluster}/kustomization.yaml": _overlay(members[cluster])}, f"move {app} in {cluster}"
    if roll < 0.95:
        return {f"infra/overlays/{cluster}/gateway-patch.yaml": _patch(cluster, step)}, f"patch {cluster} gateway"
    app = f"app-{rng.randrange(n_apps)}"
    return {f"apps/base/{app}/draft-{step}.yaml": _route(f"{app}-draft", 1)}, f"draft route for {app}"


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def write_gitops_repo(dest: Path, n_apps: int, n_clusters: int, n_commits: int, seed: int = 1) -> None:
    """The repository at dest: the layout in one commit, then n_commits small ones on `main` (tag `base`)."""
    dest.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    rng = random.Random(seed)
    files, members = build(n_apps, n_clusters, rng)
    chunks: list[bytes] = []

    def commit(mark: int, message: str, changes: dict[str, str | None]) -> None:
        msg = message.encode()
        chunks.append(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                      % (mark, AUTHOR.encode(), AUTHOR.encode(), len(msg), msg))
        if mark > 1:
            chunks.append(b"from :%d\n" % (mark - 1))
        for path, text in sorted(changes.items()):
            chunks.append(b"D %s\n" % path.encode() if text is None
                          else b"M 100644 inline %s\n" % path.encode() + _data(text))

    commit(1, f"layout: {n_apps} applications, {n_clusters} clusters", dict(files))
    for k in range(n_commits):
        changes, subject = mutate(members, n_apps, k + 1, rng)
        commit(k + 2, subject, changes)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=dest, input=b"".join(chunks), check=True)
    subprocess.run(["git", "tag", "base", f"main~{n_commits}"], cwd=dest, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=dest, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--apps", type=int, default=200)
    ap.add_argument("--clusters", type=int, default=3)
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    write_gitops_repo(args.dest, args.apps, args.clusters, args.commits, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
