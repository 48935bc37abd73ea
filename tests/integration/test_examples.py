"""The example twins built from shared assets, run on the session hub as alice: their steps
(the four runs started together, then polled), a recorded value of each against a
computation done here, and the library's "used by" of the shared tank model."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from scipy.integrate import odeint

from tests.openapi import runtime_api

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
G = 9.81
RUNS = {
    "water-tank-fault": (["create", "execute", "analyze"], {"noise_mm": 0.0}),
    "water-tank-swap": (["execute", "analyze"], {"model": "linear"}),
    "three-tanks": (["execute", "analyze"], {}),  # execute needs nothing create makes
    "thermal-room": (["execute", "analyze"], {}),
}
DONE = ("succeeded", "failed", "cancelled")


def defaults(twin: str) -> dict:
    manifest = yaml.safe_load((EXAMPLES / "digital_twins" / twin / "dt.yaml").read_text())
    return {k: v["default"] for k, v in manifest["parameters"]["properties"].items()}


@pytest.fixture(scope="module")
def runs(alice) -> dict[str, dict]:
    """Each twin's steps in one run, the four runs started at once, then awaited."""
    api = runtime_api(alice)
    started = {}
    for twin, (steps, parameters) in RUNS.items():
        body = {"dt": twin, "scope": "common", "steps": steps, "parameters": parameters}
        r = api("POST", "runs", json=body)
        assert r.status_code == 201, r.text
        started[twin] = r.json()["id"]
    records: dict[str, dict] = {}
    began = time.monotonic()
    deadline = time.monotonic() + 240
    while len(records) < len(started) and time.monotonic() < deadline:
        for twin, run_id in started.items():
            if twin not in records:
                record = api("GET", f"runs/{run_id}").json()
                if record["status"] in DONE:
                    records[twin] = record
        time.sleep(0.3)
    print(f"four example runs in {time.monotonic() - began:.1f} s")
    assert len(records) == len(started), f"runs still going: {set(started) - set(records)}"
    for twin, record in records.items():
        assert record["status"] == "succeeded", f"{twin}: {record.get('error')}"
        steps = [(s["step"], s["status"]) for s in record["step_results"]]
        assert steps == [(s, "succeeded") for s in RUNS[twin][0]]
    return records


def outputs(user: dict, record: dict) -> Path:
    return user["home"] / record["dir"] / "outputs"


