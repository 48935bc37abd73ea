"""The incubator over MQTT without a hub: the mock incubator's messages, and the plant and the
shadow's link talking through a mosquitto of the test's own on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from tests.unit.test_incubator_model import EXAMPLES, TWIN, _defaults, _load

sys.path.insert(0, str(EXAMPLES / "tools" / "incubator-plant"))

thermal = _load("thermal")
kalman = _load("kalman")
twin_state = _load("incubator_state")
live = _load("incubator_live")
plant_mod = _load("incubator_plant")


# --- messages -------------------------------------------------------------------------


def test_topics_are_under_the_prefix_and_one_level_per_id():
    assert plant_mod.topic("dt/alice/", "1", "temperature") == "dt/alice/incubator/1/temperature"
    assert plant_mod.topic("dt/alice", "box-2", "heater") == "dt/alice/incubator/box-2/heater"
    for bad in ("", "a/b", "+", "#", "x" * 65, 3):
        with pytest.raises(ValueError):
            plant_mod.topic("dt/alice/", bad, "heater")
    with pytest.raises(ValueError):
        plant_mod.topic("dt/alice/", "1", "pressure")


def test_readings_and_commands_round_trip_and_bad_ones_are_refused():
    r = plant_mod.parse_reading(plant_mod.reading(125.0, 24.31, True))
    assert r == {"t": 125.0, "T": 24.31, "heater_on": True}
    assert plant_mod.parse_reading(b'{"t": 5, "T": 21}') == {"t": 5.0, "T": 21.0, "heater_on": None}
    for bad in (
        b"",
        b"[1]",
        b'{"t": 1}',
        b'{"t": "1", "T": 2}',
        b'{"t": 1, "T": NaN}',
        b'{"t": 1, "T": 2, "heater_on": 2}',
        b"\xff",
        b'{"t": true, "T": 2}',
    ):
        with pytest.raises(ValueError):
            plant_mod.parse_reading(bad)
    assert plant_mod.parse_command(plant_mod.command(True, 10.0)) is True
    assert plant_mod.parse_command(plant_mod.command(False)) is False
    assert plant_mod.parse_command(b"1") is True and plant_mod.parse_command(b"false") is False
    for bad in (b"on", b'{"on": "yes"}', b"2", b"1.0", b"{}"):
        with pytest.raises(ValueError):
            plant_mod.parse_command(bad)
    with pytest.raises(ValueError):
        plant_mod.reading(float("inf"), 20.0)


def _filter(params: dict, model, x0):
    return twin_state.new_filter(model, params, x0)


def test_advance_predicts_over_missed_readings_as_the_plant_held_its_heater():
    params = _defaults()
    P = thermal.NOMINAL
    a, b = _filter(params, P, [21.0, 21.0]), _filter(params, P, [21.0, 21.0])
    reading = {"t": 50.0, "T": 23.0, "heater_on": True}
    assert live.advance(a, reading, 0.0, 5.0, False, 21.0) == 10
    for _ in range(9):
        b.predict([1.0, 21.0])
    b.step([1.0, 21.0], [23.0])
    assert a.x == pytest.approx(b.x)
    np.testing.assert_allclose(a.P, b.P)
    assert live.advance(a, {"t": 50.0, "T": 23.0, "heater_on": None}, 50.0, 5.0, True, 21.0) == 0
    assert live.advance(a, {"t": 1e9, "T": 30.0, "heater_on": None}, 50.0, 5.0, True, 21.0) == 1
    assert a.x[0] == pytest.approx(30.0, abs=0.5)  # started again from the sensor


def test_state_of_the_twin_starts_a_history():
    state = twin_state.fresh(_defaults(), thermal.NOMINAL)
    assert len(state["history"]) == 12 and state["tick"] == 0


# --- plant and shadow over a broker ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"  # make installs it
    port = _free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    # no Nagle wait on the broker's side either: a message and its ack go at once
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "set_tcp_nodelay true\n"
    )
    proc = subprocess.Popen(
        [mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _client(port: int):
    from paho.mqtt.client import CallbackAPIVersion, Client

    client = Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not client.is_connected():
        assert time.monotonic() < deadline, "no connection to the test broker"
        time.sleep(0.01)
    return client


def _settle(count, at_least: int, timeout: float = 5.0) -> None:
    """Wait until ``count()`` is ``at_least``: the messages sent have arrived."""
    deadline = time.monotonic() + timeout
    while count() < at_least:
        assert time.monotonic() < deadline, "messages did not arrive"
        time.sleep(0.001)


def test_the_shadow_estimates_and_controls_the_plant_over_mqtt(broker):
    params = {**_defaults(), "T_initial_C": 33.0}
    model = thermal.NOMINAL
    true = thermal.perturbed(model, params["mismatch"])
    plant = thermal.Plant(true, params["step_s"], [33.0, 33.0], params["noise_K"], seed=7)
    plant_client, shadow_client = _client(broker), _client(broker)
    try:
        incubator = plant_mod.MockIncubator(plant, plant_client, "dt/alice/", "t1")
        link = live.Link(shadow_client, "dt/alice/", "t1")
        assert link.temperature_topic == incubator.temperature_topic
        time.sleep(0.2)  # both subscriptions are in place
        ctrl = _load("controller").Hysteresis(params["target_C"], params["band_K"])
        kf = twin_state.new_filter(model, params, [21.0, 21.0])  # a wrong start: it converges
        kf_t, errors, seen = None, [], 0
        for k in range(80):
            if k == 40:  # the shadow misses 10 readings, as if it were stopped
                for _ in range(10):
                    incubator.step()
                    time.sleep(0.002)
                _settle(lambda: link.received, seen + 10)
                seen += 10
                link.readings()
            truth = incubator.step()
            _settle(lambda: link.received, seen + 1)
            seen = link.received
            (reading,) = link.readings(after=kf_t)
            assert reading["t"] == pytest.approx(truth["t"]) and reading["T"] == truth["T_air"]
            if k == 40:
                assert reading["t"] - kf_t == pytest.approx(11 * params["step_s"])
            live.advance(kf, reading, kf_t, params["step_s"], ctrl.on, params["T_ambient_C"])
            kf_t = reading["t"]
            on = ctrl.update(thermal.anticipated_air(model, kf.x))
            link.send(on, kf_t)
            _settle(lambda: incubator.commands, k + 1)
            assert incubator.heater_on == on
            if k >= 20:
                errors.append(kf.x[0] - truth["T_air_true"])
        rmse = float(np.sqrt(np.mean(np.square(errors))))
        assert rmse < 0.3, rmse
        assert incubator.rejected == 0 and link.rejected == 0
        # a bad command is counted and changes nothing
        held = incubator.heater_on
        shadow_client.publish(incubator.heater_topic, b"warm please", 1)
        _settle(lambda: incubator.rejected, 1)
        assert incubator.heater_on == held and "JSON" in incubator.last_error
        link.close()
        incubator.close()
    finally:
        for c in (plant_client, shadow_client):
            c.disconnect()
            c.loop_stop()


def test_the_twin_declares_the_plant_tool_and_its_roles():
    manifest = yaml.safe_load((TWIN / "dt.yaml").read_text())
    refs = [a["ref"] for a in manifest["assets"]]
    assert live.PLANT_TOOL in refs
    props = manifest["parameters"]["properties"]
    assert props["role"]["enum"] == ["shadow", "plant"] and props["role"]["default"] == "shadow"
    assert props["source"]["enum"] == ["simulated", "mqtt"]
    assert props["source"]["default"] == "simulated"
    asset = yaml.safe_load((EXAMPLES / "tools" / "incubator-plant" / "asset.yaml").read_text())
    assert asset["entrypoint"] == "incubator_plant.py"
