"""Runs of several steps, cancelled, timed out, killed, crowded; named configurations."""

import asyncio

import nbformat
import pytest
import yaml

from dtaas.configs import ConfigStore
from dtaas.digital_twins import RequestError, find_dt
from dtaas.runs.manager import RunManager
from dtaas.runs.model import TERMINAL
from dtaas.runs.store import RunStore
from tests.dts import write_dt
from tests.msd import final_positions
from tests.unit.test_runs import run_request


async def wait_status(manager, run_id, statuses, timeout=60):
    for _ in range(int(timeout / 0.05)):
        record = manager.store.get(run_id)
        if record.status in statuses:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} stayed {record.status}")


def test_steps_run_in_order_sharing_outputs_and_recording_progress(workspace):
    record = run_request(
        RunManager(workspace),
        {"dt": "mass-spring-damper", "steps": ["create", "execute", "analyze"]},
    )
    assert record.status == "succeeded", record.error
    assert [r.step for r in record.step_results] == ["create", "execute", "analyze"]
    assert all(r.status == "succeeded" for r in record.step_results)
    execute = record.step_results[1]
    source = workspace / "common/digital_twins/mass-spring-damper/lifecycle/execute.ipynb"
    code = [c for c in nbformat.read(source, as_version=4).cells if c.cell_type == "code"]
    # every code cell of the notebook, and the one papermill injects
    assert execute.cells_done == execute.cells_total == len(code) + 1
    assert record.progress.step_index == 3 and record.progress.steps_total == 3
    outputs = workspace / record.dir / "outputs"
    assert {p.name for p in outputs.iterdir()} >= {"model.json", "trajectory.csv"}
    assert {"x1", "x2", "frequencies_hz", "stiffness_matrix"} <= set(record.recorded)
    data = record.to_dict()
    assert data["notebooks"] == [r.notebook for r in record.step_results]
    assert data["duration_s"] > 0
    assert record.environment["packages"]["papermill"] and record.environment["python"]
    assert record.dt_hash.startswith("sha256:") and len(record.dt_hash) == 71


def test_a_failed_step_skips_the_rest(workspace):
    folder = write_dt(workspace, "twostep", ["raise ValueError('bad input')"])
    manifest = yaml.safe_load((folder / "dt.yaml").read_text())
    manifest["lifecycle"]["analyze"] = {"notebook": "lifecycle/execute.ipynb"}
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    record = run_request(RunManager(workspace), {"dt": "twostep", "steps": ["execute", "analyze"]})
    assert record.status == "failed" and record.error.startswith("step execute:")
    assert [r.status for r in record.step_results] == ["failed", "skipped"]


def test_cancel_stops_the_kernel_and_marks_cancelled(workspace):
    write_dt(workspace, "slow", ["print('tick', flush=True)", "import time\ntime.sleep(120)"])

    async def go():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "slow"})
        await wait_status(manager, record.id, {"running"})
        for _ in range(200):  # until the sleeping cell has started
            if "tick" in manager.store.read_log(record)[0]:
                break
            await asyncio.sleep(0.05)
        manager.cancel(record.id)
        await manager.wait()
        return manager.store.get(record.id), manager

    record, manager = asyncio.run(go())
    assert record.status == "cancelled" and record.step_results[0].status == "cancelled"
    assert record.to_dict()["duration_s"] < 60
    with pytest.raises(RequestError) as e:
        manager.cancel(record.id)
    assert e.value.status == 409


def test_step_timeout_fails_the_run(workspace):
    write_dt(workspace, "sleepy", ["import time\ntime.sleep(120)"])
    record = run_request(RunManager(workspace), {"dt": "sleepy", "timeout": 3})
    assert record.status == "failed"
    assert "timed out after 3 s" in record.error


def test_a_killed_kernel_fails_the_run(workspace):
    write_dt(workspace, "suicide", ["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"])
    record = run_request(RunManager(workspace), {"dt": "suicide"})
    assert record.status == "failed"
    assert "kernel died" in record.error.lower() or "dead" in record.error.lower()