def table(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def tank_level(t, h0, q, area, outlet_area):
    """One Torricelli tank by odeint from ``h0`` at ``t[0]``; ``outlet_area`` a function of
    time."""

    def f(y, s):
        return [(q - outlet_area(s) * np.sqrt(2 * G * max(y[0], 0.0))) / area]

    return odeint(f, [h0], t, rtol=1e-10, atol=1e-12, hmax=5.0, mxstep=100_000)[:, 0]


def test_water_tank_fault_detects_the_leak_when_the_residual_crosses(alice, runs):
    record = runs["water-tank-fault"]
    p = {**defaults("water-tank-fault"), **record["parameters"]}
    seen = record["recorded"]
    assert p["fault"] == "leak" and p["noise_mm"] == 0.0
    a, leak, tf = p["outlet_cm2"] / 1e4, p["fault_size"] * p["outlet_cm2"] / 1e4, p["fault_time_s"]
    q = p["q_in_L_s"] / 1000

    def command(s):
        swing = 1 + p["valve_swing"] * np.sin(2 * np.pi * s / p["valve_period_s"])
        return float(np.clip(p["opening"] * swing, 0, 1))

    h0 = (q / (p["opening"] * a * np.sqrt(2 * G))) ** 2
    assert seen["h_steady_m"] == pytest.approx(h0, rel=1e-9)
    t = np.arange(0, p["t_end_s"] + p["sample_s"] / 2, p["sample_s"])
    assert tf in t

    def healthy(s):
        return command(s) * a

    model = tank_level(t, h0, q, p["area_m2"], healthy)
    before = tank_level(t[t <= tf], h0, q, p["area_m2"], healthy)
    after = tank_level(t[t >= tf], before[-1], q, p["area_m2"], lambda s: healthy(s) + leak)
    plant = np.concatenate([before, after[1:]])
    assert seen["h_end_m"] == pytest.approx(plant[-1], abs=1e-5)
    assert seen["h_model_end_m"] == pytest.approx(model[-1], abs=1e-5)
    # the alarm comes after the raw residual crosses the threshold (the filter only delays it),
    # and not much later than the filter's time constant and the persistence allow
    crossing = t[np.argmax(np.abs(plant - model) > p["threshold_mm"] / 1000)]
    lag = 3 * p["filter_s"] + p["persist"] * p["sample_s"]
    assert crossing - p["sample_s"] <= seen["detected_at_s"] <= crossing + lag
    assert seen["detection_delay_s"] == pytest.approx(seen["detected_at_s"] - tf)
    assert seen["detected"] is True and seen["false_alarm"] is False
    assert seen["min_delay_s"] <= seen["detection_delay_s"]
    assert seen["noise_floor_mm"] < 1e-3  # no noise: before the fault, model and tank agree
    files = outputs(alice, record)
    assert {"fault.png", "levels.csv", "residual.png"} <= {f.name for f in files.iterdir()}
    assert table(files / "levels.csv")["plant"][-1] == pytest.approx(seen["h_end_m"])


def test_water_tank_swap_runs_the_linear_model_against_the_nonlinear_one(runs):
    record = runs["water-tank-swap"]
    p = {**defaults("water-tank-swap"), **record["parameters"]}
    seen = record["recorded"]
    c = p["opening"] * p["outlet_cm2"] / 1e4
    q0, q1, ts, t_end = p["q_in_L_s"] / 1000, p["q_step_L_s"] / 1000, p["step_time_s"], p["t_end_s"]
    h_op = (q0 / (c * np.sqrt(2 * G))) ** 2
    # the linear tank: an exponential towards its own steady level after the step
    k = c * np.sqrt(2 * G) / (2 * np.sqrt(h_op))
    h_inf = q1 / k - h_op
    linear_end = h_inf + (h_op - h_inf) * np.exp(-(t_end - ts) * k / p["area_m2"])
    assert seen["h_op_m"] == pytest.approx(h_op, rel=1e-9)
    assert seen["h_end_m"] == pytest.approx(linear_end, abs=1e-5)
    assert seen["h_steady_m"] == pytest.approx(h_inf, rel=1e-9)
    # the nonlinear tank beside it, by odeint
    nonlinear_end = tank_level([ts, t_end], h_op, q1, p["area_m2"], lambda _s: c)[-1]
    assert seen["h_end_other_m"] == pytest.approx(nonlinear_end, abs=1e-5)
    assert seen["error_vs_other_m"] == pytest.approx(linear_end - nonlinear_end, abs=2e-5)
    # analyze: the linear steady level errs by h_op (x - 1)^2, within 5 % for |x - 1| <= 0.2236 x
    low, high = q0 / (1 + np.sqrt(0.05)), q0 / (1 - np.sqrt(0.05))
    assert seen["linear_valid_from_L_s"] == pytest.approx(1000 * low, rel=0.01)
    assert seen["linear_valid_to_L_s"] == pytest.approx(1000 * high, rel=0.01)


def test_three_tanks_reach_the_analytic_steady_state(runs):
    record = runs["three-tanks"]
    p = {**defaults("three-tanks"), **record["parameters"]}
    seen = record["recorded"]
    q = p["q_in_L_s"] / 1000
    steady = [(q / (p[f"outlet{i}_cm2"] / 1e4 * np.sqrt(2 * G))) ** 2 for i in (1, 2, 3)]
    assert seen["h_steady_m"] == pytest.approx(steady, rel=1e-9)
    assert [seen["h1_m"], seen["h2_m"], seen["h3_m"]] == pytest.approx(steady, abs=1e-4)
    assert seen["q_out_L_s"] == pytest.approx(p["q_in_L_s"], rel=1e-3)
    assert 0 < seen["settle_time_s"] < p["t_end_s"]
    taus = sorted(2 * p[f"area{i}_m2"] * h / q for i, h in zip((1, 2, 3), steady, strict=True))
    assert seen["time_constants_s"] == pytest.approx(taus, rel=1e-4)


def test_thermal_room_energy_adds_up_and_the_heater_is_large_enough(alice, runs):
    record = runs["thermal-room"]
    p = {**defaults("thermal-room"), **record["parameters"]}
    seen = record["recorded"]
    room = table(outputs(alice, record) / "room.csv")
    R, C, P = p["R_K_W"], p["C_MJ_K"] * 1e6, p["heater_W"]
    dt = np.diff(room["t_s"])
    heater_J = P * np.sum(room["heater_on"][:-1] * dt)
    loss_W = (room["T_C"] - room["T_out_C"]) / R
    balance_J = C * (room["T_C"][-1] - room["T_C"][0]) + np.sum((loss_W[:-1] + loss_W[1:]) / 2 * dt)
    assert seen["energy_kWh"] == pytest.approx(heater_J / 3.6e6, rel=1e-9)
    assert seen["energy_kWh"] == pytest.approx(balance_J / 3.6e6, rel=2e-3)
    assert seen["mean_T_C"] == pytest.approx(room["T_C"][:-1].mean(), abs=1e-4)
    band = (p["setpoint_C"] - p["comfort_K"], p["setpoint_C"] + p["comfort_K"])
    outside = ((room["T_C"][:-1] < band[0]) | (room["T_C"][:-1] > band[1])).sum()
    assert seen["outside_comfort_h"] == pytest.approx(outside * p["step_s"] / 3600)
    assert 0 < seen["outside_comfort_h"] < 5  # warming up from 18 degC, then held
    outdoor = table(EXAMPLES / "data" / "outdoor-temperature" / "outdoor.csv")
    margin = outdoor["T_out_C"].min() + P * R - band[0]
    assert seen["capacity_margin_K"] == pytest.approx(margin, abs=1e-9)
    assert abs(seen["balance_error_pct"]) < 0.2


def test_the_shared_tank_model_is_used_by_three_twins(alice):
    hub_url = alice["server"].split("/user/")[0]
    url = f"{hub_url}/services/library/api/assets/common/models/water-tank/relations"
    r = alice["api"].get(url)
    assert r.status_code == 200, r.text
    used_by = {a["path"] for a in r.json()["used_by"]}
    assert {
        "common/digital_twins/water-tank-fault",
        "common/digital_twins/water-tank-swap",
        "common/digital_twins/three-tanks",
    } <= used_by
    detector = alice["api"].get(url.replace("models/water-tank", "functions/residual-detector"))
    assert {a["path"] for a in detector.json()["used_by"]} == {
        "common/digital_twins/water-tank-fault"
    }


@pytest.mark.parametrize("twin", list(RUNS))
def test_the_whatif_notebook_is_valid_and_drives_its_twin(twin):
    nb = nbformat.read(EXAMPLES / "digital_twins" / twin / "whatif.ipynb", as_version=4)
    nbformat.validate(nb)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'dtaas.twin("{twin}")' in code and ".sweep(" in code
