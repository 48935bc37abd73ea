"""Sweeps through the sweep manager with real warm kernels: results, isolation, failures, resume."""

import asyncio
import json

import nbformat
import pandas as pd
import pytest
import yaml

from dtaas.digital_twins import RequestError
from dtaas.runs.manager import RunManager
from dtaas.whatif.manager import SweepManager
from tests.msd import final_positions


def go(coro):
    return asyncio.run(coro)


def write_param_twin(workspace, name, cells, records=None):
    """A twin whose execute notebook has a papermill ``parameters`` cell (k = 1.0)."""
    folder = workspace / "digital_twins" / name
    (folder / "lifecycle").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell("k = 1.0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("import dtaas"), params]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest = {
        "title": name,
        "parameters": {
            "type": "object",
            "properties": {"k": {"type": "number", "minimum": 0, "maximum": 10, "default": 1}},
        },
        "lifecycle": {"execute": "lifecycle/execute.ipynb"},
        "records": records or {"y": {}},
    }
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))


def sweep(workspace, body):
    async def scenario():
        manager = SweepManager(RunManager(workspace))
        record = await manager.submit(body)
        await manager.wait()
        manager.shutdown()
        return manager, manager.get(record.id)

    return go(scenario())


def test_a_sweep_of_the_example_matches_an_independent_solution_of_each_scenario(workspace):
    manager, record = sweep(
        workspace,
        {
            "dt": "mass-spring-damper",
            "design": {"kind": "lhs", "n": 6, "seed": 3},
            "ranges": {"m1": [0.5, 2.0], "k2": [5, 30]},
            "parameters": {"n_points": 201},
            "objectives": ["min:x1", "max:x2"],
        },
    )
    assert record.status == "succeeded" and record.done == record.total == 6 and not record.failed
    rows = manager.ranked(record)
    assert len(rows) == 6
    for row in rows:
        x1, x2 = final_positions(row["parameters"])
        assert row["status"] == "succeeded", row["error"]
        assert row["recorded"]["x1"] == pytest.approx(x1, abs=1e-5)
        assert row["recorded"]["x2"] == pytest.approx(x2, abs=1e-5)
        assert row["parameters"]["n_points"] == 201 and 0.5 <= row["parameters"]["m1"] <= 2.0
    assert {r["rank"] for r in rows} >= {1}
    folder = workspace / record.dir
    table = pd.read_parquet(folder / "results.parquet")
    assert len(table) == 6 and len(pd.read_csv(folder / "results.csv")) == 6
    analysis = json.loads((folder / "analysis.json").read_text())
    assert set(analysis["front"]) == {r["scenario"] for r in rows if r["rank"] == 1}
    assert not list(folder.glob("notebooks/*"))  # none failed: none kept


