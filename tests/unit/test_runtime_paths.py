"""Every path the runtime reads or writes stays inside its root, links or not."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import pytest

from dtaas.configs import ConfigStore
from dtaas.digital_twins import RequestError, find_dt
from dtaas.runs.manager import LogStream
from dtaas.runs.model import RunRecord
from dtaas.runs.remote import RemoteRunner
from dtaas.runs.store import RunStore
from spawner.workspace import lay_out_workspace
from tests.dts import write_dt

SECRET = "bob's secret log line\n"


@pytest.fixture
def bob(workspace: Path) -> Path:
    """Bob's workspace beside alice's, with one run and one configuration."""
    home = lay_out_workspace(workspace.parent, "bob", workspace.parent.parent / "common")
    folder = home / "runs" / "private-dt" / "20240101T000000000-bbbbbb"
    folder.mkdir(parents=True)
    record = RunRecord(
        id=folder.name, dt="private-dt", scope="private", steps=["execute"], parameters={}
    )
    record.dir = f"runs/private-dt/{folder.name}"
    (folder / "run.json").write_text(json.dumps(record.to_dict()))
    (folder / "run.log").write_text(SECRET)
    dt = write_dt(home, "private-dt", ["x = 1"])
    (dt / "configs").mkdir()
    (dt / "configs" / "secret.yaml").write_text("k1: 42\n")
    (home / "configs" / "common" / "mass-spring-damper").mkdir(parents=True)
    (home / "configs" / "common" / "mass-spring-damper" / "bobs.yaml").write_text("k1: 7.0\n")
    return home


def own_run(store: RunStore, run_id: str = "20240102T000000000-aaaaaa") -> RunRecord:
    record = RunRecord(id=run_id, dt="mine", scope="private", steps=["execute"], parameters={})
    store.create(record)
    return record


# --- runs -----------------------------------------------------------------------------


def test_a_linked_dt_folder_under_runs_is_invisible(workspace, bob):
    (workspace / "runs" / "private-dt").symlink_to(bob / "runs" / "private-dt")
    store = RunStore(workspace)
    assert store.all() == []
    assert store.all("private-dt") == []
    assert store.get("20240101T000000000-bbbbbb") is None


def test_a_linked_run_folder_is_invisible(workspace, bob):
    (workspace / "runs" / "private-dt").mkdir()
    (workspace / "runs" / "private-dt" / "20240101T000000000-bbbbbb").symlink_to(
        bob / "runs" / "private-dt" / "20240101T000000000-bbbbbb"
    )
    store = RunStore(workspace)
    assert store.all() == []
    assert store.get("20240101T000000000-bbbbbb") is None


def test_a_linked_runs_folder_is_invisible(tmp_path, bob):
    home = lay_out_workspace(tmp_path / "other", "carol", tmp_path / "common2")
    (home / "runs").rmdir()
    (home / "runs").symlink_to(bob / "runs")
    store = RunStore(home)
    assert store.all() == [] and store.get("20240101T000000000-bbbbbb") is None
    with pytest.raises(RequestError) as e:
        own_run(store)
    assert 400 <= e.value.status < 500
    assert not (bob / "runs" / "mine").exists()


def test_a_linked_run_log_is_refused_and_never_written(workspace, bob):
    store = RunStore(workspace)
    record = own_run(store)
    log = workspace / record.dir / "run.log"
    log.unlink(missing_ok=True)
    bobs_log = bob / "runs" / "private-dt" / "20240101T000000000-bbbbbb" / "run.log"
    log.symlink_to(bobs_log)
    with pytest.raises(RequestError) as e:
        store.read_log(record)
    assert e.value.status == 403 and e.value.fields["path"] == f"{record.dir}/run.log"
    with pytest.raises(RequestError):
        store.log_size(record)
    with pytest.raises((OSError, RequestError)):
        store.log(record, "appended through the link")
    with pytest.raises(OSError):  # a link put there after the path was checked
        LogStream(log)
    assert bobs_log.read_text() == SECRET


def test_a_linked_run_json_is_skipped_and_never_written(workspace, bob):
    store = RunStore(workspace)
    record = own_run(store)
    run_json = workspace / record.dir / "run.json"
    run_json.unlink()
    bobs = bob / "runs" / "private-dt" / "20240101T000000000-bbbbbb" / "run.json"
    before = bobs.read_text()
    run_json.symlink_to(bobs)
    assert store.get(record.id) is None and store.all() == []
    with pytest.raises(RequestError):
        store.save(record)
    assert bobs.read_text() == before


def test_a_record_must_name_the_folder_it_was_found_in(workspace):
    store = RunStore(workspace)
    real = own_run(store, "20240102T000000000-aaaaaa")
    store.log(real, "the real log")
    # a copy of the record under another id claims the first run's id
    fake = workspace / "runs" / "mine" / "20240103T000000000-cccccc"
    fake.mkdir()
    (fake / "run.json").write_text(json.dumps(real.to_dict()))
    (fake / "run.log").write_text("a forged log\n")
    assert store.get("20240103T000000000-cccccc") is None
    assert [r.id for r in store.all()] == [real.id]
    # and one under another DT's folder claims its DT
    other = workspace / "runs" / "other" / real.id
    other.mkdir(parents=True)
    (other / "run.json").write_text(json.dumps(real.to_dict()))
    assert [r.id for r in store.all()] == [real.id]
    assert store.all("other") == []
    found = store.get(real.id)
    assert found.dt == "mine" and found.dir == real.dir
    assert "the real log" in store.read_log(found)[0]


def test_the_log_is_read_from_the_folder_the_record_was_found_in(workspace):
    store = RunStore(workspace)
    record = own_run(store)
    store.log(record, "line one")
    found = store.get(record.id)
    text, _ = store.read_log(found)
    assert "line one" in text and found.dir == f"runs/mine/{record.id}"


def test_records_with_bad_names_in_them_are_skipped(workspace):
    store = RunStore(workspace)
    record = own_run(store)
    data = json.loads((workspace / record.dir / "run.json").read_text())
    data["dt"] = "../../../bob/runs/private-dt"
    (workspace / record.dir / "run.json").write_text(json.dumps(data))
    assert store.get(record.id) is None and store.all() == []


# --- configurations -------------------------------------------------------------------


def test_linked_config_folders_of_a_common_dt_are_invisible(workspace, bob):
    (workspace / "configs" / "common").mkdir(parents=True)
    (workspace / "configs" / "common" / "mass-spring-damper").symlink_to(
        bob / "configs" / "common" / "mass-spring-damper"
    )
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "mass-spring-damper", "common")
    assert [c.name for c in store.list(dt)] == ["default"]
    with pytest.raises(RequestError) as e:
        store.get(dt, "bobs")
    assert e.value.status == 403
    with pytest.raises(RequestError) as e:
        store.put(dt, "new", {"k1": 1.0})
    assert e.value.status == 403
    assert not (bob / "configs" / "common" / "mass-spring-damper" / "new.yaml").exists()


def test_a_linked_configs_folder_of_the_workspace_is_refused(workspace, bob):
    (workspace / "configs").symlink_to(bob / "configs")
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "mass-spring-damper", "common")
    assert [c.name for c in store.list(dt)] == ["default"]
    with pytest.raises(RequestError) as e:
        store.put(dt, "new", {"k1": 1.0})
    assert e.value.status == 403
    assert not (bob / "configs" / "common" / "mass-spring-damper" / "new.yaml").exists()


def test_linked_config_files_of_a_private_dt_are_invisible(workspace, bob):
    folder = write_dt(workspace, "own", ["x = 1"], {"type": "object"})
    (folder / "configs").mkdir()
    (folder / "configs" / "mine.yaml").write_text("a: 1\n")
    (folder / "configs" / "stolen.yaml").symlink_to(
        bob / "digital_twins" / "private-dt" / "configs" / "secret.yaml"
    )
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "own")
    assert [c.name for c in store.list(dt)] == ["mine"]
    with pytest.raises(RequestError) as e:
        store.get(dt, "stolen")
    assert e.value.status == 403 and e.value.fields["config"] == "stolen"
    with pytest.raises(RequestError) as e:
        store.put(dt, "stolen", {"a": 2})
    assert e.value.status == 403
    with pytest.raises(RequestError) as e:
        store.delete(dt, "stolen")
    assert e.value.status == 403
    secret = bob / "digital_twins" / "private-dt" / "configs" / "secret.yaml"
    assert secret.read_text() == "k1: 42\n"


def test_a_linked_configs_folder_of_a_private_dt_is_invisible(workspace, bob):
    folder = write_dt(workspace, "own", ["x = 1"], {"type": "object"})
    (folder / "configs").symlink_to(bob / "digital_twins" / "private-dt" / "configs")
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "own")
    assert store.list(dt) == []
    with pytest.raises(RequestError) as e:
        store.get(dt, "secret")
    assert e.value.status == 403


# --- digital twins --------------------------------------------------------------------


def test_a_linked_dt_yaml_is_not_a_digital_twin(workspace, bob):
    folder = workspace / "digital_twins" / "borrowed"
    folder.mkdir(parents=True)
    (folder / "dt.yaml").symlink_to(bob / "digital_twins" / "private-dt" / "dt.yaml")
    with pytest.raises(RequestError) as e:
        find_dt(workspace, "borrowed")
    assert e.value.status == 404


def test_the_content_hash_never_reads_through_links(workspace, bob):
    folder = write_dt(workspace, "own", ["x = 1"])
    dt = find_dt(workspace, "own")
    before = dt.content_hash()
    (folder / "stolen.log").symlink_to(
        bob / "runs" / "private-dt" / "20240101T000000000-bbbbbb" / "run.log"
    )
    fifo = folder / "pipe"
    os.mkfifo(fifo)  # reading it would block forever
    assert dt.content_hash() == before


# --- runs on a provisioned server -----------------------------------------------------


def test_gathered_files_stay_in_the_run_folder(workspace, monkeypatch):
    store = RunStore(workspace)
    record = own_run(store)
    folder = store.folder(record)
    remote_dir = "runs/mine/20240102T000000000-dddddd"
    listing = {
        remote_dir: [
            {"path": f"{remote_dir}/execute.ipynb", "type": "file"},
            {"path": f"{remote_dir}/../../../escape.txt", "type": "file"},
            {"path": "runs/elsewhere/x.txt", "type": "file"},
            {"path": f"{remote_dir}/outputs", "type": "directory"},
        ],
        f"{remote_dir}/outputs": [{"path": f"{remote_dir}/outputs/a.csv", "type": "file"}],
    }

    async def fake_fetch(method, url, body=None, raw=False):
        path = url.split("api/contents/", 1)[1].split("?", 1)[0]
        from urllib.parse import unquote

        path = unquote(path)
        if "type=file" in url:
            return {"content": base64.b64encode(path.encode()).decode()}
        return {"content": listing[path]}

    runner = RemoteRunner()
    monkeypatch.setattr(runner, "_fetch", fake_fetch)
    asyncio.run(runner._gather("http://server/", remote_dir, folder))
    assert (folder / "execute.ipynb").is_file()
    assert (folder / "outputs" / "a.csv").is_file()
    assert not (workspace / "escape.txt").exists()
    assert not (workspace / "runs" / "escape.txt").exists()
    assert not list(workspace.rglob("x.txt"))


def test_adopted_notebook_paths_stay_in_the_run_folder(workspace):
    store = RunStore(workspace)
    record = own_run(store)
    remote = {
        "dir": "runs/mine/R",
        "status": "succeeded",
        "step_results": [
            {"step": "execute", "notebook": "runs/mine/R/execute.ipynb"},
            {"step": "analyze", "notebook": "../bob/x.ipynb"},
            {"step": "clean", "notebook": "runs/mine/R/../../../../bob/x.ipynb"},
        ],
    }
    RemoteRunner()._adopt(record, remote)
    notebooks = [r.notebook for r in record.step_results]
    assert notebooks == [f"{record.dir}/execute.ipynb", "", ""]
