"""The incubator twin's pieces and their state on disk: the mock plant, the estimator, the
controller, and the model the estimator uses. ``state.json`` in the state folder holds all of it
as plain JSON, so a step that starts with a fresh kernel picks up where the last one ended."""

from __future__ import annotations

import csv
import json
import os
import uuid
from dataclasses import replace
from pathlib import Path

import kalman
import numpy as np
import thermal
from controller import Hysteresis

STATE = "state.json"
SERIES = "series.csv"
SUMMARY = "summary.json"
COLUMNS = [
    "tick",
    "t",
    "T_air",
    "T_air_true",
    "T_heater",
    "T_estimated",
    "T_heater_estimated",
    "heater_on",
    "energy_J",
]


def model_params(parameters: dict) -> thermal.ThermalParams:
    """The model as the twin's parameters describe it (what the estimator believes)."""
    return thermal.ThermalParams(
        C_air=parameters["C_air"],
        C_heater=parameters["C_heater"],
        G_heater_air=parameters["G_heater_air"],
        G_box_out=parameters["G_box_out"],
        heater_power_W=parameters["heater_power_W"],
        T_ambient=parameters["T_ambient_C"],
    )


def calibrated(model: thermal.ThermalParams, csv_path: Path) -> tuple[thermal.ThermalParams, dict]:
    """Fit the box's heat capacity and insulation to the measured heating experiment."""
    data = np.genfromtxt(csv_path, delimiter=",", names=True)
    at_lab = replace(model, T_ambient=float(data["T_ambient_C"][0]))
    fitted, info = thermal.calibrate(at_lab, data["t_s"], data["heater_on"], data["T_air_C"])
    info["samples"] = int(len(data))
    return replace(fitted, T_ambient=model.T_ambient), info


def new_filter(model: thermal.ThermalParams, parameters: dict, x0, P0=None) -> kalman.KalmanFilter:
    F, G = thermal.discretise(model, parameters["step_s"])
    q = parameters["model_noise_K"]
    r = max(parameters["noise_K"], 1e-3)
    return kalman.KalmanFilter(
        F,
        G,
        H=[[1.0, 0.0]],
        Q=np.diag([q**2, (3 * q) ** 2]),
        R=[[r**2]],
        x0=x0,
        P0=np.diag([1.0, 25.0]) if P0 is None else P0,
    )


def fresh(parameters: dict, model: thermal.ThermalParams, calibration: dict | None = None) -> dict:
    """The state of a twin that has not run yet: box and heater at the initial temperature."""
    true = thermal.perturbed(model_params(parameters), parameters["mismatch"])
    T0 = parameters["T_initial_C"]
    plant = thermal.Plant(
        true, parameters["step_s"], [T0, T0], parameters["noise_K"], parameters["seed"]
    )
    kf = new_filter(model, parameters, [T0, T0])
    ctrl = Hysteresis(parameters["target_C"], parameters["band_K"])
    return {**to_state(0, plant, kf, ctrl, model, calibration), "history": uuid.uuid4().hex[:12]}


def to_state(tick: int, plant, kf, ctrl, model, calibration: dict | None = None) -> dict:
    return {
        "tick": int(tick),
        "t": plant.t,
        "plant": plant.state(),
        "estimator": kf.state(),
        "model": model.to_dict(),
        "heater_on": ctrl.on,
        "calibration": calibration,
    }


def from_state(state: dict, parameters: dict):
    """``(plant, kf, ctrl, model)`` from a saved state, with the parameters of this run."""
    model = replace(
        thermal.ThermalParams.from_dict(state["model"]), T_ambient=parameters["T_ambient_C"]
    )
    plant = thermal.Plant.from_state(state["plant"], parameters["step_s"], parameters["noise_K"])
    est = state["estimator"]
    kf = new_filter(model, parameters, est["x"], np.asarray(est["P"]))
    ctrl = Hysteresis(parameters["target_C"], parameters["band_K"], on=state["heater_on"])
    return plant, kf, ctrl, model


def write_json(path: Path, value: dict) -> None:
    """Write through a temporary file, so a reader never sees half a state."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=1))
    os.replace(tmp, path)


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def start_series(path: Path) -> None:
    with open(path, "w", newline="") as f:
        csv.writer(f).writerow(COLUMNS)


def trim_series(path: Path, t_max: float) -> None:
    """Drop the rows after ``t_max`` (a restart from a state written a few ticks back)."""
    if not path.exists():
        return start_series(path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(r for r in rows if float(r["t"]) <= t_max + 1e-9)


def append_row(path: Path, row: dict) -> None:
    with open(path, "a", newline="") as f:
        csv.DictWriter(f, COLUMNS).writerow(row)


def read_series(path: Path) -> dict[str, np.ndarray]:
    data = np.genfromtxt(path, delimiter=",", names=True, ndmin=1)
    return {name: np.atleast_1d(data[name]).astype(float) for name in data.dtype.names}