def test_what_a_scenario_sets_is_never_seen_by_the_next_and_failures_are_kept(workspace):
    write_param_twin(
        workspace,
        "leaky",
        [
            "seen = 'leak' in globals()\nleak = k",
            "dtaas.record('y', k * 2)\ndtaas.record('seen', seen)",
            "assert k < 8, f'k is {k}'",
        ],
        records={"y": {}, "seen": {}},
    )
    manager, record = sweep(
        workspace,
        {
            "dt": "leaky",
            "design": {"kind": "grid", "n": 11, "levels": 11},
            "ranges": {"k": [0, 10]},
        },
    )
    rows = manager.ranked(record)
    assert record.status == "succeeded" and record.total == 11
    assert all(r["recorded"]["seen"] is False for r in rows)  # a fresh namespace each time
    assert [r["recorded"]["y"] for r in rows] == [2.0 * k for k in range(11)]
    failed = [r for r in rows if r["status"] == "failed"]
    assert [r["parameters"]["k"] for r in failed] == [8, 9, 10] and record.failed == 3
    assert "AssertionError: k is 8" in failed[0]["error"]
    kept = workspace / failed[0]["notebook"]
    nb = nbformat.read(kept, as_version=4)
    assert any(o.get("ename") == "AssertionError" for c in nb.cells for o in c.get("outputs", []))
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_a_sweep_that_died_goes_on_with_the_scenarios_it_had_not_finished(workspace, tmp_path):
    log = tmp_path / "ran.txt"
    write_param_twin(
        workspace, "counted", [f"open({str(log)!r}, 'a').write(f'{{k}}\\n')\ndtaas.record('y', k)"]
    )
    _, record = sweep(
        workspace,
        {"dt": "counted", "design": {"kind": "grid", "n": 6, "levels": 6}, "ranges": {"k": [0, 5]}},
    )
    folder = workspace / record.dir
    lines = (folder / "scenarios.jsonl").read_text().splitlines()
    # as if the server died after three scenarios, halfway through writing a fourth line
    (folder / "scenarios.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    state = json.loads((folder / "sweep.json").read_text())
    (folder / "sweep.json").write_text(json.dumps({**state, "status": "running"}))
    done_before = sorted(json.loads(line)["scenario"] for line in lines[:3])
    log.write_text("")

    async def restart():
        manager = SweepManager(RunManager(workspace))
        manager.recover()
        await asyncio.sleep(0.1)
        await manager.wait()
        manager.shutdown()
        return manager, manager.get(record.id)

    manager, again = go(restart())
    assert again.status == "succeeded" and again.done == 6
    ran = sorted(float(x) for x in log.read_text().split())
    assert len(ran) == 3 and not set(ran) & {float(i) for i in done_before}
    assert sorted(r["recorded"]["y"] for r in manager.ranked(again)) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ranges": {"nope": [0, 1]}}, "ranges"),
        ({"ranges": {"k": [-5, 1]}}, "ranges"),
        ({"ranges": {"k": [0, 1]}, "design": {"kind": "lhs", "n": 100000}}, "n"),
        ({"ranges": {"k": [0, 1]}, "objectives": ["min:nothing"]}, "objectives"),
        ({"ranges": {"k": [0, 1]}, "keep": "some"}, "keep"),
        ({"ranges": {"k": [0, 1]}, "backend": "cloud"}, "backend"),
        ({"ranges": {"k": [0, 1]}, "design": {"kind": "lhs", "n": 4, "constraint": "k >"}}, None),
        ({"ranges": {"k": [0, 1]}, "step": "analyze"}, None),
    ],
)
def test_bad_sweeps_are_refused_naming_the_field_and_nothing_is_written(workspace, body, field):
    write_param_twin(workspace, "plain", ["dtaas.record('y', k)"])
    manager = SweepManager(RunManager(workspace))
    with pytest.raises(RequestError) as e:
        go(manager.submit({"dt": "plain", **body}))
    assert e.value.status == 400
    if field:
        assert e.value.fields.get("field") == field, e.value.fields
    assert not list((workspace / "sweeps").glob("*/2*"))


def write_tank_twin(workspace):
    """A first-order tank: level(t) = gain * (1 - exp(-t / tau)), recorded as a series."""
    folder = workspace / "digital_twins" / "tank"
    (folder / "lifecycle").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell("gain = 1.0\ntau = 1.0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("import dtaas, math"),
        params,
        nbformat.v4.new_code_cell(
            "for i in range(41):\n"
            "    t = i * 0.25\n"
            "    dtaas.record('level', gain * (1 - math.exp(-t / tau)), t=t)"
        ),
    ]
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest = {
        "title": "Tank",
        "parameters": {
            "type": "object",
            "properties": {
                "gain": {"type": "number", "minimum": 0.1, "maximum": 10, "default": 1.0},
                "tau": {"type": "number", "minimum": 0.1, "maximum": 20, "default": 1.0},
            },
        },
        "lifecycle": {"execute": "lifecycle/execute.ipynb"},
        "records": {"level": {"x-unit": "m"}},
    }
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    data = workspace / "data" / "tank-run.csv"
    import math

    rows = ["time,measured"] + [
        f"{i * 0.5},{2.0 * (1 - math.exp(-(i * 0.5) / 3.0))}" for i in range(21)
    ]
    data.write_text("\n".join(rows) + "\n")