def test_a_killed_kernel_names_the_cell_that_ran(workspace):
    write_dt(
        workspace,
        "suicide2",
        ["x = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "y = 2"],
    )
    record = run_request(RunManager(workspace), {"dt": "suicide2"})
    assert record.status == "failed"
    # cell is the notebook's cell index, as for a cell that raised; the message counts code cells
    assert record.cell == 1 and record.step_results[0].cell == 1
    assert "code cell 2 (import os, signal)" in record.error
    assert "code cell 2" in record.step_results[0].error


def test_a_timed_out_step_names_the_cell_that_ran(workspace):
    write_dt(workspace, "sleepy2", ["x = 1", "import time\ntime.sleep(120)"])
    record = run_request(RunManager(workspace), {"dt": "sleepy2", "timeout": 3})
    assert record.status == "failed" and record.cell == 1
    assert "timed out after 3 s in code cell 2 (import time)" in record.error


def test_a_dt_without_lifecycle_names_the_manifest_problem(workspace):
    folder = workspace / "digital_twins" / "idle"
    folder.mkdir(parents=True)
    (folder / "dt.yaml").write_text("name: idle\n")
    with pytest.raises(RequestError) as e:
        RunManager(workspace).submit({"dt": "idle"})
    assert e.value.status == 400 and e.value.fields["field"] == "lifecycle"
    assert e.value.message == "digital twin 'idle' declares no lifecycle steps in dt.yaml"
    assert list((workspace / "runs").iterdir()) == []


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_timeouts_are_refused(workspace, timeout):
    with pytest.raises(RequestError) as e:
        RunManager(workspace).submit({"dt": "mass-spring-damper", "timeout": timeout})
    assert e.value.status == 400 and e.value.fields["field"] == "timeout"
    assert list((workspace / "runs").iterdir()) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1.0, float("-inf")]])
def test_non_finite_parameters_are_refused(workspace, value):
    write_dt(workspace, "free", ["x = 1"], {"type": "object"})
    with pytest.raises(RequestError) as e:
        RunManager(workspace).submit({"dt": "free", "parameters": {"m1": value}})
    assert e.value.status == 400
    assert [err["parameter"] for err in e.value.fields["errors"]] == ["m1"]
    assert list((workspace / "runs").iterdir()) == []


def test_non_finite_configurations_and_defaults_are_refused(workspace):
    folder = write_dt(
        workspace,
        "nanny",
        ["x = 1"],
        {"type": "object", "properties": {"k": {"type": "number", "default": 1.0}}},
    )
    (folder / "configs").mkdir()
    (folder / "configs" / "bad.yaml").write_text("k: .nan\n")
    (folder / "configs" / "good.yaml").write_text("k: 2.0\n")
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "nanny")
    assert [c.name for c in store.list(dt)] == ["good"]
    with pytest.raises(RequestError) as e:
        store.get(dt, "bad")
    assert e.value.status == 400 and e.value.fields["field"] == "k"
    with pytest.raises(RequestError) as e:
        RunManager(workspace).submit({"dt": "nanny", "config": "bad"})
    assert e.value.status == 400 and e.value.fields["config"] == "bad"
    with pytest.raises(RequestError) as e:
        store.put(dt, "worse", {"k": float("inf")})
    assert e.value.status == 400 and e.value.fields["errors"][0]["parameter"] == "k"
    assert not (folder / "configs" / "worse.yaml").exists()

    manifest = yaml.safe_load((folder / "dt.yaml").read_text())
    (folder / "dt.yaml").write_text(
        yaml.safe_dump(manifest).replace("default: 1.0", "default: .inf")
    )
    dt = find_dt(workspace, "nanny")
    for attempt in (
        lambda: RunManager(workspace).submit({"dt": "nanny"}),
        lambda: store.put(dt, "other", {}),
    ):
        with pytest.raises(RequestError) as e:
            attempt()
        assert e.value.status == 400
        assert e.value.fields["field"] == "parameters.properties.k.default"
    assert list((workspace / "runs").iterdir()) == []


def test_run_records_on_disk_are_strict_json(workspace):
    import json
    import math

    manager = RunManager(workspace)
    record = run_request(manager, {"dt": "mass-spring-damper", "step": "create"})
    record.recorded = {"x": math.nan, "y": [math.inf, 1.0]}
    manager.store.save(record)
    text = (workspace / record.dir / "run.json").read_text()

    def refuse(name):
        raise ValueError(f"{name} in run.json")

    data = json.loads(text, parse_constant=refuse)
    assert data["recorded"] == {"x": None, "y": [None, 1.0]}


def test_log_streams_cell_output(workspace):
    write_dt(workspace, "chatty", ["for i in range(3):\n    print('line', i)"])
    manager = RunManager(workspace)
    record = run_request(manager, {"dt": "chatty"})
    text, offset = manager.store.read_log(record)
    assert "line 0\nline 1\nline 2" in text
    more, same = manager.store.read_log(record, offset)
    assert more == "" and same == offset


