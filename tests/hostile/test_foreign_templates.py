"""Jinja templates (Ansible roles) that do not parse as YAML: skipped with a warning in a templates
folder, an error anywhere else (a route file cannot switch its own check off by adding markup); a Go
template in a templates folder without a Chart.yaml stays an error (tests/hostile/test_manifest_corpus.py)."""

from __future__ import annotations

import pytest

from policycheck.manifests import parse_file

JINJA = """apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: default
spec:
  blocks:
    {% for cidr in pool %}
    - cidr: {{ cidr }}
    {% endfor %}
"""
GO = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: job
  namespace: {{ .Release.Namespace }}
"""


def test_a_jinja_template_in_a_templates_folder_is_skipped_with_a_warning() -> None:
    (diag,) = parse_file("metal/roles/cilium/templates/pool.yaml", JINJA.encode()).diagnostics
    assert (diag.id, diag.severity) == ("manifest-skipped", "warning")
    assert "a Jinja template (markup at line 7" in diag.message and "not checked" in diag.message


def test_a_go_template_in_a_templates_folder_without_a_chart_is_an_error() -> None:
    (diag,) = parse_file("x/templates/job.yaml", GO.encode()).diagnostics
    assert (diag.id, diag.severity) == ("manifest-parse-error", "error")


@pytest.mark.parametrize("text", [JINJA, GO], ids=["jinja", "go"])
def test_the_same_text_elsewhere_is_a_manifest_that_does_not_parse(text: str) -> None:
    (diag,) = parse_file("apps/web/pool.yaml", text.encode()).diagnostics
    assert (diag.id, diag.severity) == ("manifest-parse-error", "error")


def test_a_broken_file_in_a_templates_folder_without_markup_is_still_an_error() -> None:
    (diag,) = parse_file("apps/templates/route.yaml", b"apiVersion: v1\nkind: Service\nmetadata: [\n").diagnostics
    assert (diag.id, diag.severity) == ("manifest-parse-error", "error")
