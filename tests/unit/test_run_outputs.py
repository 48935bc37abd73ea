"""A run's outputs: listed in path order, links followed inside the run folder only,
zipped from disk without following a link, refused past the size limit."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from pathlib import Path

import pytest

from dtaas.digital_twins import RequestError
from dtaas.runs.manager import RunManager
from dtaas.runs.model import RunRecord, StepResult
from dtaas.runs.outputs import ArchiveTooLarge, classify, write_zip

RUN_ID = "20240102T000000000-aaaaaa"


@pytest.fixture
def manager(workspace: Path) -> RunManager:
    # made in a loop: the manager holds an asyncio semaphore
    return asyncio.run(_manager(workspace))


async def _manager(workspace: Path) -> RunManager:
    return RunManager(workspace)


@pytest.fixture
def record(manager: RunManager) -> RunRecord:
    record = RunRecord(id=RUN_ID, dt="mine", scope="private", steps=["execute"], parameters={})
    manager.store.create(record)
    record.step_results = [
        StepResult(step="execute", notebook=f"{record.dir}/execute.ipynb", started="x")
    ]
    folder = manager.store.folder(record)
    (folder / "execute.ipynb").write_text("{}")
    (folder / "run.log").write_text("log\n")
    return record


def outputs(manager: RunManager, record: RunRecord) -> Path:
    return manager.store.folder(record) / "outputs"


def test_files_come_in_path_order_whatever_the_folders(manager, record):
    out = outputs(manager, record)
    for name in ("a/x", "a-b", "a0", "b/c/d", "b.txt"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    files, more = manager.store.outputs(record)
    paths = [f.path for f in files]
    assert paths == sorted(paths) == ["a-b", "a/x", "a0", "b.txt", "b/c/d"] and not more
    files, more = manager.store.outputs(record, limit=2)
    assert [f.path for f in files] == ["a-b", "a/x"] and more
    assert manager.store.outputs(record, limit=5)[1] is False


def test_links_are_followed_inside_the_run_folder_only(manager, record, workspace):
    out = outputs(manager, record)
    (workspace / "secret.txt").write_text("not the run's")
    (out / "real.txt").write_text("mine")
    (out / "out").symlink_to(workspace / "secret.txt")
    (out / "out-dir").symlink_to(workspace)
    (out / "in").symlink_to("../run.log")
    (out / "loop").symlink_to(".")
    (out / "dangling").symlink_to("nowhere")
    os.mkfifo(out / "fifo")
    files, _ = manager.store.outputs(record)
    assert [f.path for f in files] == ["in", "real.txt"]
    members = [m.path for m in manager.store.archive_members(record)]
    assert members == ["outputs/in", "outputs/real.txt", "execute.ipynb", "run.log"]


def test_a_linked_outputs_folder_is_refused(manager, record, workspace):
    out = outputs(manager, record)
    out.rmdir()
    out.symlink_to(workspace)
    with pytest.raises(RequestError) as e:
        manager.store.outputs(record)
    assert e.value.status == 403 and e.value.fields["run"] == RUN_ID


def test_a_file_swapped_for_a_link_after_listing_is_not_zipped(manager, record, workspace):
    out = outputs(manager, record)
    (out / "a.txt").write_text("a")
    (out / "b.txt").write_text("b")
    (workspace / "secret.txt").write_text("secret")
    members = manager.store.archive_members(record)
    (out / "b.txt").unlink()
    (out / "b.txt").symlink_to(workspace / "secret.txt")
    buffer = io.BytesIO()
    assert write_zip(buffer, members, 1 << 20) == 3  # packed from the listing made before
    assert zipfile.ZipFile(buffer).namelist() == ["outputs/a.txt", "execute.ipynb", "run.log"]


def test_the_zip_is_refused_past_the_limit_or_when_it_grows_past_it(manager, record):
    out = outputs(manager, record)
    (out / "data.bin").write_bytes(b"x" * 1000)
    manager.max_outputs_zip_bytes = 999
    with pytest.raises(RequestError) as e:
        manager.outputs_zip(record)
    assert e.value.status == 413 and e.value.fields["run"] == RUN_ID
    assert e.value.fields["limit"] == 999 and "999 bytes" in e.value.message

    members = manager.store.archive_members(record)
    (out / "data.bin").write_bytes(b"x" * 2000)  # grew after it was listed
    with pytest.raises(ArchiveTooLarge):
        write_zip(io.BytesIO(), members, sum(m.size for m in members))


def test_the_zip_has_each_file_whole(manager, record):
    out = outputs(manager, record)
    data = os.urandom(3 << 20)  # more than one chunk
    (out / "big.bin").write_bytes(data)
    with manager.outputs_zip(record) as archive:
        zf = zipfile.ZipFile(io.BytesIO(archive.read()))
    assert zf.read("outputs/big.bin") == data and zf.read("run.log") == b"log\n"


@pytest.mark.parametrize(
    ("name", "kind", "mime"),
    [
        ("plot.PNG", "image", "image/png"),
        ("fig.svg", "image", "image/svg+xml"),
        ("t.csv", "csv", "text/csv"),
        ("report.ipynb", "notebook", "application/x-ipynb+json"),
        ("notes.md", "text", "text/markdown"),
        ("values.json", "text", "application/json"),
        ("run.log", "text", "text/plain"),
        ("state.npy", "other", "application/octet-stream"),
    ],
)
def test_kinds_by_name(name, kind, mime):
    assert classify(name) == (kind, mime)
