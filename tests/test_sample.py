"""The bundled sample history gives the results README and samples/README.md promise."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gitrepo import ROOT, run_cli

EXPECTED = [
    ("Add test-service and other-service", "pass", set()),
    ("Add test-service-route with a redirect on test-service", "pass", set()),
    ("Point test-service-route at other-service", "fail", {"no-in-place-detach"}),
    ("Point test-service-route at test-service-non-existent", "fail", {"no-in-place-detach", "parent-exists"}),
    ("Delete test-service-route", "pass", set()),
    ("Add test-service-route-v2 on other-service", "pass", set()),
    ("Delete other-service while test-service-route-v2 still attaches to it", "fail",
     {"parent-exists"}),
]


def test_sample_history(tmp_path: Path) -> None:
    dest = tmp_path / "sample"
    subprocess.run([str(ROOT / "samples" / "make-repo.sh"), str(ROOT / "samples" / "linkerd-retarget"), str(dest)],
                   check=True, capture_output=True)
    proc = run_cli("check", "--history", "--repo", str(dest), "--format", "json", isolated=True)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    got = [(c["subject"], c["result"], {f["policy"] for f in c["findings"] if f["new"]}) for c in report["commits"]]
    assert got == EXPECTED
    detach = report["commits"][2]["findings"][0]
    assert detach["severity"] == "error"
    assert detach["resource"] == {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "HTTPRoute",
                                  "namespace": "default", "name": "test-service-route"}
    assert detach["operation"] == "update"
    assert detach["file"] == "routes/test-route.yaml"
    assert "linkerd/linkerd2#13280" in detach["message"]
