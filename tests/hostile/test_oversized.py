"""Files over the size limit: never read whole, and padding cannot switch a route's check off."""

from __future__ import annotations

from gitrepo import GitRepo

from hostile.kit import SERVICE, check, findings, route
from policycheck.gitbatch import BlobStream
from policycheck.gitsource import HEAD_BYTES, GitSource, Oversized, read_file

LIMIT = "maxFileBytes: 2000\n"
PADDING = "#" + "x" * 3000 + "\n"


def _base(repo: GitRepo) -> None:
    repo.commit("base", {".policycheck.yaml": LIMIT, "svc.yaml": SERVICE, "r.yaml": route("web")})


def _policies(report: object) -> list[tuple[str, str, str]]:
    return [(f["policy"], f["severity"], f["file"]) for f in findings(report)]  # type: ignore[arg-type]


def test_padded_route_is_an_error_in_every_mode(repo: GitRepo) -> None:
    _base(repo)
    repo.write("r.yaml", route("missing") + PADDING)
    code, report, _ = check(repo)
    assert code == 1 and _policies(report) == [("manifest-parse-error", "error", "r.yaml")]
    assert "over the 2000-byte limit" in findings(report)[0]["message"]
    repo.git("add", "-A")
    assert check(repo, "--staged")[0] == 1
    repo.commit("pad a bad route")
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and _policies(report) == [("manifest-parse-error", "error", "r.yaml")]


def test_padding_before_the_route_too(repo: GitRepo) -> None:
    _base(repo)
    repo.commit("pad first", {"r.yaml": PADDING * 30 + route("missing")})
    assert check(repo, "HEAD")[0] == 1
    repo.commit("fixed", {"r.yaml": route("web")})
    repo.commit("empty documents first", {"r.yaml": "---\n# nothing\n---\n" + route("missing") + PADDING})
    assert check(repo, "HEAD")[0] == 1
    repo.commit("fixed again", {"r.yaml": route("web")})
    (repo.path / "r.yaml").write_bytes((route("missing") + PADDING).encode("utf-16"))
    repo.commit("utf-16")
    assert check(repo, "HEAD")[0] == 1


def test_oversized_data_is_a_warning_naming_its_size(repo: GitRepo) -> None:
    _base(repo)
    dump = "items:\n" + "  - value\n" * 400
    repo.commit("dump", {"data/dump.yaml": dump, "data/other.yaml": '{"a": [' + "1," * 1500 + "1]}"})
    code, report, _ = check(repo, "HEAD")
    assert code == 0
    assert sorted(_policies(report)) == [("manifest-skipped", "warning", "data/dump.yaml"),
                                         ("manifest-skipped", "warning", "data/other.yaml")]
    assert f"file is {len(dump)} bytes" in findings(report)[0]["message"]


def test_each_edit_of_an_oversized_manifest_is_judged(repo: GitRepo) -> None:
    _base(repo)
    repo.commit("pad", {"r.yaml": route("web") + PADDING})
    repo.commit("untouched", {"notes.txt": "hello"})
    assert check(repo, "HEAD")[0] == 0  # the error is pre-existing: this commit did not make it
    repo.commit("retarget inside the padded file", {"r.yaml": route("missing") + PADDING})
    assert check(repo, "HEAD")[0] == 1
    repo.commit("shrink below the limit", {"r.yaml": route("web")})
    assert check(repo, "HEAD")[0] == 0


def test_a_raised_limit_reads_the_file(repo: GitRepo) -> None:
    repo.commit("base", {"svc.yaml": SERVICE})
    big = route("missing") + "#" + "x" * (6 << 20) + "\n"  # over the default limit, under the configured one
    repo.write(".policycheck.yaml", "maxFileBytes: 8000000\n")
    repo.write("r.yaml", big)
    code, report, _ = check(repo)
    assert code == 1 and [f["policy"] for f in findings(report)] == ["parent-exists"]


def test_oversized_content_is_read_by_its_head(repo: GitRepo) -> None:
    """Past the limit only the first bytes are kept, from a working-tree file as from a blob;
    a working-tree file's id is still its whole content's."""
    data = b"apiVersion: v1\nkind: ConfigMap\n" + b"#" * (3 * HEAD_BYTES)
    path = repo.write("big.yaml", "")
    path.write_bytes(data)
    repo.git("add", "big.yaml")
    oid = repo.git("rev-parse", ":big.yaml").strip()
    held = read_file(path, cap=1000)
    assert isinstance(held, Oversized) and held.size == len(data) and len(held) == HEAD_BYTES and held.oid == oid
    assert held.whole() == data
    source = GitSource(str(repo.path))
    assert source.blob_id(held) == oid
    blob = source.read_blob(oid, 1000)
    assert isinstance(blob, Oversized) and blob.size == len(data) and bytes(blob) == data[:HEAD_BYTES]
    with BlobStream(str(source.repo.git_dir), [oid, oid], limit=1000) as stream:
        streamed = stream.get(oid)
        assert isinstance(streamed, Oversized) and streamed.size == len(data)
    assert source.read_blob(oid) == data


def test_padded_json_manifest(repo: GitRepo) -> None:
    _base(repo)
    padded = '{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "x": "' + "y" * 3000 + '"}\n'
    repo.commit("json", {"j.yaml": padded})
    code, report, _ = check(repo, "HEAD")
    assert code == 1 and _policies(report) == [("manifest-parse-error", "error", "j.yaml")]