def test_a_calibration_recovers_the_parameters_that_made_the_data_and_saves_them(workspace):
    from dtaas.whatif.calibrate import CalibrationManager

    write_tank_twin(workspace)

    async def scenario():
        sweeps = SweepManager(RunManager(workspace))
        calibrations = CalibrationManager(sweeps)
        record = await calibrations.submit(
            {
                "dt": "tank",
                "data": "mine/data/tank-run.csv",
                "time_column": "time",
                "mapping": {"level": "measured"},
                "fit": ["gain", "tau"],
                "save_as": "fitted",
            }
        )
        await calibrations.wait()
        return calibrations, calibrations.get(record.id)

    calibrations, record = go(scenario())
    assert record.status == "succeeded", record.error
    assert record.values["gain"] == pytest.approx(2.0, rel=0.01)
    assert record.values["tau"] == pytest.approx(3.0, rel=0.01)
    assert record.evaluations >= 3
    report = calibrations.report(record)
    assert report and (workspace / record.dir / "residuals.png").read_bytes()[:4] == b"\x89PNG"
    config = yaml.safe_load((workspace / "digital_twins/tank/configs/fitted.yaml").read_text())
    assert config["gain"] == pytest.approx(2.0, rel=0.01)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mapping": {"level": "nope"}}, "mapping"),
        ({"mapping": {"volume": "measured"}}, "mapping"),
        ({"time_column": "when"}, "time_column"),
        ({"fit": ["colour"]}, "fit"),
        ({"data": "mine/data/missing.csv"}, "data"),
    ],
)
def test_bad_calibrations_are_refused_naming_the_field(workspace, change, field):
    from dtaas.whatif.calibrate import CalibrationManager

    write_tank_twin(workspace)
    calibrations = CalibrationManager(SweepManager(RunManager(workspace)))
    body = {
        "dt": "tank",
        "data": "mine/data/tank-run.csv",
        "time_column": "time",
        "mapping": {"level": "measured"},
        "fit": ["gain", "tau"],
        **change,
    }
    with pytest.raises(RequestError) as e:
        go(calibrations.submit(body))
    assert e.value.status == 400 and e.value.fields.get("field") == field, e.value.fields
    assert not list((workspace / "calibrations").glob("*/2*"))


def test_a_scenario_becomes_a_configuration_and_a_new_twin_that_runs(workspace):
    manager, record = sweep(
        workspace,
        {
            "dt": "mass-spring-damper",
            "design": {"kind": "random", "n": 3, "seed": 5},
            "ranges": {"c1": [0.1, 2.0]},
            "objectives": ["min:x1"],
        },
    )
    _, row = manager.scenario(record.id, "1")
    config = manager.save_config("mass-spring-damper", "common", row["parameters"], {"name": "s1"})
    assert config.values["c1"] == row["parameters"]["c1"]
    provenance = {"source": "common/digital_twins/mass-spring-damper", "sweep": record.id}
    created = manager.new_twin(
        "mass-spring-damper", "common", row["parameters"], provenance, {"name": "msd-tuned"}
    )
    assert created["scope"] == "private"
    manifest = yaml.safe_load((workspace / "digital_twins/msd-tuned/dt.yaml").read_text())
    assert manifest["parameters"]["properties"]["c1"]["default"] == row["parameters"]["c1"]
    assert manifest["provenance"]["sweep"] == record.id

    async def run_it():
        runs = RunManager(workspace)
        r = runs.submit({"dt": "msd-tuned"})
        await runs.wait()
        return runs.store.get(r.id)

    ran = go(run_it())
    assert ran.status == "succeeded" and ran.recorded["x1"] == pytest.approx(
        row["recorded"]["x1"], abs=1e-9
    )
    with pytest.raises(RequestError) as e:
        manager.scenario(record.id, "99")
    assert e.value.status == 404


