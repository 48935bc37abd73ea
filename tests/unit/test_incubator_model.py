"""The incubator example's model, Kalman filter and controller, imported from the examples."""

from __future__ import annotations

import importlib
import json
import pickle
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from scipy.integrate import solve_ivp

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TWIN = EXAMPLES / "digital_twins" / "incubator"
FOLDERS = [
    EXAMPLES / "models" / "incubator-thermal",
    EXAMPLES / "functions" / "kalman-filter",
    TWIN / "functions",
]
CALIBRATION = EXAMPLES / "data" / "incubator-calibration"


def _load(name: str):
    """A module of the examples, found as the runtime finds it: its folder on the path."""
    for folder in FOLDERS:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    return importlib.import_module(name)


thermal = _load("thermal")
kalman = _load("kalman")
controller = _load("controller")
twin_state = _load("incubator_state")

P = thermal.NOMINAL
TRUE = thermal.perturbed(P, 0.05)


# --- model ----------------------------------------------------------------------------


def test_steady_state_is_that_of_the_two_node_network():
    # all the heater's power crosses the walls, and first the heater-to-air conductance:
    # T_air = T_amb + P/G_box_out, T_heater = T_air + P/G_heater_air
    T_air = P.T_ambient + P.heater_power_W / P.G_box_out
    T_heater = T_air + P.heater_power_W / P.G_heater_air
    assert thermal.steady_state(P, 1.0) == pytest.approx([T_air, T_heater], rel=1e-12)
    assert T_air == pytest.approx(53.5, abs=0.1)  # the incubator heats to about 53 degC
    half = P.T_ambient + 0.5 * P.heater_power_W / P.G_box_out
    assert thermal.steady_state(P, 0.5)[0] == pytest.approx(half, rel=1e-12)
    assert thermal.steady_state(P, 0.0) == pytest.approx([P.T_ambient, P.T_ambient])
    # and the simulation goes there: 20 hours is many time constants (the slowest ~ 20 min)
    end = thermal.simulate(P, [P.T_ambient] * 2, np.ones(1200), 60.0)[-1]
    assert end == pytest.approx([T_air, T_heater], abs=1e-6)


def test_discretisation_matches_the_ode_integrated_independently():
    def rhs(t, x):
        T_air, T_heater = x
        q = P.G_heater_air * (T_heater - T_air)
        return [
            (q - P.G_box_out * (T_air - P.T_ambient)) / P.C_air,
            (P.heater_power_W - q) / P.C_heater,
        ]

    sol = solve_ivp(rhs, (0, 600), [21.0, 21.0], t_eval=[300, 600], rtol=1e-10, atol=1e-10)
    sim = thermal.simulate(P, [21.0, 21.0], np.ones(60), 10.0)
    assert sim[29] == pytest.approx(sol.y[:, 0], abs=1e-6)
    assert sim[59] == pytest.approx(sol.y[:, 1], abs=1e-6)
    # exact zero-order hold: one long step is many short ones
    F1, G1 = thermal.discretise(P, 1.0)
    F60, G60 = thermal.discretise(P, 60.0)
    assert np.linalg.matrix_power(F1, 60) == pytest.approx(F60, abs=1e-12)


def test_parameters_are_checked_and_perturbed_in_a_fixed_pattern():
    with pytest.raises(ValueError, match="C_air"):
        thermal.ThermalParams(C_air=0)
    assert TRUE.C_air == pytest.approx(P.C_air * 1.05)
    assert TRUE.G_box_out == pytest.approx(P.G_box_out * 0.95)
    assert thermal.ThermalParams.from_dict(TRUE.to_dict()) == TRUE


def test_plant_is_seeded_and_resumes_after_pickling_or_from_its_state():
    a = thermal.Plant(TRUE, 5.0, noise_K=0.1, seed=3)
    b = thermal.Plant(TRUE, 5.0, noise_K=0.1, seed=3)
    assert [a.step(True) for _ in range(10)] == [b.step(True) for _ in range(10)]
    copy = pickle.loads(pickle.dumps(a))  # what a snapshot of the kernel keeps
    again = thermal.Plant.from_state(json.loads(json.dumps(a.state())), 5.0, 0.1)
    ahead = [a.step(k % 3 == 0) for k in range(20)]
    assert [copy.step(k % 3 == 0) for k in range(20)] == ahead
    assert [again.step(k % 3 == 0) for k in range(20)] == pytest.approx(ahead, abs=1e-12)
    assert a.energy_J == pytest.approx((10 + 7) * 5.0 * TRUE.heater_power_W)


# --- Kalman filter ----------------------------------------------------------------------


def _filter(model, x0, dt=5.0, q=0.03, r=0.1):
    F, G = thermal.discretise(model, dt)
    return kalman.KalmanFilter(
        F, G, [[1.0, 0.0]], np.diag([q**2, (3 * q) ** 2]), [[r**2]], x0, np.diag([25.0, 100.0])
    )


