"""`policycheck init`: a first configuration from what the tree holds, never over an existing one."""

from __future__ import annotations

import yaml
from gitrepo import GitRepo, run_cli
from manifests_fixtures import gateway_route

from policycheck.config import parse_config


def test_init_excludes_yaml_that_is_not_kubernetes(repo: GitRepo) -> None:
    repo.commit("a mixed tree", {
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        ".gitlab-ci.yml": "include: !reference [a, b]\n",
        "mkdocs.yml": "site_name: docs\nmarkdown_extensions: [!!python/name:foo.bar]\n",
        "apps/web/route.yaml": gateway_route("web", "edge"),
        "apps/web/kustomization.yaml": "resources: [route.yaml]\n",
        "apps/web/values.yaml": "replicas: 2\n",
        "apps/web/notes.yaml": "owner: team-a\n",
        "apps/broken.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: [\n",
    })
    proc = run_cli("init", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr
    text = (repo.path / ".policycheck.yaml").read_text(encoding="utf-8")
    config = parse_config(text)
    assert sorted(config.exclude) == [".github/", ".gitlab-ci.yml", "apps/web/notes.yaml", "mkdocs.yml"]
    assert "#   - apps/web" in text
    assert yaml.safe_load(text)["exclude"] == list(config.exclude)
    # a check with it reads the manifests and none of the rest
    assert run_cli("check", "--no-cache", cwd=repo.path).returncode in (0, 1)

    before = text
    again = run_cli("init", cwd=repo.path)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    assert (repo.path / ".policycheck.yaml").read_text(encoding="utf-8") == before
