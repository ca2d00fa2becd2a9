"""Hostile and odd manifests, each committed on top of a valid base and judged by the real CLI.

Every case states the exit code and the text the report must hold. A file that
cannot be read fails its commit (`manifest-parse-error`, an error) unless it is
skipped on purpose with a warning (binary, LFS pointer, size limit); malformed
objects never crash the run, and the check of everything else still runs.
"""

from __future__ import annotations

import json

import pytest
from gitrepo import GitRepo

from hostile.kit import SERVICE, Case, check, findings, route, write_bytes

BOMB = "".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)
DEEP_FLOW = "a: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "- " * 3000 + "x\n"
DEEP_MAP = "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "v\n"
K = "apiVersion: v1\nkind: ConfigMap\n"  # top-level lines that make a file that does not parse a manifest
MISSING = "Service default/nowhere port=80: no such parent"  # how parent-exists names the bad parent


def bad_route(spec: str, name: str = "bad") -> str:
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
spec:
{spec}"""


CASES = [
    # -- YAML that does not parse ------------------------------------------------------------------
    Case("unclosed-flow", {"bad.yaml": K + "a: [1, 2\nb: 3\n"}, 1, ("manifest-parse-error", "bad.yaml:4")),
    Case("tab-indentation", {"bad.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n\tname: a\n"}, 1,
         ("manifest-parse-error", "bad.yaml:4", "cannot start any token")),
    Case("error-after-valid-doc", {"bad.yaml": route("nowhere") + "---\n: : :\n  - [\n"}, 1,
         ("manifest-parse-error", MISSING)),  # objects before the error are still judged
    Case("python-tag-not-executed", {"bad.yaml": "a: !!python/object/apply:os.system ['touch /tmp/pwned']\n"}, 0,
         ("not-kubernetes", "!!python/object/apply:os.system"), ("manifest-parse-error",)),
    Case("timestamp-like-text", {"bad.yaml": K + "a: 2001-13-45\n"}, 0, (), ("manifest-parse-error",)),  # a string
    Case("unhashable-key", {"bad.yaml": K + "? [a]\n: b\n"}, 1, ("manifest-parse-error", "unhashable key")),
    # -- bounded work: alias bombs and deep nesting --------------------------------------------------
    Case("billion-laughs", {"bad.yaml": K + BOMB}, 1, ("manifest-parse-error", "bad.yaml:", "alias bomb")),
    Case("recursive-alias", {"bad.yaml": K + "a: &a [1, *a]\n"}, 1, ("manifest-parse-error", "contains it")),
    # PyYAML 6.0.4's LibYAML stops deep flow nesting itself ("exceeded maximum nesting depth").
    Case("deep-flow-nesting", {"bad.yaml": K + DEEP_FLOW}, 1, ("manifest-parse-error", "nesting")),
    Case("deep-block-nesting", {"bad.yaml": K + "x:\n" + DEEP_BLOCK}, 1,
         ("manifest-parse-error", "nesting deeper than 100")),
    Case("deep-mapping-nesting", {"bad.yaml": K + DEEP_MAP}, 1, ("manifest-parse-error", "nesting deeper than 100")),
    Case("deep-doc-after-valid-doc", {"bad.yaml": route("nowhere") + "---\n" + DEEP_FLOW}, 1,
         ("manifest-parse-error", MISSING, "bad.yaml:13")),
    # -- other tools' YAML: skipped with a note, never an error --------------------------------------
    Case("gitlab-reference", {".gitlab-ci.yml": "test:\n  script:\n    - !reference [.setup, script]\n"}, 0,
         ("not-kubernetes", "!reference"), ("manifest-parse-error",)),
    Case("esphome-secret", {"node.yaml": "wifi:\n  ssid: !secret wifi_ssid\n"}, 0, ("not-kubernetes", "!secret")),
    Case("home-assistant-include", {"configuration.yaml": "automation: !include automations.yaml\n"}, 0,
         ("not-kubernetes", "!include")),
    Case("cloudformation-sub", {"stack.yaml": "Resources:\n  B:\n    Properties:\n      Name: !Sub '${A}-b'\n"}, 0,
         ("not-kubernetes", "!Sub")),
    Case("mkdocs-python-name", {"mkdocs.yml": "markdown_extensions:\n  - pymdownx.superfences:\n"
                                              "      format: !!python/name:pymdownx.superfences.fence_code_format\n"},
         0, ("not-kubernetes", "!!python/name:pymdownx"), ("manifest-parse-error",)),
    Case("authentik-find", {"blueprint.yaml": "entries:\n  - attrs:\n      flow: !Find [authentik_flows.flow, "
                                              "[slug, x]]\n"}, 0, ("not-kubernetes", "!Find")),
    Case("env-var-tag", {"conf.yaml": "password: !env_var DB_PASSWORD\n"}, 0, ("not-kubernetes", "!env_var")),
    Case("tool-yaml-does-not-parse", {"compose.yaml": "services:\n  web: [unclosed\n"}, 0,
         ("not-kubernetes", "no top-level apiVersion and kind"), ("manifest-parse-error",)),
    Case("harmless-aliases-pass", {"ok.yaml": "a: &x {b: 1}\nc: *x\nd: *x\n"}, 0, (), ("manifest-parse-error",)),
    # -- size, encoding, binary --------------------------------------------------------------------
    Case("over-size-limit", {"big.yaml": route("nowhere") + "#" * 400 + "\n"}, 1,
         ("manifest-parse-error", "over the 300-byte limit"), (MISSING,), config="maxFileBytes: 300\n"),
    Case("over-size-data", {"big.yaml": "values:\n" + "  - 1\n" * 100}, 0,
         ("manifest-skipped", "over the 300-byte limit"), config="maxFileBytes: 300\n"),
    Case("binary", {"bin.yaml": b"\x00\x01\x02kind: Service\n"}, 0, ("manifest-skipped", "binary content")),
    Case("latin-1", {"bad.yaml": "apiVersion: v1\n# caf\xe9\nkind: A\n".encode("latin-1")}, 1,
         ("manifest-parse-error", "bad.yaml:2", "not UTF-8")),
    Case("utf-16-with-bom", {"r.yaml": route("nowhere").encode("utf-16")}, 1, (MISSING,)),
    Case("bad-utf-16", {"r.yaml": K.encode("utf-16") + b"\x00"}, 1, ("manifest-parse-error", "despite its BOM")),
    Case("crlf-and-bom", {"r.yaml": b"\xef\xbb\xbf" + route("nowhere").replace("\n", "\r\n").encode()}, 1,
         (MISSING, "r.yaml:8")),
    Case("lfs-pointer", {"r.yaml": "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64
                         + "\nsize 12\n"}, 0, ("manifest-skipped", "Git LFS pointer")),
    Case("helm-template", {"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                           "chart/templates/r.yaml": route("{{ .Values.parent }}")}, 0,
         ("manifest-skipped", "Helm chart template")),
    Case("templates-folder-without-chart", {"x/templates/r.yaml": route("{{ .Values.parent }}")}, 1,
         ("manifest-parse-error", "x/templates/r.yaml:10")),
    # -- duplicate keys: a warning on the line; the last value is read ------------------------------
    Case("duplicate-key-warns", {"r.yaml": route("web").replace("  name: r\n", "  name: r\n  name: r2\n")}, 0,
         ("duplicate-key", "r.yaml:5", "'name'")),
    Case("duplicate-key-reads-last", {"r.yaml": route("nowhere").replace("  name: r\n", "  name: r\n  name: r2\n")},
         1, ("duplicate-key", "r.yaml:5", '"name": "r2"', MISSING)),
    Case("duplicate-key-last-wins", {"r.yaml": route("web").replace("      name: web\n",
                                                                    "      name: web\n      name: nowhere\n")}, 1,
         ("duplicate-key", MISSING)),
    # -- documents that are not objects: ignored quietly ---------------------------------------------
    Case("list-scalar-empty-docs", {"odd.yaml": "- a\n- b\n---\njust a string\n---\n---\n42\n---\nnull\n"}, 0, (),
         ("manifest-parse-error",)),
    Case("empty-file", {"empty.yaml": ""}, 0, (), ("manifest-parse-error",)),
    Case("comments-only", {"c.yaml": "# nothing here\n"}, 0),
    # -- objects of the wrong shape: never a crash, never a pass for a broken route -------------------
    Case("kind-not-string", {"o.yaml": "apiVersion: v1\nkind: [Service]\nmetadata: {name: a}\n"}, 0),
    Case("metadata-string", {"o.yaml": "apiVersion: v1\nkind: Service\nmetadata: a\n"}, 0),
    Case("name-missing", {"o.yaml": "apiVersion: v1\nkind: Service\nmetadata: {namespace: a}\n"}, 0),
    Case("name-number", {"o.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: 12}\n"}, 0),
    Case("spec-list", {"o.yaml": bad_route("  - a\n")}, 1, ("route-valid",)),
    Case("spec-string", {"o.yaml": bad_route("  text\n").replace("spec:\n  text", "spec: text")}, 1,
         ("route-valid",)),
    Case("parentRefs-string", {"o.yaml": bad_route("  parentRefs: web\n")}, 1, ("route-valid",)),
    Case("parentRefs-map", {"o.yaml": bad_route("  parentRefs: {name: web, kind: Service, group: core}\n")}, 1,
         ("route-valid",)),
    Case("parentRef-number", {"o.yaml": bad_route("  parentRefs: [7]\n")}, 1, ("route-valid",)),
    Case("parentRef-null", {"o.yaml": bad_route("  parentRefs: [null]\n")}, 1, ("route-valid",)),
    Case("parentRef-name-missing", {"o.yaml": bad_route("  parentRefs: [{kind: Service, group: core}]\n")}, 1,
         ("route-valid",)),
    Case("port-string", {"o.yaml": bad_route("  parentRefs: [{name: web, kind: Service, group: core, port: '80'}]\n")},
         1, ("route-valid",)),
    Case("port-huge", {"o.yaml": bad_route("  parentRefs: [{name: web, kind: Service, group: core, port: 1e400}]\n")},
         1, ("route-valid",)),
    Case("rules-string", {"o.yaml": bad_route("  parentRefs: [{name: web, kind: Service, group: core, port: 80}]\n"
                                              "  rules: everything\n")}, 1, ("route-valid",)),
    Case("backendRefs-garbage", {"o.yaml": bad_route(
        "  parentRefs: [{name: web, kind: Service, group: core, port: 80}]\n"
        "  rules: [{backendRefs: [1, null, {port: x}, {name: [a]}]}]\n")}, 1, ()),
    Case("hostnames-map", {"o.yaml": bad_route(
        "  parentRefs: [{name: web, kind: Service, group: core, port: 80}]\n  hostnames: {a: b}\n")}, 1,
         ("route-valid",)),
    Case("annotations-odd", {"o.yaml": route("nowhere").replace(
        "  namespace: default\n", "  namespace: default\n  annotations: {policycheck.io/ignore: [a], 1: 2}\n")}, 1,
         (MISSING,)),
    Case("namespace-number", {"o.yaml": route("web").replace("namespace: default", "namespace: 5")}, 0),
    Case("list-kind-garbage-items", {"o.yaml": "apiVersion: v1\nkind: List\nitems: [1, null, [a], {kind: x}]\n"}, 0),
    Case("list-kind-items-map", {"o.yaml": "apiVersion: v1\nkind: List\nitems: {a: b}\n"}, 0),
    Case("list-kind-wraps-route", {"o.yaml": "apiVersion: v1\nkind: List\nitems:\n- " +
                                   route("nowhere").replace("\n", "\n  ")}, 1, (MISSING,)),
    # -- the same object twice in one state: reported, the first path in sort order wins -------------
    Case("same-object-twice", {"a.yaml": route("web"), "b.yaml": route("nowhere")}, 1,
         ("duplicate-resource", "b.yaml", "a.yaml:"), (MISSING,)),
    # -- unknown versions of known kinds are still judged -----------------------------------------------
    Case("unknown-apiversion", {"r.yaml": route("nowhere").replace("gateway.networking.k8s.io/v1",
                                                                   "gateway.networking.k8s.io/v9alpha9")}, 1,
         (MISSING,)),
    Case("gateway-garbage-listeners", {"g.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                                       "metadata: {name: g}\nspec: {listeners: [1, {port: x}, null, {name: [a]}]}\n",
                                       "r.yaml": bad_route("  parentRefs: [{name: g, port: 80, sectionName: a}]\n")},
         1, ()),
    Case("service-garbage-ports", {"s.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web2}\n"
                                   "spec: {ports: [1, null, {port: x}, {name: [a]}]}\n",
                                   "r.yaml": route("web2")}, 1, ()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_manifest_case(repo: GitRepo, case: Case) -> None:
    files: dict[str, str | None] = {"svc.yaml": SERVICE}
    if case.config is not None:
        files[".policycheck.yaml"] = case.config
    repo.commit("base", files)
    for rel, data in case.files.items():
        write_bytes(repo, rel, data)
    repo.commit(f"add {case.name}")
    code, report, _stderr = check(repo, *case.args)
    text = json.dumps(report) + "\n" + "\n".join(f"{f['file']}:{f['line']}" for f in findings(report))
    assert code == case.exit, text
    for needle in case.expect:
        assert needle in text, (needle, text)
    for needle in case.absent:
        assert needle not in text, (needle, text)


def test_billion_laughs_is_fast(repo: GitRepo) -> None:
    """The bomb is refused by counting, not by expanding: the whole run stays well under seconds."""
    import time

    repo.commit("bomb", {"bad.yaml": K + BOMB})
    start = time.monotonic()
    code, _, _ = check(repo, "HEAD")
    assert code == 1
    assert time.monotonic() - start < 20
