"""Every output format for the bundled sample history, compared with golden files.

The sample's commits are reproducible (fixed authors and dates), so the reports
are byte-for-byte stable. After an intended change, regenerate them with
`UPDATE_GOLDEN=1 python -m pytest tests/test_sample_golden.py`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gitrepo import ROOT, run_cli

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "github": "github.txt",
           "markdown": "md", "gitlab": "gitlab.json"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("golden") / "sample"
    subprocess.run([str(ROOT / "samples" / "make-repo.sh"), str(ROOT / "samples" / "linkerd-retarget"), str(dest)],
                   check=True, capture_output=True)
    return dest


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_sample_history_golden(sample: Path, fmt: str) -> None:
    proc = run_cli("check", "--history", "--repo", str(sample), "--format", fmt, "--no-cache")
    assert proc.returncode == 1, proc.stderr
    golden = GOLDEN / f"sample-history.{FORMATS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(proc.stdout)
    assert proc.stdout == golden.read_text(), f"{golden.name} differs (UPDATE_GOLDEN=1 to regenerate)"