def test_twenty_runs_at_once_all_end_with_consistent_records(workspace):
    write_dt(workspace, "quick", ["x = 1"])

    async def go():
        manager = RunManager(workspace, max_concurrent_runs=2)
        ids = [manager.submit({"dt": "quick"}).id for _ in range(20)]
        await manager.wait()
        return ids

    ids = asyncio.run(go())
    store = RunStore(workspace)
    records = [store.get(i) for i in ids]
    assert len(set(ids)) == 20
    assert all(r.status == "succeeded" for r in records)
    assert all(r.started and r.finished and r.started <= r.finished for r in records)
    assert all(r.step_results[0].status == "succeeded" for r in records)


def test_configurations_are_validated_stored_and_used(workspace):
    store = ConfigStore(workspace)
    dt = find_dt(workspace, "mass-spring-damper", "common")
    shipped = store.get(dt, "default")
    assert shipped.readonly and shipped.values["k1"] == 10.0
    with pytest.raises(RequestError) as e:
        store.put(dt, "heavy", {"m1": -5, "k9": 1})
    assert {err["parameter"] for err in e.value.fields["errors"]} == {"m1", "k9"}
    assert not (workspace / "configs").exists()
    for bad in ("../x", "a/b", "", "x.yaml"):
        with pytest.raises(RequestError) as e:
            store.put(dt, bad, {})
        assert e.value.fields["field"] == "name"
    store.put(dt, "heavy", {"m1": 5.0})
    assert (workspace / "configs" / "common" / "mass-spring-damper" / "heavy.yaml").is_file()
    assert [c.name for c in store.list(dt)] == ["default", "heavy"]
    with pytest.raises(RequestError) as e:
        store.delete(dt, "default")
    assert e.value.status == 403

    record = run_request(
        RunManager(workspace),
        {"dt": "mass-spring-damper", "config": "heavy", "parameters": {"k2": 12.0}},
    )
    assert record.status == "succeeded" and record.config == "heavy"
    assert record.parameters["m1"] == 5.0 and record.parameters["k2"] == 12.0
    x1, _ = final_positions(record.parameters)
    assert record.recorded["x1"] == pytest.approx(x1, abs=1e-6)
    store.delete(dt, "heavy")
    with pytest.raises(RequestError) as e:
        store.get(dt, "heavy")
    assert e.value.status == 404


def test_private_dt_configs_live_in_the_dt(workspace):
    folder = write_dt(
        workspace, "own", ["x = 1"], {"type": "object", "properties": {"a": {"type": "integer"}}}
    )
    dt = find_dt(workspace, "own")
    ConfigStore(workspace).put(dt, "c1", {"a": 3})
    assert yaml.safe_load((folder / "configs" / "c1.yaml").read_text()) == {"a": 3}


def test_unknown_profile_and_bad_timeout_are_refused_before_writing(workspace):
    manager = RunManager(workspace)
    for request, field in (
        ({"dt": "mass-spring-damper", "profile": "huge"}, "profile"),
        ({"dt": "mass-spring-damper", "timeout": -1}, "timeout"),
        ({"dt": "mass-spring-damper", "steps": []}, "steps"),
        ({"dt": "mass-spring-damper", "steps": ["execute", "execute"]}, "steps"),
        ({"dt": "mass-spring-damper", "config": "nope"}, "config"),
    ):
        with pytest.raises(RequestError) as e:
            manager.submit(request)
        assert field in e.value.fields or e.value.fields.get("field") == field, request
    assert list((workspace / "runs").iterdir()) == []


def test_terminal_states_are_the_documented_ones():
    assert {"succeeded", "failed", "cancelled"} == TERMINAL


def test_recovery_leaves_runs_of_the_users_other_servers_alone(workspace):
    manager = RunManager(workspace)
    record = run_request(manager, {"dt": "mass-spring-damper", "step": "create"})
    for owner in ("", "run-abc"):
        record.status, record.owner = "running", owner
        manager.store.save(record)
        RunManager(workspace, server_name="run-other").recover()
        assert RunStore(workspace).get(record.id).status == "running"
    RunManager(workspace, server_name="run-abc").recover()
    assert RunStore(workspace).get(record.id).error == "interrupted"


def test_parameters_reach_a_notebook_that_does_not_name_its_language(workspace):
    schema = {"type": "object", "properties": {"gain": {"type": "number", "default": 1}}}
    folder = write_dt(workspace, "bare", ["import dtaas\ndtaas.record('gain', gain)"], schema)
    path = folder / "lifecycle" / "execute.ipynb"
    nb = nbformat.read(path, as_version=4)
    # written by hand or by a tool: no language anywhere in the metadata
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    nbformat.write(nb, path)
    record = run_request(RunManager(workspace), {"dt": "bare", "parameters": {"gain": 7}})
    assert record.status == "succeeded", record.error
    assert record.recorded["gain"] == 7