def test_the_dask_backend_gives_the_same_results_as_the_local_one(workspace):
    body = {
        "dt": "mass-spring-damper",
        "design": {"kind": "sobol", "n": 8, "seed": 4},
        "ranges": {"k1": [5, 20], "c2": [0.1, 1.0]},
        "parameters": {"n_points": 201},
    }

    async def both():
        manager = SweepManager(RunManager(workspace))
        try:
            local = await manager.submit(body)
            await manager.wait()
            dask = await manager.submit({**body, "backend": "dask"})
            await manager.wait()
            return manager, manager.get(local.id), manager.get(dask.id)
        finally:
            manager.shutdown()

    manager, local, dask = go(both())
    assert local.status == dask.status == "succeeded" and dask.done == dask.total == 8
    a, b = manager.ranked(local), manager.ranked(dask)
    assert [r["parameters"] for r in a] == [r["parameters"] for r in b]
    assert [r["recorded"] for r in a] == [r["recorded"] for r in b]
    assert {r["status"] for r in b} == {"succeeded"}


def test_a_saltelli_sweep_gives_sobol_indices_of_a_known_function(workspace):
    write_param_twin(
        workspace,
        "linear",
        ["b = 0.5", "dtaas.record('y', 3 * k + 0 * b)"],
    )
    manager, record = sweep(
        workspace,
        {
            "dt": "linear",
            "design": {"kind": "saltelli", "n": 16, "seed": 1},
            "ranges": {"k": [0, 1]},
            "objectives": ["max:y"],
            "keep": "none",
        },
    )
    assert record.status == "succeeded" and record.total == 16 * 3
    analysis = json.loads((workspace / record.dir / "analysis.json").read_text())
    (row,) = analysis["sensitivity"]["y"]
    # y depends on k alone: all of its variance is k's
    assert row["parameter"] == "k" and row["S1"] == pytest.approx(1.0, abs=0.05)
    assert row["ST"] == pytest.approx(1.0, abs=0.05)


def test_a_sweep_can_be_cancelled_and_keeps_what_it_finished(workspace):
    write_param_twin(workspace, "slow", ["import time\ntime.sleep(0.3)\ndtaas.record('y', k)"])

    async def scenario():
        manager = SweepManager(RunManager(workspace))
        record = await manager.submit(
            {"dt": "slow", "design": {"kind": "random", "n": 40}, "ranges": {"k": [0, 1]}}
        )
        while manager.get(record.id).done < 3:
            await asyncio.sleep(0.05)
        manager.cancel(record.id)
        await manager.wait()
        manager.shutdown()
        return manager, manager.get(record.id)

    manager, record = go(scenario())
    assert record.status == "cancelled" and 3 <= record.done < 40
    rows = manager.ranked(record)
    assert all(r["status"] in ("succeeded", "cancelled") for r in rows)
    assert sum(r["status"] == "succeeded" for r in rows) >= 3


def test_every_scenario_of_a_sweep_can_start_from_a_snapshot(workspace):
    write_param_twin(
        workspace,
        "forked",
        ["base = globals().get('base', 0)\ndtaas.record('y', base + k)"],
    )

    async def scenario():
        runs = RunManager(workspace)
        cells = "import dtaas\nbase = 100"
        from tests.dts import write_steps

        write_steps(workspace, "forked-seed", {"execute": [cells]}, title="seed")
        r = runs.submit({"dt": "forked-seed", "save_after": ["execute"]})
        await runs.wait()
        snapshot = runs.snapshots.get(runs.store.get(r.id).snapshots[0])
        # the sweep's twin must be the snapshot's: fork the seed twin's saved state
        snapshot.dt = "forked"
        manager = SweepManager(runs)
        store = runs.snapshots.store
        snapshot.id = "20260101T000000000-f0f0f0"
        store.write(snapshot)
        record = await manager.submit(
            {
                "dt": "forked",
                "design": {"kind": "grid", "n": 3, "levels": 3},
                "ranges": {"k": [0, 2]},
                "snapshot": snapshot.id,
            }
        )
        await manager.wait()
        manager.shutdown()
        return manager, manager.get(record.id)

    manager, record = go(scenario())
    assert record.status == "succeeded"
    assert [r["recorded"]["y"] for r in manager.ranked(record)] == [100, 101, 102]


