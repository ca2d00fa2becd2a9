"""Reading commits through the git command line."""

from __future__ import annotations

from gitrepo import GitRepo

from policycheck.gitsource import GitSource


def test_first_parents_follow_a_merge_by_its_first_parent_down_to_the_root(repo: GitRepo) -> None:
    root = repo.commit("root", {"a.yaml": "a: 1\n"})
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side", {"b.yaml": "b: 1\n"})
    repo.git("checkout", "-q", "main")
    main = repo.commit("main", {"a.yaml": "a: 2\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "side")
    merge = repo.git("rev-parse", "HEAD").strip()
    source = GitSource(str(repo.path))
    assert source.first_parents(merge, 10) == [(merge, main), (main, root), (root, None)]
    assert source.first_parents(merge, 2) == [(merge, main), (main, root)]
    assert source.first_parents(side, 10) == [(side, root), (root, None)]
    assert source.commit_info(merge).parent == main
