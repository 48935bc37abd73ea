import asyncio

import pytest

from dtaas.digital_twins import RequestError, find_dt, resolve_parameters
from dtaas.runs.manager import RunManager
from dtaas.runs.store import RunStore
from tests.dts import write_dt
from tests.msd import final_positions


def run(manager, dt, step, parameters):
    return run_request(manager, {"dt": dt, "step": step, "parameters": parameters})


def run_request(manager, request):
    async def go():
        record = manager.submit(request)
        await manager.wait()
        return manager.store.get(record.id)

    return asyncio.run(go())


def test_finds_common_dt_through_the_link_and_private_first(workspace):
    dt = find_dt(workspace, "mass-spring-damper")
    assert dt.scope == "common" and "execute" in dt.steps
    write_dt(workspace, "mass-spring-damper", ["1"])
    assert find_dt(workspace, "mass-spring-damper").scope == "private"
    assert find_dt(workspace, "mass-spring-damper", "common").scope == "common"


@pytest.mark.parametrize(
    ("name", "status", "field"),
    [("nope", 404, "dt"), ("../etc", 400, "dt"), ("a/b", 400, "dt"), (7, 400, "dt")],
)
def test_unknown_or_bad_dt_names_are_refused(workspace, name, status, field):
    with pytest.raises(RequestError) as e:
        find_dt(workspace, name)
    assert e.value.status == status and field in e.value.fields


def test_parameters_get_defaults_and_every_problem_names_its_parameter(workspace):
    dt = find_dt(workspace, "mass-spring-damper")
    params = resolve_parameters(dt, {"m1": 2.5})
    assert params["m1"] == 2.5 and params["k1"] == 10.0
    with pytest.raises(RequestError) as e:
        resolve_parameters(dt, {"m1": "heavy", "k2": -1, "colour": "red"})
    names = {err["parameter"] for err in e.value.fields["errors"]}
    assert names == {"m1", "k2", "colour"}
    assert all(err["pointer"] == "/" + err["parameter"] for err in e.value.fields["errors"])


def test_example_execute_records_final_positions_matching_odeint(workspace):
    manager = RunManager(workspace)
    record = run(manager, "mass-spring-damper", "execute", {"m1": 2.0, "c2": 0.4})
    assert record.status == "succeeded", record.error
    x1, x2 = final_positions(record.parameters)
    assert record.recorded["x1"] == pytest.approx(x1, abs=1e-6)
    assert record.recorded["x2"] == pytest.approx(x2, abs=1e-6)
    folder = workspace / record.dir
    assert (workspace / record.to_dict()["notebook"]).is_file()
    assert (folder / "outputs" / "trajectory.csv").read_text().startswith("t,x1,v1,x2,v2")
    assert (folder / "outputs" / "trajectory.png").stat().st_size > 1000
    assert "integrated 1001 samples" in (folder / "run.log").read_text()


def test_failing_cell_fails_the_run_with_cell_and_traceback(workspace):
    write_dt(workspace, "broken", ["x = 1", "raise RuntimeError('valve stuck')"])
    record = run(RunManager(workspace), "broken", "execute", {})
    assert record.status == "failed" and record.cell == 1
    assert "cell 1" in record.error and "valve stuck" in record.error
    assert "RuntimeError" in record.traceback and "\x1b[" not in record.traceback
    assert record.finished is not None


def test_missing_step_is_refused_before_anything_is_written(workspace):
    manager = RunManager(workspace)
    with pytest.raises(RequestError) as e:
        manager.submit({"dt": "mass-spring-damper", "step": "calibrate"})
    assert e.value.status == 400 and e.value.fields["step"] == "calibrate"
    with pytest.raises(RequestError):
        manager.submit({"dt": "mass-spring-damper", "parameters": {"n_points": 1.5}})
    assert list((workspace / "runs").iterdir()) == []


def test_runs_left_running_by_a_dead_process_become_interrupted(workspace):
    manager = RunManager(workspace)
    record = run(manager, "mass-spring-damper", "create", {})
    record.status = "running"
    manager.store.save(record)
    RunManager(workspace).recover()
    again = RunStore(workspace).get(record.id)
    assert again.status == "failed" and again.error == "interrupted"


def test_recorded_values_never_carry_nan():
    import numpy as np

    from dtaas.record import _plain

    assert _plain(np.array([1.0, np.nan, np.inf])) == [1.0, None, None]
    assert _plain({"a": np.float64("nan"), "b": [np.array([np.inf])]}) == {"a": None, "b": [[None]]}
