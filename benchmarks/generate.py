"""Synthetic GitOps repositories for the benchmark: N manifests, K small commits, fixed seed.

The repository looks like a monorepo of many teams: per namespace a Namespace,
Services with Deployments and ConfigMaps, routes of every kind with one to
three parentRefs and backendRefs; shared Gateways with several listeners in a
few infrastructure namespaces; ReferenceGrants for cross-namespace backends.
Some HTTP and gRPC routes are mesh routes (GAMMA): their parents are Services
of their own namespace, and several routes may share one. The history edits,
retargets, deletes, adds and moves one to three files per commit. Everything
comes from `random.Random(seed)`, so a size and seed always give the same
repository (same blob ids, same commit ids).

The history is written with `git fast-import`, which builds 50,000 files and
1,000 commits in seconds.

    python benchmarks/generate.py DEST --files 5000 --commits 1000
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

GW_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "HTTPRoute", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
ROUTE_VERSION = {"HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1alpha2", "TCPRoute": "v1alpha2",
                 "UDPRoute": "v1alpha2"}
LISTENER_FOR = {"HTTPRoute": ("http", "HTTP", 80), "GRPCRoute": ("https", "HTTPS", 443),
                "TLSRoute": ("tls", "TLS", 8443), "TCPRoute": ("tcp", "TCP", 9000), "UDPRoute": ("udp", "UDP", 9001)}
AUTHOR = "Bench <bench@example.com> 1700000000 +0000"


@dataclass
class Model:
    """What exists, so routes name real parents and backends (and some that do not)."""

    files: dict[str, str] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    gateways: list[tuple[str, str]] = field(default_factory=list)  # (namespace, name)
    services: list[tuple[str, str]] = field(default_factory=list)
    services_of: dict[str, list[str]] = field(default_factory=dict)  # names by namespace
    routes: list[str] = field(default_factory=list)  # paths


def _namespace(ns: str, shared: bool) -> str:
    label = "    shared-gateway-access: \"true\"\n" if shared else ""
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: {ns}\n{label}"


def _gateway(ns: str, name: str, rng: random.Random) -> str:
    listeners = []
    for lname, proto, port in LISTENER_FOR.values():
        extra = ""
        if proto in ("HTTPS", "TLS"):
            mode = "Terminate" if proto == "HTTPS" else "Passthrough"
            extra = f"      tls:\n        mode: {mode}\n"
            if mode == "Terminate":
                extra += f"        certificateRefs:\n          - name: {name}-cert\n"
        host = f"      hostname: \"*.{name}.example.com\"\n" if proto in ("HTTP", "HTTPS", "TLS") else ""
        listeners.append(
            f"    - name: {lname}\n      protocol: {proto}\n      port: {port}\n{host}{extra}"
            "      allowedRoutes:\n        namespaces:\n          from: Selector\n"
            "          selector:\n            matchLabels:\n              shared-gateway-access: \"true\"\n"
        )
    return (f"apiVersion: {GW_GROUP}/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n  gatewayClassName: bench\n  listeners:\n{''.join(listeners)}")


def _service(ns: str, name: str, rng: random.Random) -> str:
    port = rng.choice((80, 8080, 9000, 9001, 50051))
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"  labels:\n    app: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n"
            f"    - name: main\n      port: {port}\n      targetPort: {port}\n")


def _deployment(ns: str, name: str, rng: random.Random) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n  replicas: {rng.randint(1, 5)}\n  selector:\n    matchLabels:\n      app: {name}\n"
            f"  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n"
            f"        - name: app\n          image: registry.example.com/{ns}/{name}:{rng.randint(1, 999)}\n"
            "          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n"
            "          env:\n" + "".join(f"            - name: VAR_{i}\n              value: \"{rng.random():.6f}\"\n"
                                          for i in range(rng.randint(2, 8))))


def _configmap(ns: str, name: str, rng: random.Random) -> str:
    data = "".join(f"  key{i}: \"{rng.getrandbits(64):x}\"\n" for i in range(rng.randint(3, 12)))
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n{data}"


def _grant(ns: str, from_ns: str) -> str:
    return (f"apiVersion: {GW_GROUP}/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: from-{from_ns}\n"
            f"  namespace: {ns}\nspec:\n  from:\n    - group: {GW_GROUP}\n      kind: HTTPRoute\n"
            f"      namespace: {from_ns}\n  to:\n    - group: \"\"\n      kind: Service\n")


MESH_SHARE = 0.25  # of HTTP and gRPC routes: attached to Services (GAMMA) rather than Gateways


def _mesh_parent(name: str) -> str:
    return f"    - group: \"\"\n      kind: Service\n      name: {name}\n"


def _route(ns: str, name: str, kind: str, m: Model, rng: random.Random) -> str:
    section, _, _ = LISTENER_FOR[kind]
    parents = []
    first = ""
    local = m.services_of.get(ns, [])
    if kind in ("HTTPRoute", "GRPCRoute") and local and rng.random() < MESH_SHARE:
        for sname in rng.sample(local, min(len(local), rng.randint(1, 2))):
            parents.append(_mesh_parent(sname))
        backends = f"        - name: {rng.choice(local)}\n          port: 80\n"
        return (f"apiVersion: {GW_GROUP}/{ROUTE_VERSION[kind]}\nkind: {kind}\nmetadata:\n  name: {name}\n"
                f"  namespace: {ns}\nspec:\n  parentRefs:\n{''.join(parents)}"
                f"  rules:\n    - backendRefs:\n{backends}")
    for gns, gname in rng.sample(m.gateways, min(len(m.gateways), rng.randint(1, 3))):
        if rng.random() < 0.05:  # a parent that does not exist
            gname = f"missing-{rng.randint(0, 99)}"
        first = first or gname
        parents.append(f"    - name: {gname}\n      namespace: {gns}\n      sectionName: {section}\n")
    backends = []
    for _ in range(rng.randint(1, 3)):
        bns, bname = rng.choice([s for s in m.services[-40:] if s[0] == ns] or m.services[-40:])
        bns_line = f"          namespace: {bns}\n" if bns != ns else ""
        weight = rng.randint(1, 9)
        backends.append(f"        - name: {bname}\n{bns_line}          port: 80\n          weight: {weight}\n")
    host = f"  hostnames:\n    - {name}.{first}.example.com\n" if kind in ("HTTPRoute", "GRPCRoute") else ""
    return (f"apiVersion: {GW_GROUP}/{ROUTE_VERSION[kind]}\nkind: {kind}\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  parentRefs:\n{''.join(parents)}{host}"
            f"  rules:\n    - backendRefs:\n{''.join(backends)}")


def build(n_files: int, seed: int = 1) -> Model:
    """The initial tree: about n_files manifests."""
    rng = random.Random(seed)
    m = Model()
    n_infra = max(1, n_files // 2000)
    for i in range(n_infra):
        ns = f"infra-{i}"
        m.namespaces.append(ns)
        m.files[f"infra/{ns}/namespace.yaml"] = _namespace(ns, True)
        for g in range(4):
            name = f"gw-{g}"
            m.gateways.append((ns, name))
            m.files[f"infra/{ns}/gateway-{name}.yaml"] = _gateway(ns, name, rng)
    team = 0
    while len(m.files) < n_files:
        ns = f"team-{team}"
        team += 1
        m.namespaces.append(ns)
        base = f"apps/{ns}"
        m.files[f"{base}/namespace.yaml"] = _namespace(ns, rng.random() < 0.95)
        for s in range(rng.randint(3, 8)):
            name = f"svc-{s}"
            m.services.append((ns, name))
            m.services_of.setdefault(ns, []).append(name)
            m.files[f"{base}/{name}/service.yaml"] = _service(ns, name, rng)
            m.files[f"{base}/{name}/deployment.yaml"] = _deployment(ns, name, rng)
            if rng.random() < 0.5:
                m.files[f"{base}/{name}/configmap.yaml"] = _configmap(ns, f"{name}-config", rng)
        if team > 1 and rng.random() < 0.3:
            m.files[f"{base}/grant.yaml"] = _grant(ns, f"team-{team - 2}")
        for r in range(rng.randint(2, 6)):
            kind = rng.choice(ROUTE_KINDS)
            path = f"{base}/routes/{kind.lower()}-{r}.yaml"
            m.files[path] = _route(ns, f"route-{r}", kind, m, rng)
            m.routes.append(path)
    return m


def _ns_of(path: str) -> str:
    return path.split("/")[1]


def mutate(m: Model, rng: random.Random) -> tuple[dict[str, str | None], str]:
    """One commit: 1-3 changed files (path -> text, None to delete) and a subject."""
    changes: dict[str, str | None] = {}
    subjects = []
    for _ in range(rng.randint(1, 3)):
        op = rng.choices(("edit", "retarget", "delete", "add", "move"), (45, 25, 10, 12, 8))[0]
        if op in ("retarget", "delete", "move") and m.routes:
            path = rng.choice(m.routes)
            if path in changes:
                continue
            if op == "retarget":
                text = m.files[path]
                if "      kind: Service\n" in text:  # a mesh route: another Service of its namespace
                    old = text.split("      kind: Service\n      name: ", 1)[1].split("\n", 1)[0]
                    local = m.services_of.get(_ns_of(path)) or [old]
                    text = text.replace(f"      kind: Service\n      name: {old}\n",
                                        f"      kind: Service\n      name: {rng.choice(local)}\n", 1)
                else:
                    old = text.split("    - name: ", 1)[1].split("\n", 1)[0]
                    _gns, gname = rng.choice(m.gateways)
                    text = text.replace(f"    - name: {old}\n", f"    - name: {gname}\n", 1)
                changes[path] = m.files[path] = text
            elif op == "delete":
                m.routes.remove(path)
                del m.files[path]
                changes[path] = None
            else:
                text = m.files.pop(path)
                m.routes.remove(path)
                new = path.replace("/routes/", "/routing/", 1) if "/routes/" in path else path.replace(
                    "/routing/", "/routes/", 1)
                changes[path] = None
                changes[new] = m.files[new] = text
                m.routes.append(new)
            subjects.append(f"{op} {path}")
        elif op == "add":
            ns = rng.choice([n for n in m.namespaces if n.startswith("team-")])
            kind = rng.choice(ROUTE_KINDS)
            name = f"route-x{rng.getrandbits(24):x}"
            path = f"apps/{ns}/routes/{kind.lower()}-{name}.yaml"
            changes[path] = m.files[path] = _route(ns, name, kind, m, rng)
            m.routes.append(path)
            subjects.append(f"add {path}")
        else:
            path = rng.choice(sorted(m.files)) if rng.random() < 0.02 else rng.choice(m.routes)
            if path in changes:
                continue
            text = m.files[path]
            text = re.sub(r"weight: \d+", f"weight: {rng.randint(1, 9)}", text, count=1) if "weight: " in text \
                else text + f"# edited {rng.getrandbits(32):x}\n"
            changes[path] = m.files[path] = text
            subjects.append(f"edit {path}")
    if not changes:
        path = rng.choice(sorted(m.files))
        changes[path] = m.files[path] = m.files[path] + "# touched\n"
        subjects.append(f"touch {path}")
    return changes, "; ".join(subjects)[:200]


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def write_repo(dest: Path, n_files: int, n_commits: int, seed: int = 1, checkout: bool = True) -> None:
    """A repository at dest: one commit with the tree, then n_commits small ones on `main`."""
    dest.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    m = build(n_files, seed)
    rng = random.Random(seed + 1)
    chunks: list[bytes] = []

    def commit(mark: int, message: str, changes: dict[str, str | None], parent: int | None) -> None:
        msg = message.encode()
        chunks.append(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                      % (mark, AUTHOR.encode(), AUTHOR.encode(), len(msg), msg))
        if parent is not None:
            chunks.append(b"from :%d\n" % parent)
        for path, text in sorted(changes.items()):
            if text is None:
                chunks.append(b"D %s\n" % path.encode())
            else:
                chunks.append(b"M 100644 inline %s\n" % path.encode() + _data(text))

    commit(1, f"initial tree: {len(m.files)} manifests", dict(m.files), None)
    for k in range(n_commits):
        changes, subject = mutate(m, rng)
        commit(k + 2, subject, changes, k + 1)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=dest, input=b"".join(chunks), check=True)
    subprocess.run(["git", "tag", "base", f"main~{n_commits}"], cwd=dest, check=True)
    if checkout:
        subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=dest, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--commits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    write_repo(args.dest, args.files, args.commits, args.seed)
    print(f"{args.dest}: {args.files} manifests, {args.commits} commits after tag `base`", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
