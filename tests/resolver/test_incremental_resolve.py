"""Incremental resolution equals resolution from scratch, over random histories of small edits.

Each step regenerates one to three "slots" of a hand-written repository (a Namespace's labels,
a Gateway's listeners, a ListenerSet, a ReferenceGrant, a TLS Secret or its producer, a CA
ConfigMap, a Service, a route's kind, parents and backends), or deletes them. States share the
objects of unchanged files, as the loader's do, so the resolver's cross-call memos are exercised;
a resolution of freshly parsed objects (which no memo can serve) must agree with them.
The re-resolved set must cover every route whose status changed: merging its fresh statuses into
the previous resolution gives exactly the from-scratch resolution.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest
from textrepo import TextRepo

from policycheck.incremental import affected_routes, merge
from policycheck.model import ResourceKey
from policycheck.resolver import resolve
from policycheck.state import State
from policycheck.status import Resolution

GW = "gateway.networking.k8s.io"
PEM_CERT = "-----BEGIN CERTIFICATE-----\\nMAcwADAAAwEA\\n-----END CERTIFICATE-----"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\\nMAMCAQA=\\n-----END PRIVATE KEY-----"

Slot = Callable[[random.Random], "str | None"]


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def _namespace(name: str) -> Slot:
    def make(rng: random.Random) -> str | None:
        if rng.random() < 0.15:
            return None
        access = "    access: \"yes\"\n" if rng.random() < 0.6 else ""
        return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    team: {name}\n{access}"
    return make


def _allowed(rng: random.Random) -> str:
    source = _pick(rng, "Same", "All", "Selector", "Selector")
    sel = ""
    if source == "Selector":
        sel = "\n          selector:\n            matchLabels:\n              access: \"yes\""
    return f"      allowedRoutes:\n        namespaces:\n          from: {source}{sel}\n"


def _listener(rng: random.Random, name: str, port: int, protocol: str) -> str:
    host = rng.choice(["", "      hostname: \"*.example.com\"\n", "      hostname: a.example.com\n"])
    tls = ""
    if protocol == "HTTPS":
        cert_ns = rng.choice(["", "        namespace: apps\n"])
        tls = f"      tls:\n        certificateRefs:\n        - name: cert\n{cert_ns}"
    if protocol == "TLS":
        host = "      hostname: \"*.example.com\"\n"
        tls = "      tls:\n        mode: Passthrough\n"
    return f"    - name: {name}\n      port: {port}\n      protocol: {protocol}\n{host}{tls}{_allowed(rng)}"


def _gateway(name: str, ns: str) -> Slot:
    pool = [("http", 80, "HTTP"), ("https", 443, "HTTPS"), ("tls", 8443, "TLS"), ("tcp", 9000, "TCP"),
            ("http-2", 80, "HTTP")]

    def make(rng: random.Random) -> str | None:
        if rng.random() < 0.1:
            return None
        chosen = [p for p in pool if rng.random() < 0.6] or pool[:1]
        listeners = "".join(_listener(rng, *p) for p in chosen)
        extra = ""
        if rng.random() < 0.7:
            extra += f"  allowedListeners:\n    namespaces:\n      from: {_pick(rng, 'All', 'Same', 'Selector')}\n"
            if "Selector" in extra:
                extra += "      selector:\n        matchLabels:\n          access: \"yes\"\n"
        if rng.random() < 0.4:
            extra += ("  tls:\n    frontend:\n      default:\n        validation:\n          caCertificateRefs:\n"
                      "          - kind: ConfigMap\n            group: \"\"\n            name: ca\n")
        return (f"apiVersion: {GW}/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"spec:\n  gatewayClassName: demo\n{extra}  listeners:\n{listeners}")
    return make


def _listener_set(name: str, ns: str) -> Slot:
    def make(rng: random.Random) -> str | None:
        if rng.random() < 0.2:
            return None
        which = rng.choice(["http", "https", "both"])
        listeners = _listener(rng, "ls-http", rng.choice([80, 8080]), "HTTP") if which != "https" else ""
        if which != "http":
            listeners += _listener(rng, "ls-https", rng.choice([443, 8443]), "HTTPS")
        return (f"apiVersion: {GW}/v1\nkind: ListenerSet\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"spec:\n  parentRef:\n    name: gw\n    namespace: infra\n  listeners:\n{listeners}")
    return make


def _grant(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return None
    frm = rng.choice([("HTTPRoute", "web", "Service"), ("GRPCRoute", "web", "Service"), ("Gateway", "infra", "Secret"),
                      ("ListenerSet", "web", "Secret")])
    return (f"apiVersion: {GW}/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: grant\n  namespace: apps\n"
            f"spec:\n  from:\n  - group: {GW}\n    kind: {frm[0]}\n    namespace: {frm[1]}\n"
            f"  to:\n  - group: \"\"\n    kind: {frm[2]}\n")


def _secret(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return None
    crt = PEM_CERT if rng.random() < 0.8 else "not a certificate"
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: cert\n  namespace: infra\ntype: kubernetes.io/tls\n"
            f"stringData:\n  tls.crt: \"{crt}\"\n  tls.key: \"{PEM_KEY}\"\n")


def _producer(rng: random.Random) -> str | None:
    if rng.random() < 0.5:
        return None
    secret = rng.choice(["cert", "other"])
    return (f"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n  namespace: apps\n"
            f"spec:\n  secretName: {secret}\n")


def _ca(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return None
    ca = PEM_CERT if rng.random() < 0.8 else "garbage"
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ca\n  namespace: infra\ndata:\n  ca.crt: \"{ca}\"\n"


def _service(name: str, ns: str) -> Slot:
    def make(rng: random.Random) -> str | None:
        if rng.random() < 0.15:
            return None
        headless = "  clusterIP: None\n" if rng.random() < 0.15 else ""
        ports = "  - name: http\n    port: 80\n"
        if rng.random() < 0.6:
            ports += "  - name: grpc\n    port: 9090\n"
        return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"spec:\n{headless}  ports:\n{ports}")
    return make


PARENTS = [
    "  - name: gw\n    namespace: infra\n",
    "  - name: gw\n    namespace: infra\n    sectionName: http\n",
    "  - name: gw\n    namespace: infra\n    sectionName: https\n",
    "  - name: gw\n    namespace: infra\n    port: 9000\n",
    "  - name: gw2\n    namespace: apps\n",
    "  - name: ls-a\n    namespace: apps\n    kind: ListenerSet\n",
    "  - name: ls-w\n    namespace: web\n    kind: ListenerSet\n    sectionName: ls-http\n",
    "  - name: svc\n    namespace: apps\n    kind: Service\n    group: \"\"\n",
    "  - name: svc\n    namespace: apps\n    kind: Service\n    group: \"\"\n    port: 80\n",
    "  - name: svc\n    namespace: apps\n    kind: Service\n    group: core\n    port: 9090\n",
    "  - name: svc2\n    namespace: web\n    kind: Service\n    group: \"\"\n",
    "  - name: srv\n    group: policy.linkerd.io\n    kind: Server\n",
    "  - name: missing\n    namespace: infra\n",
]
BACKENDS = [
    "    - name: svc\n      namespace: apps\n      port: 80\n",
    "    - name: svc2\n      namespace: web\n      port: 80\n",
    "    - name: gone\n      port: 80\n",
    "    - name: svc\n      namespace: apps\n",
]


def _route(name: str, ns: str) -> Slot:
    def make(rng: random.Random) -> str | None:
        if rng.random() < 0.15:
            return None
        kind, version = rng.choice([("HTTPRoute", "v1"), ("HTTPRoute", "v1"), ("GRPCRoute", "v1"),
                                    ("TLSRoute", "v1alpha2"), ("TCPRoute", "v1alpha2")])
        parents = "".join(rng.sample(PARENTS, rng.randint(1, 2)))
        hosts = ""
        if kind in ("HTTPRoute", "GRPCRoute", "TLSRoute") and rng.random() < 0.5:
            hosts = f"  hostnames:\n  - {rng.choice(['x.example.com', 'a.example.com', 'other.org'])}\n"
        backends = "".join(rng.sample(BACKENDS, rng.randint(0, 2)))
        rules = f"  rules:\n  - backendRefs:\n{backends}" if backends else ""
        return (f"apiVersion: {GW}/{version}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"spec:\n  parentRefs:\n{parents}{hosts}{rules}")
    return make


SLOTS: dict[str, Slot] = {
    "ns-apps.yaml": _namespace("apps"),
    "ns-web.yaml": _namespace("web"),
    "gw.yaml": _gateway("gw", "infra"),
    "gw2.yaml": _gateway("gw2", "apps"),
    "ls-a.yaml": _listener_set("ls-a", "apps"),
    "ls-w.yaml": _listener_set("ls-w", "web"),
    "grant.yaml": _grant,
    "secret.yaml": _secret,
    "producer.yaml": _producer,
    "ca.yaml": _ca,
    "svc.yaml": _service("svc", "apps"),
    "svc2.yaml": _service("svc2", "web"),
    **{f"route-{i}.yaml": _route(f"r{i}", "apps" if i % 3 else "web") for i in range(8)},
}


# Never edited: they keep each (kind, namespace) of the grants and producers non-empty, so a
# changed grant or producer is not also caught by the presence-reason rule.
STATIC = {
    "static-grant.yaml": (f"apiVersion: {GW}/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: static\n"
                          f"  namespace: apps\nspec:\n  from:\n  - group: {GW}\n    kind: TCPRoute\n"
                          f"    namespace: nowhere\n  to:\n  - group: \"\"\n    kind: Service\n    name: none\n"),
    "static-producer.yaml": ("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: static\n"
                             "  namespace: apps\nspec:\n  secretName: unused\n"),
}



def _changed(old: State, new: State) -> set[ResourceKey]:
    out = set()
    for key in set(old.resources) | set(new.resources):
        o, n = old.get(key), new.get(key)
        if (o is None) != (n is None) or (o is not None and n is not None and o.body is not n.body
                                          and o.body != n.body):
            out.add(key)
    return out


def _same(a: Resolution, b: Resolution) -> None:
    assert a.routes == b.routes
    assert a.backends == b.backends
    assert Counter(a.validation) == Counter(b.validation)


@pytest.mark.parametrize("profile", ["spec", "linkerd"])
@pytest.mark.parametrize("seed", range(4))
def test_incremental_equals_from_scratch(seed: int, profile: str) -> None:
    rng = random.Random(seed)
    repo = TextRepo()
    repo.texts.update(STATIC)
    for path, make in SLOTS.items():
        repo.put(path, make(rng))
    old = repo.state()
    previous = resolve(old, profile, gateways=False)
    narrowed = issues = 0
    for _ in range(80):
        for path in rng.sample(sorted(SLOTS), rng.randint(1, 3)):
            repo.put(path, SLOTS[path](rng))
        new = repo.state()
        scratch = resolve(new, profile)
        affected = affected_routes(old, new, _changed(old, new))
        if affected is None:
            merged = resolve(new, profile, gateways=False)
        else:
            narrowed += 1
            fresh = resolve(new, profile, routes=affected, gateways=True)
            assert set(fresh.routes) == affected
            assert {k: scratch.routes[k] for k in affected} == fresh.routes
            assert fresh.gateways == scratch.gateways and fresh.listener_sets == scratch.listener_sets
            merged = merge(previous, fresh, new, affected)
            patched = merge(previous, fresh, new, affected, [k for k in old.resources if k not in new.resources])
            _same(patched, merged)
            if narrowed % 2:  # the next steps derive from the patched maps as well as the filtered ones
                merged = patched
            issues += len(merged.validation)
        _same(merged, Resolution(scratch.routes, {}, {}, scratch.validation, scratch.backends))
        if profile == "spec":  # the kept views and memos do not depend on the profile
            unshared = resolve(repo.state(fresh=True), profile)
            _same(scratch, unshared)
            assert scratch.gateways == unshared.gateways and scratch.listener_sets == unshared.listener_sets
        old, previous = new, merged
    assert narrowed > 40  # the check exercised narrowed sets, not only full re-resolutions
    assert issues > 0  # and merged validation issues


def test_gamma_precedence_follows_the_other_route() -> None:
    """A GRPCRoute added on a Service un-accepts the HTTPRoute there, which did not change itself."""
    repo = TextRepo()
    repo.put("svc.yaml", _service("svc", "apps")(random.Random(3)))
    http = (f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: h\n  namespace: apps\n"
            f"spec:\n  parentRefs:\n  - name: svc\n    kind: Service\n    group: \"\"\n")
    repo.put("h.yaml", http)
    old = repo.state()
    previous = resolve(old, gateways=False)
    repo.put("g.yaml", http.replace("HTTPRoute", "GRPCRoute").replace("name: h\n", "name: g\n"))
    new = repo.state()
    affected = affected_routes(old, new, _changed(old, new))
    h = ResourceKey(GW, "HTTPRoute", "apps", "h")
    assert affected is not None and h in affected
    merged = merge(previous, resolve(new, routes=affected, gateways=False), new, affected)
    cond = merged.routes[h].parents[0].condition("Accepted")
    assert cond is not None and cond.reason == "Conflicted"


def test_unrelated_change_resolves_few_routes() -> None:
    """Editing one route on a shared Gateway does not re-resolve the other routes on it."""
    repo = TextRepo()
    rng = random.Random(5)
    repo.put("gw.yaml", _gateway("gw", "infra")(rng))
    for i in range(20):
        repo.put(f"r{i}.yaml", f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: r{i}\n  namespace: apps\n"
                               f"spec:\n  parentRefs:\n  - name: gw\n    namespace: infra\n")
    old = repo.state()
    repo.put("r0.yaml", repo.texts["r0.yaml"] + "  hostnames:\n  - x.example.com\n")
    new = repo.state()
    assert affected_routes(old, new, _changed(old, new)) == {ResourceKey(GW, "HTTPRoute", "apps", "r0")}


def _step(repo: TextRepo, path: str, text: str | None) -> tuple[set[ResourceKey] | None, Resolution, Resolution]:
    old = repo.state()
    previous = resolve(old, gateways=False)
    repo.put(path, text)
    new = repo.state()
    affected = affected_routes(old, new, _changed(old, new))
    assert affected is not None
    merged = merge(previous, resolve(new, routes=affected, gateways=False), new, affected)
    return affected, merged, resolve(new, gateways=False)


LS_PRODUCER = ("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n  namespace: apps\n"
               "spec:\n  secretName: cert\n")
LS_GRANT = (f"apiVersion: {GW}/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: grant\n  namespace: apps\n"
            f"spec:\n  from:\n  - group: {GW}\n    kind: ListenerSet\n    namespace: web\n"
            f"  to:\n  - group: \"\"\n    kind: Secret\n")


@pytest.mark.parametrize("path, text, other", [("producer.yaml", LS_PRODUCER, ("grant.yaml", LS_GRANT)),
                                               ("grant.yaml", LS_GRANT, ("producer.yaml", LS_PRODUCER))],
                         ids=["producer", "grant"])
def test_certificate_sources_reach_listener_set_routes(path: str, text: str, other: tuple[str, str]) -> None:
    """A producer or grant that makes a ListenerSet's only certificate resolve makes its routes attach."""
    repo = TextRepo()
    repo.texts.update(STATIC)
    repo.put("static-cert.yaml", "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: s2\n"
                                 "  namespace: apps\nspec:\n  secretName: other\n")
    repo.put("gw.yaml", f"apiVersion: {GW}/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: infra\nspec:\n"
                        "  gatewayClassName: demo\n  allowedListeners:\n    namespaces:\n      from: All\n"
                        "  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n")
    repo.put("ls.yaml", f"apiVersion: {GW}/v1\nkind: ListenerSet\nmetadata:\n  name: ls\n  namespace: web\nspec:\n"
                        "  parentRef:\n    name: gw\n    namespace: infra\n  listeners:\n  - name: https\n"
                        "    port: 443\n    protocol: HTTPS\n    tls:\n      certificateRefs:\n      - name: cert\n"
                        "        namespace: apps\n    allowedRoutes:\n      namespaces:\n        from: All\n")
    repo.put(*other)
    repo.put("r.yaml", f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  namespace: web\n"
                       f"spec:\n  parentRefs:\n  - name: ls\n    kind: ListenerSet\n")
    r = ResourceKey(GW, "HTTPRoute", "web", "r")
    before = resolve(repo.state(), gateways=False).routes[r].parents[0].condition("Accepted")
    assert before is not None and before.status == "False"
    affected, merged, scratch = _step(repo, path, text)
    after = scratch.routes[r].parents[0].condition("Accepted")
    assert after is not None and after.status == "True"
    assert affected == {r} and merged.routes == scratch.routes
