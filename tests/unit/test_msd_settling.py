"""The example mass-spring-damper's settling time and x1 series, against an odeint solution.

The settling time is what the what-if example ranks damping by, and the x1 series is what a
calibration fits: both are checked here against the trajectory solved independently (LSODA
via odeint, on the step's own sample times).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import odeint

from dtaas.runs.manager import RunManager
from tests.unit.test_runs import run

MEASUREMENT = Path(__file__).resolve().parents[2] / "examples" / "data" / "msd-measurement"


def odeint_x1(p: dict, t: np.ndarray) -> np.ndarray:
    """x1(t) of the two-mass system, written from the equations of motion in the README."""

    def f(y, _t):
        x1, v1, x2, v2 = y
        a1 = (-p["k1"] * x1 - p["c1"] * v1 + p["k2"] * (x2 - x1) + p["c2"] * (v2 - v1)) / p["m1"]
        a2 = (-p["k2"] * (x2 - x1) - p["c2"] * (v2 - v1)) / p["m2"]
        return [v1, a1, v2, a2]

    y0 = [p["x1_0"], p["v1_0"], p["x2_0"], p["v2_0"]]
    return odeint(f, y0, t, rtol=1e-11, atol=1e-12)[:, 0]


def settling_time(p: dict) -> float:
    """The last sample time at which |x1| is above 2 % of |x1_0| (a plain loop backwards)."""
    t = np.linspace(0.0, p["t_end"], p["n_points"])
    x1 = odeint_x1(p, t)
    band = 0.02 * abs(p["x1_0"])
    for i in range(len(t) - 1, -1, -1):
        if abs(x1[i]) > band:
            return float(t[i])
    return 0.0


@pytest.mark.parametrize(
    "parameters",
    [
        {"c1": 3.0, "c2": 1.0, "t_end": 20.0, "n_points": 2001},  # settles at about 5.4 s
        {"c1": 1.0, "c2": 0.5, "t_end": 20.0, "n_points": 2001},  # at about 14 s
        {"c1": 0.1, "c2": 0.1},  # still ringing at t_end: the settling time is t_end
    ],
)
def test_settling_time_matches_an_independent_solution(workspace, parameters):
    record = run(RunManager(workspace), "mass-spring-damper", "execute", parameters)
    assert record.status == "succeeded", record.error
    expected = settling_time(record.parameters)
    step = record.parameters["t_end"] / (record.parameters["n_points"] - 1)
    # one sample either way: a sample within 1e-6 of the band may fall on the other side
    assert record.recorded["settling_time"] == pytest.approx(expected, abs=step * 1.01)
    if parameters["c1"] == 0.1:
        assert record.recorded["settling_time"] == record.parameters["t_end"]
    else:
        assert 0.0 < record.recorded["settling_time"] < record.parameters["t_end"]


def test_x1_series_is_the_trajectory_at_about_200_points(workspace):
    record = run(RunManager(workspace), "mass-spring-damper", "execute", {"k1": 14.0})
    assert record.status == "succeeded", record.error
    series = workspace / record.dir / "outputs" / "records" / "x1_t.csv"
    assert series.read_text().splitlines()[0] == "t,x1_t"
    table = np.loadtxt(series, delimiter=",", skiprows=1)
    t, x1 = table[:, 0], table[:, 1]
    # every 5th of the default 1001 samples over 10 s: 0, 0.05, ..., 10
    np.testing.assert_allclose(t, np.arange(201) * 0.05, atol=1e-12)
    np.testing.assert_allclose(x1, odeint_x1(record.parameters, t), atol=1e-6)
    assert record.recorded["x1"] == pytest.approx(x1[-1], abs=1e-12)


def test_a_calibration_to_the_example_measurement_recovers_its_plant(workspace):
    """The shipped measurement was made (by its own odeint script) with k1 = 12.5 and
    c1 = 0.8; fitting the twin's x1 series to it from the defaults (10, 0.5) finds both."""
    import asyncio
    import shutil

    from dtaas.whatif.calibrate import CalibrationManager
    from dtaas.whatif.manager import SweepManager

    shutil.copytree(MEASUREMENT, workspace / "common" / "data" / MEASUREMENT.name)
    generator = _load(MEASUREMENT / "generate.py")
    t, x1 = generator.experiment()  # the script still makes the file that is shipped
    shipped = np.loadtxt(MEASUREMENT / "measurement.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(shipped[:, 0], t, atol=1e-9)
    np.testing.assert_allclose(shipped[:, 1], x1, atol=1e-6)

    async def scenario():
        calibrations = CalibrationManager(SweepManager(RunManager(workspace)))
        record = await calibrations.submit(
            {
                "dt": "mass-spring-damper",
                "data": f"common/data/{MEASUREMENT.name}",
                "time_column": "t_s",
                "mapping": {"x1_t": "x1_m"},
                "fit": ["c1", "k1"],
                "ranges": {"c1": [0.05, 3.0], "k1": [2.0, 30.0]},
            }
        )
        await calibrations.wait()
        return calibrations.get(record.id)

    record = asyncio.run(scenario())
    assert record.status == "succeeded", record.error
    assert record.values["k1"] == pytest.approx(generator.TRUE["k1"], rel=0.01)
    assert record.values["c1"] == pytest.approx(generator.TRUE["c1"], rel=0.01)


def _load(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("msd_measurement_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
