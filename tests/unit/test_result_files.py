"""Shared results read from a workspace its user controls: no link followed, nothing
outside the run's folder or the snapshot's manifest; blobs received only when they match."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from asset_library.results.store import ResultError, load
from dtaas.snapshots.blobs import BlobMismatch, BlobStore

RID = "20260101T000000000-abcdef"


def make_run(users: Path, owner: str = "alice", dt: str = "msd", rid: str = RID) -> Path:
    folder = users / owner / "runs" / dt / rid
    (folder / "outputs" / "sub").mkdir(parents=True)
    record = {"id": rid, "dt": dt, "scope": "common", "steps": ["execute"], "recorded": {"x": 1}}
    (folder / "run.json").write_text(json.dumps(record))
    (folder / "execute.ipynb").write_text("{}")
    (folder / "run.log").write_text("done\n")
    (folder / "control.json").write_text("{}")
    (folder / "outputs" / "a.csv").write_text("t,x\n0,1\n")
    (folder / "outputs" / "sub" / "b.png").write_bytes(b"\x89PNG")
    return folder


def test_a_run_lists_and_opens_only_its_own_regular_files(tmp_path):
    users = tmp_path / "users"
    folder = make_run(users)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    os.symlink(secret, folder / "outputs" / "leak")
    os.symlink(tmp_path, folder / "outputs" / "up")
    os.mkfifo(folder / "outputs" / "fifo")
    for name in (b"bad\xff.ipynb", b"outputs/bad\xff.csv"):
        with open(os.fsencode(folder) + b"/" + name, "wb") as f:
            f.write(b"not UTF-8 named")
    found = load(users, "runs", "alice", "msd", RID)
    assert found is not None and found.record["recorded"] == {"x": 1}
    assert [f["path"] for f in found.files] == [
        "outputs/a.csv",
        "outputs/sub/b.png",
        "execute.ipynb",
        "run.log",
    ]
    assert found.notebooks == ["execute"]
    with found.open_file("outputs/sub/b.png") as f:
        assert f.read() == b"\x89PNG"
    for path, status in (
        ("outputs/leak", 403),
        ("outputs/up/secret.txt", 403),
        ("outputs/fifo", 404),
        ("../../../secret.txt", 400),
        ("outputs/../run.json", 400),
        ("/etc/passwd", 400),
        ("run.json", 404),
        ("control.json", 404),
        ("outputs", 404),
    ):
        with pytest.raises(ResultError) as e:
            found.open_file(path)
        assert e.value.status == status, path


def test_a_run_reached_through_a_link_or_naming_another_folder_is_none(tmp_path):
    users = tmp_path / "users"
    make_run(users, owner="bob")
    (users / "alice").mkdir()
    os.symlink(users / "bob" / "runs", users / "alice" / "runs")
    assert load(users, "runs", "alice", "msd", RID) is None
    other = make_run(users, owner="carol", rid="20260101T000000000-aaaaaa")
    (other / "run.json").write_text(json.dumps({"id": RID, "dt": "msd"}))
    assert load(users, "runs", "carol", "msd", "20260101T000000000-aaaaaa") is None
    assert load(users, "runs", "..", "msd", RID) is None
    assert load(users, "other", "bob", "msd", RID) is None
    assert load(users, "runs", "bob", "msd", RID) is not None


def test_a_snapshot_serves_the_blobs_of_its_manifest_only(tmp_path):
    users = tmp_path / "users"
    blobs = BlobStore(users / "alice" / "snapshots" / ".blobs")
    held, _ = blobs.put_bytes(b"state bytes")
    other, _ = blobs.put_bytes(b"another snapshot's")
    folder = users / "alice" / "snapshots" / "msd" / RID
    folder.mkdir(parents=True)
    record = {
        "id": RID,
        "dt": "msd",
        "files": [{"path": "state/model.json", "size": 11, "sha256": held}],
        "variables": [],
    }
    (folder / "snapshot.json").write_text(json.dumps(record))
    found = load(users, "snapshots", "alice", "msd", RID)
    assert [f["path"] for f in found.files] == ["state/model.json"]
    with found.open_file("state/model.json") as f:
        assert f.read() == b"state bytes"
    with found.open_blob(held) as f:
        assert f.read() == b"state bytes"
    for sha, status in ((other, 404), ("x" * 64, 400)):
        with pytest.raises(ResultError) as e:
            found.open_blob(sha)
        assert e.value.status == status
    blobs.path(held).unlink()
    os.symlink(blobs.path(other), blobs.path(held))
    with pytest.raises(ResultError) as e:
        found.open_blob(held)
    assert e.value.status == 404


def test_a_received_blob_is_kept_only_when_it_matches(tmp_path):
    blobs = BlobStore(tmp_path / ".blobs")
    data = b"x" * 1000
    sha = hashlib.sha256(data).hexdigest()
    for chunks in ([data[:10], b"y" * 990], [data, b"more"], [data[:999]]):
        incoming = blobs.receive(sha, len(data))
        for chunk in chunks:
            incoming.write(chunk)
        with pytest.raises(BlobMismatch):
            incoming.commit()
        assert not blobs.has(sha)
    incoming = blobs.receive(sha, len(data))
    incoming.write(data[:500])
    incoming.write(data[500:])
    incoming.commit()
    assert blobs.read(sha) == data
    assert [p.name for p in (tmp_path / ".blobs" / sha[:2]).iterdir()] == [sha]
