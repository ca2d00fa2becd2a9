"""Reading many blobs through one pipelined `git cat-file --batch`."""

from __future__ import annotations

import pytest
from gitrepo import GitRepo

from policycheck.errors import GitError
from policycheck.gitbatch import BlobStream, BlobSupply, PendingDiffs, diffs


def _blobs(repo: GitRepo, files: dict[str, str]) -> dict[str, str]:
    repo.commit("files", files)
    return {path: repo.git("rev-parse", f"HEAD:{path}").strip() for path in files}


def test_stream_hands_out_blobs_in_any_order_once(repo: GitRepo) -> None:
    ids = _blobs(repo, {f"f{i}.yaml": f"n: {i}\n" for i in range(6)} | {"empty.yaml": ""})
    order = [ids[f"f{i}.yaml"] for i in range(6)] + [ids["empty.yaml"]]
    git_dir = str(repo.path / ".git")
    with BlobStream(git_dir, order + order[:1]) as stream:  # an id listed twice is read once, handed out twice
        assert stream.get(order[0]) == b"n: 0\n"
        assert stream.get(order[4]) == b"n: 4\n"  # read ahead to it; 1 to 3 are kept
        assert stream.get(order[2]) == b"n: 2\n"
        assert stream.get(order[0]) == b"n: 0\n"  # listed again
        assert stream.get(order[0]) is None  # handed out as often as listed
        assert stream.get("0" * 40) is None  # never listed
        assert [stream.get(order[i]) for i in (1, 3, 5)] == [b"n: 1\n", b"n: 3\n", b"n: 5\n"]
        assert stream.get(order[6]) == b""
    with BlobStream(git_dir, order) as stream:  # in order: every blob as git has it
        assert {sha: stream.get(sha) for sha in order} == \
            {sha: (b"n: %d\n" % i if i < 6 else b"") for i, sha in enumerate(order)}


def test_stream_closed_early_stops_git(repo: GitRepo) -> None:
    ids = _blobs(repo, {f"f{i}.yaml": "x: " + "y" * 200_000 + f"{i}\n" for i in range(8)})
    stream = BlobStream(str(repo.path / ".git"), list(ids.values()))
    assert stream.get(ids["f0.yaml"]) is not None
    stream.close()  # git still has megabytes to write: it must not hang
    assert stream.get(ids["f1.yaml"]) is None


def test_stream_names_an_object_git_does_not_have(repo: GitRepo) -> None:
    ids = _blobs(repo, {"a.yaml": "a: 1\n"})
    with BlobStream(str(repo.path / ".git"), ["1" * 40, ids["a.yaml"]]) as stream, \
            pytest.raises(GitError, match="cannot read object 1111"):
        stream.get(ids["a.yaml"])


def test_empty_stream_starts_no_git() -> None:
    with BlobStream("/nonexistent", []) as stream:
        assert stream.get("0" * 40) is None


def test_stream_keeps_at_most_max_ahead_bytes_of_skipped_blobs(repo: GitRepo) -> None:
    ids = _blobs(repo, {f"f{i}.yaml": f"n: {i}\n" for i in range(5)})  # 5 bytes each
    order = [ids[f"f{i}.yaml"] for i in range(5)]
    with BlobStream(str(repo.path / ".git"), order, max_ahead=10) as stream:
        assert stream.get(order[4]) == b"n: 4\n"  # 0 to 3 passed over: only the last two kept
        assert [stream.get(order[i]) for i in range(4)] == [None, None, b"n: 2\n", b"n: 3\n"]


def test_supply_asks_the_innermost_stream_then_git(repo: GitRepo) -> None:
    ids = _blobs(repo, {f"f{i}.yaml": f"n: {i}\n" for i in range(6)})
    order = [ids[f"f{i}.yaml"] for i in range(6)]
    round_trips: list[str] = []

    def one_by_one(sha: str) -> bytes:
        round_trips.append(sha)
        return repo.git("cat-file", "blob", sha).encode()

    supply = BlobSupply(str(repo.path / ".git"), one_by_one, {"w" * 40: b"worktree\n"})
    supply.ahead(order[3:])
    with supply.streaming(order[:3]):
        assert [supply.read(s) for s in order[:3]] == [b"n: 0\n", b"n: 1\n", b"n: 2\n"]
        assert supply.read(order[5]) == b"n: 5\n"  # not in the inner stream: the outer one is not read ahead
    assert round_trips == [order[5]]
    assert supply.read(order[5]) == b"n: 5\n"  # the last blob handed out, kept
    assert [supply.read(s) for s in order[3:5]] == [b"n: 3\n", b"n: 4\n"]
    assert supply.read("w" * 40) == b"worktree\n"
    assert round_trips == [order[5]]
    supply.close()
    assert supply.read(order[0]) == b"n: 0\n" and round_trips == [order[5], order[0]]


def test_pending_diffs_list_every_commits_changes(repo: GitRepo) -> None:
    repo.commit("one", {"a.yaml": "a: 1\n", "b.yaml": "b: 1\n"})
    repo.commit("two", {"a.yaml": "a: 2\n"})
    repo.git("rm", "-q", "b.yaml")
    repo.git("commit", "-q", "-m", "three")
    commits = repo.git("rev-list", "--reverse", "HEAD").split()
    pairs = [(commits[1], commits[0]), (commits[2], commits[1]), (commits[1], commits[1])]
    pending = PendingDiffs(str(repo.path / ".git"), pairs)
    found = pending.result()
    assert found == diffs(str(repo.path / ".git"), pairs)
    assert [(c.path, c.blob is None) for c in found[commits[1]]] == [("a.yaml", False)]
    assert [(c.path, c.blob is None) for c in found[commits[2]]] == [("b.yaml", True)]
    pending.close()  # after the result: nothing left to stop


def test_pending_diffs_report_what_git_said_and_stop_when_unread(repo: GitRepo) -> None:
    repo.commit("one", {"a.yaml": "a: 1\n"})
    head = repo.git("rev-parse", "HEAD").strip()
    with pytest.raises(GitError, match="diff-tree failed"):
        PendingDiffs(str(repo.path / ".git"), [(head, "f" * 40)]).result()
    PendingDiffs(str(repo.path / ".git"), [(head, head)] * 2000).close()  # never read: git is stopped
    assert PendingDiffs(str(repo.path / ".git"), []).result() == {}