def test_a_scenario_past_its_timeout_fails_and_the_next_ones_run(workspace):
    write_param_twin(
        workspace, "stuck", ["import time\nif k > 0.5:\n    time.sleep(60)\ndtaas.record('y', k)"]
    )
    manager, record = sweep(
        workspace,
        {
            "dt": "stuck",
            "design": {"kind": "grid", "n": 4, "levels": 4},
            "ranges": {"k": [0, 1]},
            "timeout": 2,
        },
    )
    rows = manager.ranked(record)
    assert record.status == "succeeded" and len(rows) == 4
    assert [r["status"] for r in rows] == ["succeeded", "succeeded", "failed", "failed"]
    assert "longer than 2 s" in rows[2]["error"]


def test_a_calibration_left_running_by_a_dead_server_ends_as_interrupted(workspace):
    from dtaas.whatif.calibrate import CalibrationManager

    write_tank_twin(workspace)
    calibrations = CalibrationManager(SweepManager(RunManager(workspace)))
    record = calibrations._prepare(
        {
            "dt": "tank",
            "data": "mine/data/tank-run.csv",
            "time_column": "time",
            "mapping": {"level": "measured"},
            "fit": ["gain"],
        }
    )
    record.status = "running"
    calibrations.save(record)
    restarted = CalibrationManager(SweepManager(RunManager(workspace)))
    restarted.recover()
    again = restarted.get(record.id)
    assert again.status == "failed" and again.error == "interrupted" and again.finished


def test_a_calibration_maps_the_columns_named_as_records_by_default(workspace):
    from dtaas.whatif.calibrate import CalibrationManager

    write_tank_twin(workspace)
    data = workspace / "data" / "tank-run.csv"
    data.write_text(data.read_text().replace("measured", "level", 1))
    calibrations = CalibrationManager(SweepManager(RunManager(workspace)))
    record = calibrations._prepare(
        {"dt": "tank", "data": "mine/data/tank-run.csv", "time_column": "time", "fit": ["gain"]}
    )
    assert record.mapping == {"level": "level"}
    data.write_text(data.read_text().replace("level", "other", 1))
    with pytest.raises(RequestError) as e:
        calibrations._prepare(
            {"dt": "tank", "data": "mine/data/tank-run.csv", "time_column": "time", "fit": ["gain"]}
        )
    assert e.value.status == 400 and e.value.fields["field"] == "mapping"


def test_each_scenario_has_a_state_folder_of_its_own_as_the_twin_left_it(workspace):
    write_param_twin(
        workspace,
        "stateful",
        [
            "state = dtaas.context().state_dir / 'log.txt'\n"
            "state.write_text(state.read_text() + f'{k}\\n')\n"
            "dtaas.record('y', len(state.read_text().split()))"
        ],
    )
    twin_state = workspace / "digital_twins" / "stateful" / "state"
    twin_state.mkdir()
    (twin_state / "log.txt").write_text("start\n")
    manager, record = sweep(
        workspace,
        {
            "dt": "stateful",
            "design": {"kind": "grid", "n": 4, "levels": 4},
            "ranges": {"k": [0, 1]},
        },
    )
    rows = manager.ranked(record)
    assert [r["status"] for r in rows] == ["succeeded"] * 4
    assert [r["recorded"]["y"] for r in rows] == [2, 2, 2, 2]  # none saw another's write
    assert (twin_state / "log.txt").read_text() == "start\n"  # the twin's own is untouched
