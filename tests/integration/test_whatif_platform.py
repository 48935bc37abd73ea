"""What-if on a real hub: sweeps and calibrations over the API, the CLI and a notebook."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from asset_library.fsutil import own_like
from tests.conftest import _user
from tests.dts import write_dt
from tests.hub import Hub
from tests.integration.test_platform import wait_run
from tests.msd import final_positions
from tests.openapi import runtime_api
from tests.unit.test_sweeps import write_tank_twin

pytestmark = pytest.mark.integration
MSD = "mass-spring-damper"


@pytest.fixture(scope="module")
def ida(hub: Hub) -> dict:
    return _user(hub, "ida")


@pytest.fixture(scope="module")
def api(ida):
    return runtime_api(ida)


def wait_sweep(api, sweep_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep = api("GET", f"sweeps/{sweep_id}").json()
        if sweep["status"] in ("succeeded", "failed", "cancelled"):
            return sweep
        time.sleep(0.3)
    raise AssertionError(f"sweep {sweep_id} did not end: {sweep}")


def test_a_sweep_over_the_api_ranks_scenarios_that_match_an_independent_solution(api, ida):
    r = api(
        "POST",
        "sweeps",
        json={
            "dt": MSD,
            "design": {"kind": "lhs", "n": 8, "seed": 2},
            "ranges": {"c1": [0.1, 2.0], "k1": [5, 20]},
            "parameters": {"n_points": 401},
            "objectives": ["min:x1", "max:x2"],
        },
    )
    assert r.status_code == 201, r.text
    sweep = wait_sweep(api, r.json()["id"])
    assert sweep["status"] == "succeeded" and sweep["done"] == 8 and sweep["failed"] == 0
    results = api("GET", f"sweeps/{sweep['id']}/results").json()
    assert len(results["rows"]) == 8 and results["analysis"]["front"]
    for row in results["rows"]:
        x1, x2 = final_positions(row["parameters"])
        assert row["recorded"]["x1"] == pytest.approx(x1, abs=1e-5)
    listed = api("GET", f"sweeps?dt={MSD}").json()["sweeps"]
    assert sweep["id"] in [s["id"] for s in listed]
    best = results["analysis"]["best"]
    saved = api("POST", f"sweeps/{sweep['id']}/scenarios/{best}/config", json={"name": "best"})
    assert saved.status_code == 201 and saved.json()["values"]["c1"] > 0
    made = api("POST", f"sweeps/{sweep['id']}/scenarios/{best}/twin", json={"name": "msd-best"})
    assert made.status_code == 201, made.text
    again = api("POST", f"sweeps/{sweep['id']}/scenarios/{best}/twin", json={"name": "msd-best"})
    assert again.status_code == 409
    run = api("POST", "runs", json={"dt": "msd-best"}).json()
    done = wait_run(ida["api"], ida["server"], run["id"])
    row = next(r for r in results["rows"] if r["scenario"] == best)
    assert done["status"] == "succeeded"
    assert done["recorded"]["x1"] == pytest.approx(row["recorded"]["x1"], abs=1e-9)
    assert api("GET", "sweeps/no-such-sweep").status_code == 404
    assert api("POST", f"sweeps/{sweep['id']}/cancel").status_code == 409
    bad = api("POST", "sweeps", json={"dt": MSD, "ranges": {"m1": [-1, 2]}})
    assert bad.status_code == 400 and bad.json()["parameter"] == "m1"
    bad = api("POST", "sweeps", json={"dt": MSD, "ranges": {"m1": [1, 2]}, "objectives": ["min:q"]})
    assert bad.status_code == 400 and bad.json()["field"] == "objectives"


def test_a_calibration_over_the_api_recovers_the_parameters_and_makes_a_twin(api, ida):
    write_tank_twin(ida["home"])
    own_like(ida["home"] / "digital_twins", ida["home"])
    own_like(ida["home"] / "data", ida["home"])
    body = {
        "dt": "tank",
        "data": "mine/data/tank-run.csv",
        "time_column": "time",
        "mapping": {"level": "measured"},
        "fit": ["gain", "tau"],
    }
    r = api("POST", "calibrations", json=body)
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 180
    while (record := api("GET", f"calibrations/{r.json()['id']}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert record["status"] == "succeeded", record["error"]
    assert record["values"]["gain"] == pytest.approx(2.0, rel=0.01)
    assert record["values"]["tau"] == pytest.approx(3.0, rel=0.01)
    assert record["report"]
    png = api("GET", f"calibrations/{record['id']}/residuals.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    made = api("POST", f"calibrations/{record['id']}/twin", json={"name": "tank-fitted"})
    assert made.status_code == 201, made.text
    bad = api("POST", "calibrations", json={**body, "mapping": {"level": "nope"}})
    assert bad.status_code == 400 and bad.json()["field"] == "mapping"
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "dtaas.cli",
            "calibrate",
            "tank",
            "--data",
            "mine/data/tank-run.csv",
            "--fit",
            "gain,tau",
            "--map",
            "level=measured",
            "--time-column",
            "time",
            "--save-as",
            "from-cli",
            "--url",
            ida["server"],
            "--token",
            ida["token"],
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    fitted = dict(line.split(" = ") for line in cli.stdout.splitlines() if " = " in line)
    assert float(fitted["gain"].split()[0]) == pytest.approx(2.0, rel=0.01)
    assert "level: rmse" in cli.stdout and "simulations" in cli.stderr
    config = api("GET", "dts/private/tank/configs/from-cli").json()
    assert config["values"]["tau"] == pytest.approx(3.0, rel=0.01)


def test_the_cli_sweeps_with_a_progress_line_and_prints_the_ranked_table(ida):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dtaas.cli",
            "sweep",
            MSD,
            "--design",
            "random",
            "-n",
            "5",
            "-p",
            "c1=0.1:2",
            "-p",
            "n_points=201",
            "--objective",
            "min:x1",
            "--follow",
            "--url",
            ida["server"],
            "--token",
            ida["token"],
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["#", "RANK", "c1"] and len(lines) == 7
    assert "5/5 scenarios (succeeded)" in lines[-1]
    assert "scenarios" in result.stderr  # progress on a pipe: plain lines
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "dtaas.cli",
            "sweep",
            MSD,
            "-p",
            "m1=5:1",
            "--url",
            ida["server"],
            "--token",
            ida["token"],
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "m1" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_a_notebook_runs_and_sweeps_a_twin_through_dtaas_twin(api, ida):
    write_dt(
        ida["home"],
        "driver",
        [
            "import dtaas\ntw = dtaas.twin('mass-spring-damper')",
            "one = tw.run(m1=2.0, n_points=201)\ndtaas.record('x1', one.recorded['x1'])",
            "sw = tw.sweep({'c1': [0.1, 1.0]}, design='grid', n=3, parameters={'n_points': 201})\n"
            "frame = sw.results()\n"
            "dtaas.record('rows', len(frame))\ndtaas.record('status', sw.record['status'])",
        ],
    )
    run = api("POST", "runs", json={"dt": "driver", "timeout": 240}).json()
    done = wait_run(ida["api"], ida["server"], run["id"], timeout=300)
    assert done["status"] == "succeeded", done["error"]
    x1, _ = final_positions({**dict(m1=2.0), **_msd_defaults(api)})
    assert done["recorded"]["x1"] == pytest.approx(x1, abs=1e-5)
    assert done["recorded"]["rows"] == 3 and done["recorded"]["status"] == "succeeded"


def _msd_defaults(api) -> dict:
    schema = api("GET", f"dts/common/{MSD}").json()["parameters"]["properties"]
    return {k: v["default"] for k, v in schema.items() if k != "m1"}


def test_explore_widgets_come_from_the_schema_and_rerun_the_twin(api, ida):
    write_dt(
        ida["home"],
        "explorer",
        [
            "import dtaas\nex = dtaas.twin('mass-spring-damper', 'common').explore()",
            "c1 = ex.controls['c1']\n"
            "dtaas.record('c1_range', [c1.min, c1.max, c1.value, c1.description])\n"
            "dtaas.record('baseline_x1', ex.baseline['x1'])",
            "c1.value = 1.5\nchanged = ex.update()\ndtaas.record('x1', changed['x1'])",
        ],
    )
    run = api("POST", "runs", json={"dt": "explorer", "timeout": 240}).json()
    done = wait_run(ida["api"], ida["server"], run["id"], timeout=300)
    assert done["status"] == "succeeded", done["error"]
    schema = api("GET", f"dts/common/{MSD}").json()["parameters"]["properties"]
    low, high, value, label = done["recorded"]["c1_range"]
    # c1 has a minimum and no maximum: the slider goes to four times the default
    assert (low, value) == (schema["c1"]["minimum"], schema["c1"]["default"])
    assert high == pytest.approx(4 * schema["c1"]["default"])
    assert label == "c1 [N s/m]"
    defaults = {k: v["default"] for k, v in schema.items()}
    assert done["recorded"]["baseline_x1"] == pytest.approx(final_positions(defaults)[0], abs=1e-5)
    x1, _ = final_positions({**defaults, "c1": 1.5})
    assert done["recorded"]["x1"] == pytest.approx(x1, abs=1e-5)