@pytest.mark.parametrize("model, tolerance", [(TRUE, 0.15), (P, 0.6)])
def test_filter_estimate_converges_toward_the_plant_state(model, tolerance):
    plant = thermal.Plant(TRUE, 5.0, noise_K=0.1, seed=11)
    kf = _filter(model, x0=[30.0, 50.0])  # far off: the plant starts at 21 and 21
    errors = []
    for k in range(600):
        on = (k // 40) % 2 == 0  # heater 200 s on, 200 s off
        z = plant.step(on)
        kf.step([float(on), TRUE.T_ambient], z)
        errors.append(np.abs(kf.x - plant.x))
    errors = np.array(errors)
    assert errors[0].max() > 5
    late = errors[-200:]
    # the air is measured; the heater, never measured, is found through the model
    assert late[:, 0].mean() < 0.1
    assert late[:, 1].mean() < tolerance
    assert late[:, 1].mean() < errors[0, 1] / 20
    assert kf.std()[0] < 0.1 and kf.std()[1] < 1.0


def test_filter_checks_shapes_and_restores():
    F, G = thermal.discretise(P, 5.0)
    with pytest.raises(ValueError):
        kalman.KalmanFilter(F, G, [[1.0, 0.0]], np.eye(2), np.eye(2), [0, 0], np.eye(2))
    kf = _filter(P, [21.0, 21.0])
    kf.step([1.0, 21.0], 21.3)
    other = _filter(P, [0.0, 0.0]).restore(json.loads(json.dumps(kf.state())))
    assert other.x == pytest.approx(kf.x)
    np.testing.assert_allclose(other.P, kf.P)


# --- controller -------------------------------------------------------------------------


def test_hysteresis_switches_at_the_band_edges_and_holds_inside():
    c = controller.Hysteresis(35.0, 1.0)
    assert (c.low, c.high) == (34.5, 35.5)
    assert [c.update(T) for T in (30, 34.9, 35.4, 35.5, 35.0, 34.6, 34.5, 35.2)] == [
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        True,
    ]
    with pytest.raises(ValueError):
        controller.Hysteresis(35.0, 0.0)


def _closed_loop(anticipate: bool, steps: int = 1500, band: float = 1.0):
    plant = thermal.Plant(TRUE, 5.0, noise_K=0.1, seed=42)
    kf = _filter(P, [21.0, 21.0])
    ctrl = controller.Hysteresis(35.0, band)
    T, on = [], []
    for _ in range(steps):
        u = float(ctrl.on)
        z = plant.step(ctrl.on)
        x = kf.step([u, TRUE.T_ambient], z)
        ctrl.update(thermal.anticipated_air(P, x) if anticipate else x[0])
        T.append(plant.T_air)
        on.append(ctrl.on)
    return np.array(T), np.array(on), ctrl


def test_controller_holds_the_air_inside_the_band_in_steady_state():
    T, on, ctrl = _closed_loop(anticipate=True)
    reached = int(np.argmax(ctrl.low <= T))
    assert 0 < reached * 5.0 < 1200  # heats up from 21 degC within 20 minutes
    steady = T[reached + 100 :]  # after a few cycles
    assert steady.min() >= ctrl.low and steady.max() <= ctrl.high
    assert abs(steady.mean() - 35.0) < 0.2
    # it does switch: a duty near what holds 35 degC against the losses
    duty = on[reached + 100 :].mean()
    needed = TRUE.G_box_out * (35.0 - TRUE.T_ambient) / TRUE.heater_power_W
    assert duty == pytest.approx(needed, abs=0.05)
    assert np.count_nonzero(np.diff(on[reached + 100 :])) > 20


def test_switching_on_the_air_alone_overshoots_what_anticipation_avoids():
    T, _, ctrl = _closed_loop(anticipate=False)
    steady = T[int(np.argmax(ctrl.low <= T)) + 100 :]
    assert steady.max() > ctrl.high + 0.2  # the heater is still hot when it goes off


# --- calibration data and the twin's state ----------------------------------------------------


def test_calibration_data_is_deterministic_and_calibrates_the_model(tmp_path):
    generate = _load_file("incubator_calibration_generate", CALIBRATION / "generate.py")
    fresh = generate.main(tmp_path / "calibration.csv")
    assert fresh.read_bytes() == (CALIBRATION / "calibration.csv").read_bytes()
    model, info = twin_state.calibrated(P, CALIBRATION / "calibration.csv")
    assert info["samples"] == 601
    assert info["rmse_before"] > 0.3 and info["rmse_after"] < 0.12  # down to the sensor noise
    assert model.G_box_out == pytest.approx(TRUE.G_box_out, rel=0.01)


def _load_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _defaults() -> dict:
    manifest = yaml.safe_load((TWIN / "dt.yaml").read_text())
    return {k: v["default"] for k, v in manifest["parameters"]["properties"].items()}


def test_state_round_trips_through_json(tmp_path):
    params = _defaults()
    saved = twin_state.fresh(params, P)
    twin_state.write_json(tmp_path / "state.json", saved)
    plant, kf, ctrl, model = twin_state.from_state(
        twin_state.read_json(tmp_path / "state.json"), params
    )
    assert plant.x == pytest.approx([21.0, 21.0]) and plant.params == TRUE
    assert (ctrl.target, ctrl.band, ctrl.on) == (35.0, 1.0, False)
    assert model == P and kf.x == pytest.approx([21.0, 21.0])
    series = tmp_path / "series.csv"
    twin_state.start_series(series)
    for k in range(5):
        row = dict.fromkeys(twin_state.COLUMNS, 0.0)
        twin_state.append_row(series, {**row, "tick": k, "t": 5.0 * (k + 1)})
    twin_state.trim_series(series, 15.0)
    assert twin_state.read_series(series)["t"].tolist() == [5.0, 10.0, 15.0]


def test_notebooks_carry_their_language_and_the_manifest_defaults():
    manifest = yaml.safe_load((TWIN / "dt.yaml").read_text())
    defaults = _defaults()
    assert set(manifest["lifecycle"]) == {"create", "execute", "analyze", "terminate", "clean"}
    for step in manifest["lifecycle"].values():
        nb = nbformat.read(TWIN / step["notebook"], as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["language_info"]["name"] == "python"
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, step
        values: dict = {}
        exec(cells[0].source, values)
        assert {k: values[k] for k in defaults} == defaults, step
