"""Whether the deployed mesh has the stale-route bug, from its configured version.

Linkerd 2.13 to 2.16 kept serving a route on its old parent when the route was
retargeted in place (linkerd/linkerd2#13280); edge-24.11.3 and 2.17 fixed it
(linkerd/linkerd2#13315). Edge releases before 24.11.3 back to the 2.13 era
(edge-23.1.x) are affected too.
"""

from __future__ import annotations

import re
from typing import Any

_STABLE = re.compile(r"^(?:stable-|enterprise-|v)?(\d+)\.(\d+)(?:\.(\d+))?")
_EDGE = re.compile(r"^edge-(\d+)\.(\d+)\.(\d+)")


def linkerd_affected(version: str) -> bool | None:
    """True / False when the version says, None when it cannot be read."""
    v = version.strip().lower()
    m = _EDGE.match(v)
    if m:
        yy, mm, patch = (int(x) for x in m.groups())
        if (yy, mm, patch) >= (24, 11, 3):
            return False
        return (yy, mm) >= (23, 1)
    m = _STABLE.match(v)
    if m:
        major, minor = int(m.group(1)), int(m.group(2))
        return major == 2 and 13 <= minor <= 16
    return None


def mesh_fact(mesh: dict[str, str]) -> dict[str, Any]:
    name = (mesh.get("name") or "").lower()
    version = mesh.get("version") or ""
    affected: bool | None = None
    if name == "linkerd" and version:
        affected = linkerd_affected(version)
    if affected is True:
        note = f"; the deployed Linkerd {version} is affected."
    elif affected is False:
        note = f"; the deployed Linkerd {version} is not affected, but a downgrade or another implementation may be."
    else:
        note = "."
    return {"name": name or None, "version": version or None, "affected": affected, "note": note}
