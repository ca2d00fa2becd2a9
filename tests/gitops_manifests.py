"""Manifests and report helpers shared by the GitOps tests: a Gateway in `network`, kustomizations, Flux objects.

The texts are generated rather than copied into each test module, so a test
states only what is particular to its layout.
"""

from __future__ import annotations

from typing import Any

HTTPS = ("https", "HTTPS", 443)
HTTP = ("http", "HTTP", 80)


def network_gateway(name: str = "internal", listeners: tuple[tuple[str, str, int], ...] = (HTTPS,)) -> str:
    """A Gateway of namespace `network` whose listeners admit routes from every namespace."""
    body = "".join(f"""    - name: {lname}
      protocol: {protocol}
      port: {port}
      allowedRoutes:
        namespaces:
          from: All
""" for lname, protocol, port in listeners)
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  namespace: network
spec:
  gatewayClassName: cilium
  listeners:
{body}"""


def kustomization(resources: list[str], namespace: str | None = None) -> str:
    ns = f"namespace: {namespace}\n" if namespace else ""
    items = "".join(f"  - {r}\n" for r in resources)
    return f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{ns}resources:\n{items}"


def flux(name: str, path: str, target: str | None = None, substitute: dict[str, str] | None = None) -> str:
    """A Flux Kustomization of namespace flux-system deploying `path` of this repository."""
    extra = f"  targetNamespace: {target}\n" if target else ""
    if substitute:
        extra += "  postBuild:\n    substitute:\n" + "".join(f"      {k}: {v}\n" for k, v in substitute.items())
    return f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{extra}"""


def argo(name: str, path: str, destination: str = "server: https://kubernetes.default.svc",
         repo_url: str = "https://example.com/repo.git") -> str:
    """An Argo CD Application deploying `path` of `repo_url` to `destination` (its YAML line)."""
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo_url}
    path: {path}
  destination:
    {destination}
"""


def findings(report: dict[str, Any], policy: str | None = None, commit: int | None = None) -> list[dict[str, Any]]:
    """The listed findings of a JSON report (of one commit, by index, when given), of one policy when given."""
    commits = report["commits"] if commit is None else [report["commits"][commit]]
    return [f for c in commits for f in c["findings"] if policy is None or f["policy"] == policy]


def helm_release(chart: str = "some-chart", repository: str = "charts", values: str = "", version: str = "",
                 repository_namespace: str = "") -> str:
    """A Flux HelmRelease `media/sonarr` of a chart; `values` is the YAML under `spec.values` (indented)."""
    pinned = f"      version: {version}\n" if version else ""
    located = f"        namespace: {repository_namespace}\n" if repository_namespace else ""
    return f"""apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: media
spec:
  interval: 30m
  chart:
    spec:
      chart: {chart}
{pinned}      sourceRef:
        kind: HelmRepository
        name: {repository}
{located}""" + (f"  values:\n{values}" if values else "")
