"""The mass-spring-damper's what-if and calibration notebooks, run on a real hub.

Each notebook is copied, as it ships, into a small private twin of the test user as its
execute step, with one cell appended that records what a user reads off the notebook; the
platform runs it as it runs any step (papermill, the user's kernel and token), so the
notebook drives the common twin through ``dtaas.twin`` exactly as it does in Lab.
"""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest
import yaml

from asset_library.fsutil import own_like
from tests.conftest import _user
from tests.hub import Hub
from tests.integration.test_platform import wait_run
from tests.openapi import runtime_api
from tests.unit.test_msd_settling import settling_time

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digital_twins" / "mass-spring-damper"
MEASUREMENT = ROOT / "examples" / "data" / "msd-measurement"


@pytest.fixture(scope="module")
def iris(hub: Hub) -> dict:
    return _user(hub, "iris")


@pytest.fixture(scope="module")
def api(iris):
    return runtime_api(iris)


def notebook_twin(home: Path, name: str, notebook: Path, check: str) -> None:
    """``digital_twins/<name>``: ``notebook`` as its execute step, ``check`` appended."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(check))
    folder = home / "digital_twins" / name
    (folder / "lifecycle").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest = {"title": name, "lifecycle": {"execute": {"notebook": "lifecycle/execute.ipynb"}}}
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    own_like(folder.parent, home)


def run_notebook(api, user: dict, name: str, timeout: float = 600) -> dict:
    run = api("POST", "runs", json={"dt": name, "timeout": timeout}).json()
    done = wait_run(user["api"], user["server"], run["id"], timeout=timeout + 60)
    assert done["status"] == "succeeded", done["error"]
    return done


def images(user: dict, record: dict) -> int:
    """How many plots the executed notebook shows."""
    nb = nbformat.read(user["home"] / record["notebook"], as_version=4)
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


WHATIF_CHECK = """
dtaas.record("sweeps", [sweep.id, sobol.id])
dtaas.record("rows", len(frame))
dtaas.record("failed", int((frame["status"] != "succeeded").sum()))
dtaas.record("front", [int(s) for s in front["scenario"]])
dtaas.record("platform_front", analysis["front"])
dtaas.record("best", int(best["scenario"]))
dtaas.record("sobol_total", sobol.record["total"])
dtaas.record("sobol", indices.reset_index().to_dict(orient="records"))
"""


def test_the_whatif_notebook_sweeps_ranks_and_finds_sensitivities(api, iris):
    notebook_twin(iris["home"], "msd-whatif", EXAMPLE / "whatif.ipynb", WHATIF_CHECK)
    done = run_notebook(api, iris, "msd-whatif")
    seen = done["recorded"]
    assert seen["rows"] == 24 and seen["failed"] == 0
    assert images(iris, done) == 2  # the Pareto plot and the Sobol bar chart

    # the sweep as the platform keeps it: each settling time against an odeint solution
    lhs_id, sobol_id = seen["sweeps"]
    rows = api("GET", f"sweeps/{lhs_id}/results").json()["rows"]
    assert len(rows) == 24
    for row in rows:
        p = row["parameters"]
        assert 0.8 <= p["c1"] <= 4.0 and 0.1 <= p["c2"] <= 2.0 and p["t_end"] == 25.0
        step = p["t_end"] / (p["n_points"] - 1)
        assert row["recorded"]["settling_time"] == pytest.approx(settling_time(p), abs=1.01 * step)

    # the front of settling time against c1 + c2, by a brute-force domination check
    points = {r["scenario"]: (r["recorded"]["settling_time"], sum_c(r)) for r in rows}

    def dominated(a):
        return any(b[0] <= a[0] and b[1] <= a[1] and b != a for b in points.values())

    expected = sorted(s for s, a in points.items() if not dominated(a))
    assert sorted(seen["front"]) == expected and len(expected) >= 2
    fastest = min(points.values())[0]
    assert seen["platform_front"] and points[seen["best"]][0] == fastest

    # Sobol' indices of both dampers from a Saltelli design of 16 x (2 + 2) scenarios
    assert seen["sobol_total"] == 64
    sobol = api("GET", f"sweeps/{sobol_id}").json()
    assert sobol["status"] == "succeeded" and sobol["done"] == 64
    indices = {i["parameter"]: i for i in seen["sobol"]}
    assert set(indices) == {"c1", "c2"}
    for i in indices.values():
        assert all(math.isfinite(i[k]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        assert i["ST_conf"] >= 0 and i["ST"] >= -0.1
    # the wall damper decides how fast body 1 settles
    assert indices["c1"]["ST"] > indices["c2"]["ST"]


def sum_c(row: dict) -> float:
    return row["parameters"]["c1"] + row["parameters"]["c2"]


CALIBRATE_CHECK = """
dtaas.record("calibration", calibration["id"])
dtaas.record("values", calibration["values"])
dtaas.record("error_percent", fitted["error %"].to_dict())
dtaas.record("png_bytes", len(png))
"""


def test_the_calibration_notebook_recovers_the_measurement_s_plant(api, iris):
    notebook_twin(iris["home"], "msd-calibrate", EXAMPLE / "calibrate.ipynb", CALIBRATE_CHECK)
    done = run_notebook(api, iris, "msd-calibrate")
    seen = done["recorded"]
    truth = _truth()
    assert seen["values"]["k1"] == pytest.approx(truth["k1"], rel=0.01)
    assert seen["values"]["c1"] == pytest.approx(truth["c1"], rel=0.01)
    assert all(abs(e) < 1.0 for e in seen["error_percent"].values())
    assert seen["png_bytes"] > 1000 and images(iris, done) == 1  # the residual plot
    record = api("GET", f"calibrations/{seen['calibration']}").json()
    assert record["status"] == "succeeded" and record["data"] == "common/data/msd-measurement"
    series = record["report"]["series"]["x1_t"]
    assert series["points"] == 201 and series["r2"] > 0.999
    # what is left is the measurement's noise, the 2 mm it was made with
    assert series["rmse"] == pytest.approx(0.002, rel=0.25)


def _truth() -> dict:
    """k1 and c1 as the measurement's own script states them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("msd_generate", MEASUREMENT / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TRUE
