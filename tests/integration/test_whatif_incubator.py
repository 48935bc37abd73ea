"""The incubator's what-if notebook, run on a real hub.

The notebook is copied, as it ships, into a small private twin of the test user as its
execute step, with one cell appended that records what a user reads off the notebook; the
platform runs it as it runs any step, so the notebook drives the common incubator through
``dtaas.twin`` exactly as it does in Lab: create, a warm-up saved as a snapshot, and a sweep
that forks the snapshot into alternatives of the controller.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import _user
from tests.hub import Hub
from tests.integration.test_whatif_examples import images, notebook_twin, run_notebook
from tests.openapi import runtime_api

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "digital_twins" / "incubator" / "whatif.ipynb"

CHECK = """
dtaas.record("sweep", sweep.id)
dtaas.record("fork", fork)
dtaas.record("E_fork", E_fork)
dtaas.record("rows", len(frame))
dtaas.record("failed", int((frame["status"] != "succeeded").sum()))
dtaas.record("front", [int(s) for s in front["scenario"]])
dtaas.record("best", int(best["scenario"]))
dtaas.record("folders", {str(s): str(f.relative_to(workspace())) for s, f in folders.items()})
dtaas.record("objectives", ok[["scenario", "energy_kJ", "in_spec_pct"]].to_dict(orient="records"))
"""


@pytest.fixture(scope="module")
def lena(hub: Hub) -> dict:
    return _user(hub, "lena")


@pytest.fixture(scope="module")
def api(lena):
    return runtime_api(lena)


def _column(path: Path, name: str) -> list[tuple[float, float]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [(float(r["t"]), float(r[name])) for r in rows]


def test_the_incubator_whatif_notebook_forks_a_warm_twin_and_ranks_the_controllers(api, lena):
    notebook_twin(lena["home"], "incubator-whatif", NOTEBOOK, CHECK)
    done = run_notebook(api, lena, "incubator-whatif", timeout=300)
    seen = done["recorded"]
    assert seen["rows"] == 12 and seen["failed"] == 0
    assert images(lena, done) == 2  # the Pareto plot and the best scenario's air temperature

    sweep = api("GET", f"sweeps/{seen['sweep']}").json()
    assert sweep["status"] == "succeeded" and sweep["done"] == 12 and sweep["failed"] == 0
    assert sweep["snapshot"] == seen["fork"]
    rows = api("GET", f"sweeps/{seen['sweep']}/results").json()["rows"]
    assert len(rows) == 12

    # the objectives again, from each scenario's own series, by hand
    points, starts = {}, set()
    for row in rows:
        p = row["parameters"]
        assert 33.0 <= p["target_C"] <= 37.0 and 0.2 <= p["band_K"] <= 4.0
        assert p["ticks"] == 180 and p["period_s"] == 0.01
        records = lena["home"] / seen["folders"][str(row["scenario"])] / "records"
        air = _column(records / "T_air.csv", "T_air")
        energy = _column(records / "energy_J.csv", "energy_J")
        assert len(air) == 180 and len(energy) == 180  # every scenario did its own ticks
        starts.add(air[0][0])
        in_spec = 100 * sum(34.0 <= v <= 36.0 for _, v in air) / len(air)
        points[row["scenario"]] = ((energy[-1][1] - seen["E_fork"]) / 1000, in_spec)
    assert len(starts) == 1  # all forked from the same warm state, none after another
    got = {o["scenario"]: (o["energy_kJ"], o["in_spec_pct"]) for o in seen["objectives"]}
    assert got.keys() == points.keys()
    for s, (e, share) in points.items():
        assert got[s] == pytest.approx((e, share))
        assert 0 < e < 18.73 * 180 * 5 / 1000  # at most the heater on all the time

    # the front of min energy, max time in spec, by a brute-force domination check
    def dominated(a):
        return any(b[0] <= a[0] and b[1] >= a[1] and b != a for b in points.values())

    expected = sorted(s for s, a in points.items() if not dominated(a))
    assert expected and sorted(seen["front"]) == expected
    most = max(share for _, share in points.values())
    assert points[seen["best"]][1] == most
