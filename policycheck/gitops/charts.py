"""What chart a Flux HelmRelease installs, whatever its source object is called.

A release names its chart in one of two ways: `spec.chart.spec` (a chart name
in a `HelmRepository`, `GitRepository` or `Bucket`) or `spec.chartRef` (an
`OCIRepository` whose url is the chart itself, or a `HelmChart`). Repositories
often give each application its own `OCIRepository` named after the
application (`chartRef: {kind: OCIRepository, name: sonarr}` with url
`oci://ghcr.io/bjw-s/helm/app-template`), so the source object's name says
nothing: the identity is read from the url. Extractors match on it
(`chart.name`, `chart.url` in `match.when`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policycheck.model import Resource

FLUX_HELM = "helm.toolkit.fluxcd.io"
Sources = Mapping[tuple[str, str, str], str]  # (kind, namespace, name) -> url


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _last_segment(url: str) -> str:
    """`oci://ghcr.io/bjw-s/helm/app-template:3.7.3` -> `app-template`."""
    path = url.split("://", 1)[-1].rstrip("/")
    name = path.rsplit("/", 1)[-1]
    return name.split("@", 1)[0].split(":", 1)[0]


def lookup(sources: Sources, kind: str, namespace: str, name: str) -> str | None:
    """The url of a source; where none is in that namespace, the one every source of that kind and name
    shares (the source's namespace is often set by a kustomization or Flux, not written in its file)."""
    url = sources.get((kind, namespace, name))
    if url is not None:
        return url
    found = {u for (k, _, n), u in sources.items() if k == kind and n == name}
    return found.pop() if len(found) == 1 else None


def identity(res: Resource, sources: Sources) -> dict[str, str] | None:
    """{"name", "url"} of the chart a HelmRelease installs; the url is absent where the source is not defined."""
    if res.key.group != FLUX_HELM or res.key.kind != "HelmRelease":
        return None
    ref = res.spec.get("chartRef")
    if isinstance(ref, dict):
        kind = _str(ref.get("kind")) or "OCIRepository"
        url = lookup(sources, kind, _str(ref.get("namespace")) or res.key.namespace, _str(ref.get("name")) or "")
        if url is None:
            return None
        return {"name": _last_segment(url), "url": url}
    template = res.spec.get("chart")
    spec = template.get("spec") if isinstance(template, dict) else None
    if not isinstance(spec, dict):
        return None
    chart = _str(spec.get("chart"))
    if chart is None:
        return None
    if "://" in chart:
        return {"name": _last_segment(chart), "url": chart}
    src = spec.get("sourceRef")
    url = None
    if isinstance(src, dict):
        url = lookup(sources, _str(src.get("kind")) or "HelmRepository",
                     _str(src.get("namespace")) or res.key.namespace, _str(src.get("name")) or "")
    name = chart.rsplit("/", 1)[-1]
    if url is None:
        return {"name": name}
    return {"name": name, "url": f"{url.rstrip('/')}/{chart}" if url.startswith("oci://") else url}
