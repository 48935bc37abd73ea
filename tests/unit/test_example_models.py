"""The example twins' shared model and function assets, against independent computations:
Torricelli's steady level, the linearised tank, the cascade's steady state, the detection
delay of a leak, the RC room's steady state and trajectory, the thermostat, the data."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.integrate import odeint

from asset_library.validation import validate_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FOLDERS = [
    EXAMPLES / "models" / "water-tank",
    EXAMPLES / "models" / "water-tank-linear",
    EXAMPLES / "models" / "room-thermal",
    EXAMPLES / "functions" / "residual-detector",
    EXAMPLES / "functions" / "thermostat",
    EXAMPLES / "digital_twins" / "water-tank-fault" / "functions",
]
TWINS = ["water-tank-fault", "water-tank-swap", "three-tanks", "thermal-room"]
G = 9.81


def _load(name: str):
    """A module of the examples, found as the runtime finds it: its folder on the path."""
    for folder in FOLDERS:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    return importlib.import_module(name)


water_tank = _load("water_tank")
water_tank_linear = _load("water_tank_linear")
room_thermal = _load("room_thermal")
residual_detector = _load("residual_detector")
thermostat = _load("thermostat")
fault_scenario = _load("fault_scenario")

A, a, Q = 0.2, 3e-4, 1e-3  # m^2, m^2, m^3/s


def torricelli(t, h0, q=Q, area=A, outlet=a):
    """The level of one tank by odeint, written out here."""

    def f(y, _t):
        return [(q - outlet * np.sqrt(2 * G * max(y[0], 0.0))) / area]

    return odeint(f, [h0], t, rtol=1e-11, atol=1e-13)[:, 0]


def test_torricelli_steady_level_and_filling_from_empty():
    tank = water_tank.Tank(A, a)
    assert tank.steady_level(Q) == pytest.approx((Q / (a * np.sqrt(2 * G))) ** 2, rel=1e-12)
    half = water_tank.Tank(A, a, opening=0.5)
    assert half.steady_level(Q) == pytest.approx(4 * tank.steady_level(Q), rel=1e-12)
    t = np.linspace(0.0, 4000.0, 81)
    h = tank.simulate(t, Q, 0.0)
    assert h == pytest.approx(torricelli(t, 0.0), abs=1e-6)
    assert h[-1] == pytest.approx(tank.steady_level(Q), rel=1e-4)
    assert tank.outflow(tank.steady_level(Q)) == pytest.approx(Q, rel=1e-12)
    # an inflow step at a break, against odeint on both sides of it
    h = tank.simulate(t, lambda s: Q if s < 1000 else 2 * Q, 0.3, breaks=[1000.0])
    before, after = t[t < 1000], t[t >= 1000]
    assert h[t < 1000] == pytest.approx(torricelli(before, 0.3), abs=1e-6)
    rest = torricelli(np.concatenate([[1000.0], after]), torricelli([0, 1000.0], 0.3)[-1], 2 * Q)
    assert h[t >= 1000] == pytest.approx(rest[1:], abs=1e-6)


def test_an_empty_tank_does_not_drain_below_its_bottom():
    tank = water_tank.Tank(A, a)
    h = tank.simulate(np.linspace(0, 2000, 41), 0.0, 0.2)
    assert h.min() >= -1e-9 and h[-1] == pytest.approx(0.0, abs=1e-6)
    # Torricelli empties a tank in finite time: 2 A sqrt(h0) / (a sqrt(2 g))
    empty_at = 2 * A * np.sqrt(0.2) / (a * np.sqrt(2 * G))
    assert h[np.linspace(0, 2000, 41) < 0.95 * empty_at].min() > 0


def test_the_linear_tank_is_the_tangent_at_the_operating_level():
    tank = water_tank.Tank(A, a)
    h_op = tank.steady_level(Q)
    lin = water_tank_linear.Tank(A, a, h_op_m=h_op)
    assert lin.steady_level(Q) == pytest.approx(h_op, rel=1e-12)
    assert lin.outflow(h_op) == pytest.approx(tank.outflow(h_op), rel=1e-12)
    slope = (tank.outflow(h_op + 1e-6) - tank.outflow(h_op - 1e-6)) / 2e-6
    assert (lin.outflow(h_op + 0.1) - lin.outflow(h_op)) / 0.1 == pytest.approx(slope, rel=1e-6)
    assert lin.time_constant() == pytest.approx(tank.time_constant(h_op), rel=1e-9)
    assert lin.time_constant() == pytest.approx(2 * A * h_op / Q, rel=1e-9)
    # a step of the inflow: exactly an exponential towards 2 sqrt(h_op) q / k - h_op
    t = np.linspace(0, 3000, 31)
    q2 = 1.5 * Q
    h_inf = 2 * np.sqrt(h_op) * q2 / (a * np.sqrt(2 * G)) - h_op
    expected = h_inf + (h_op - h_inf) * np.exp(-t / lin.time_constant())
    assert lin.simulate(t, q2, h_op) == pytest.approx(expected, abs=1e-12)
    assert lin.simulate(t, lambda _s: q2, h_op) == pytest.approx(expected, abs=1e-6)
    # away from the operating point the linear steady level errs by h_op (x - 1)^2
    for x in (0.5, 0.8, 1.2, 2.0):
        err = lin.steady_level(x * Q) - tank.steady_level(x * Q)
        assert err == pytest.approx(-h_op * (x - 1) ** 2, rel=1e-9)


def test_the_cascade_settles_at_each_tank_s_torricelli_level():
    outlets = (3e-4, 2.5e-4, 3.5e-4)
    areas = (0.2, 0.15, 0.25)
    cascade = water_tank.Cascade(
        tuple(water_tank.Tank(A_, a_) for A_, a_ in zip(areas, outlets, strict=True))
    )
    expected = [(Q / (a_ * np.sqrt(2 * G))) ** 2 for a_ in outlets]
    assert cascade.steady_levels(Q) == pytest.approx(expected, rel=1e-12)
    assert cascade.derivative(cascade.steady_levels(Q), Q) == pytest.approx([0, 0, 0], abs=1e-15)

    def f(y, _t):  # the cascade written out
        flows = [a_ * np.sqrt(2 * G * max(h, 0.0)) for a_, h in zip(outlets, y, strict=True)]
        feeds = [Q, flows[0], flows[1]]
        return [(feeds[i] - flows[i]) / areas[i] for i in range(3)]

    t = np.linspace(0, 6000, 61)
    levels = cascade.simulate(t, Q, [0.0, 0.0, 0.0])
    by_tank = levels.transpose()
    assert by_tank == pytest.approx(odeint(f, [0, 0, 0], t, rtol=1e-11, atol=1e-13), abs=1e-6)
    assert levels[:, -1] == pytest.approx(expected, abs=1e-6)


def test_a_leak_is_detected_within_the_bounds_of_the_residual_s_growth():
    """No noise, no filter: the residual |h_model - h_plant| grows at most at the leak's
    initial rate, and at least at the rate it has once the level is threshold lower."""
    tank = water_tank.Tank(A, a)
    h0 = tank.steady_level(Q)
    leak, tf, thr, dt = 0.2 * a, 600.0, 0.02, 1.0
    t = np.arange(0, 1200 + dt, dt)
    plant = tank.simulate(t, Q, h0, leak_m2=lambda s: leak if s >= tf else 0.0, breaks=[tf])
    found = residual_detector.detect(t, plant, np.full(t.size, h0), thr)
    delay = found.delay(tf)
    fastest = leak * np.sqrt(2 * G * h0) / A
    slowest = ((a + leak) * np.sqrt(2 * G * (h0 - thr)) - Q) / A
    assert thr / fastest <= delay <= thr / slowest + dt
    # and against odeint's crossing of the threshold, to the sample
    crossing = torricelli(t[t >= tf] - tf, h0, outlet=a + leak)
    first = (t[t >= tf])[np.argmax(h0 - crossing > thr)]
    assert found.detected_at == pytest.approx(first, abs=dt)


def test_the_detector_s_filter_persistence_and_false_alarms():
    t = np.arange(0, 100, 1.0)
    step = np.where(t >= 10, 1.0, 0.0)
    d = residual_detector.detect(t, step, np.zeros(t.size), threshold=0.5, filter_s=5.0)
    k = np.arange(t.size) - 10
    ewma = np.where(k >= 0, 1 - np.exp(-(k + 1) / 5.0), 0.0)  # one update per sample
    assert d.filtered == pytest.approx(ewma, abs=1e-12)
    assert d.detected_at == t[np.argmax(ewma > 0.5)]
    late = residual_detector.detect(t, step, np.zeros(t.size), threshold=0.5, persist=4)
    assert late.detected_at == 10.0 and late.index == 10  # the first of the four samples
    spikes = np.zeros(t.size)
    spikes[[20, 40, 41]] = 1.0  # never four in a row
    assert residual_detector.detect(t, spikes, np.zeros(t.size), 0.5, persist=3).detected_at is None


def _defaults(twin: str) -> dict:
    manifest = yaml.safe_load((EXAMPLES / "digital_twins" / twin / "dt.yaml").read_text())
    return {k: v["default"] for k, v in manifest["parameters"]["properties"].items()}


@pytest.mark.parametrize("fault", ["leak", "stuck-valve"])
def test_the_fault_twin_detects_its_faults_after_the_least_possible_delay(fault):
    p = {**_defaults("water-tank-fault"), "fault": fault}
    scenario = fault_scenario.Scenario.from_parameters(p)
    result = scenario.run()
    assert result["detected_at_s"] is not None and not result["false_alarm"]
    least = scenario.threshold_m / scenario.initial_fault_rate_m_s()
    filter_lag = 3 * scenario.filter_s + scenario.persist * scenario.sample_s
    assert least - scenario.sample_s <= result["detection_delay_s"] <= 2 * least + filter_lag
    healthy = fault_scenario.Scenario.from_parameters({**p, "fault": "none"}).run()
    assert healthy["detected_at_s"] is None and healthy["detection_delay_s"] is None
    # without a fault the real tank is the model (up to the solver)
    assert healthy["plant"] == pytest.approx(healthy["model"], abs=1e-7)


def test_the_room_s_steady_state_and_trajectory():
    room = room_thermal.Room(R_K_W=0.02, C_J_K=2e6, heater_W=1500)
    assert room.steady_state(-5.0) == pytest.approx(-5.0 + 1500 * 0.02)
    assert room.steady_state(-5.0, 0.0) == -5.0
    assert room.derivative(room.steady_state(3.0), 3.0, 1.0) == pytest.approx(0.0, abs=1e-15)
    # heater always on against odeint, with a varying outdoor temperature
    t_data = np.array([0.0, 36000.0, 72000.0])
    T_data = np.array([0.0, -6.0, 4.0])
    outdoor = room_thermal.outdoor_profile(t_data, T_data)
    sim = room_thermal.simulate(room, 72000.0, 30.0, 15.0, outdoor, lambda _T: 1.0)

    def f(y, s):
        return [((np.interp(s, t_data, T_data) - y[0]) / 0.02 + 1500) / 2e6]

    expected = odeint(f, [15.0], sim.t, rtol=1e-10, atol=1e-10, hmax=30.0)[:, 0]
    room_C = sim.T
    assert room_C == pytest.approx(expected, abs=1e-3)
    assert sim.energy_J == pytest.approx(1500 * 72000.0)
    # a long run at a constant outdoor temperature ends at T_out + P R
    long = room_thermal.simulate(
        room, 20 * room.time_constant_s, 600.0, 0.0, lambda s: 2.0 + 0 * s, lambda _T: 1.0
    )
    assert long.T[-1] == pytest.approx(2.0 + 1500 * 0.02, abs=1e-6)


def test_the_thermostat_keeps_its_state_inside_the_band():
    th = thermostat.Thermostat(setpoint_C=21.0, hysteresis_K=1.0)
    commands = [th.update(x) for x in (20.0, 20.8, 21.4, 21.6, 21.2, 20.6, 20.4)]
    assert commands == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert th.switches == 3 and th.band == (20.5, 21.5)


def test_the_outdoor_data_is_what_its_generator_makes(tmp_path):
    folder = EXAMPLES / "data" / "outdoor-temperature"
    sys.path.insert(0, str(folder))
    try:
        generate = importlib.import_module("generate")
        importlib.reload(generate)  # another example's generate.py may be cached
        made = generate.main(tmp_path / "outdoor.csv")
    finally:
        sys.path.remove(str(folder))
    assert made.read_text() == (folder / "outdoor.csv").read_text()
    data = np.genfromtxt(folder / "outdoor.csv", delimiter=",", names=True)
    assert data["t_s"][-1] == 72 * 3600 and len(data) == 73


@pytest.mark.parametrize("twin", TWINS)
def test_the_twins_manifests_and_assets_are_valid(twin):
    folder = EXAMPLES / "digital_twins" / twin
    text = (folder / "dt.yaml").read_text()
    assert validate_text(text, "digital_twins", "dt.yaml") == []
    manifest = yaml.safe_load(text)
    for ref in (e["ref"] for e in manifest["assets"]):
        _, kind, name = ref.split("/")
        asset = EXAMPLES / kind / name / "asset.yaml"
        assert validate_text(asset.read_text(), kind, "asset.yaml") == [], ref
    assert {"execute", "analyze"} <= set(manifest["lifecycle"])
    for prop in manifest["parameters"]["properties"].values():
        assert "description" in prop and "default" in prop
    readme = (folder / "README.md").read_text()
    assert f"({twin}.svg)" in readme and (folder / f"{twin}.svg").read_text().startswith("<svg")
