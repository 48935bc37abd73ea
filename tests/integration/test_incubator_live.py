"""The incubator end to end over live data, on a real hub: the mock incubator publishes its
temperature over the platform's MQTT broker and takes heater commands; the digital shadow
reads it, estimates, controls, records and stores its series; Save, Stop and a respawn that
reads on; analyze reads the series back from the store; a what-if forks the saved shadow."""

from __future__ import annotations

import csv
import json
import os
import time
from unittest import mock

import pytest

import dtaas.services
from hub_config.settings import load_settings
from tests.hub import Hub
from tests.integration.test_incubator import PERIOD_S, STEP_S, _get, _post, _stop, _wait_tick
from tests.integration.test_platform import wait_run

pytestmark = pytest.mark.integration
INCUBATOR = "box-7"  # its topics: dt/alice/incubator/box-7/...
LIVE = {"period_s": PERIOD_S, "incubator_id": INCUBATOR}


def _records(user: dict, record: dict, name: str) -> dict[float, float]:
    """A run's recorded time series, ``{t: value}``."""
    path = user["home"] / record["dir"] / "outputs" / "records" / f"{name}.csv"
    with open(path, newline="") as f:
        return {float(r["t"]): float(r[name]) for r in csv.DictReader(f)}


def _wait_readings(user: dict, record: dict, at_least: int, timeout: float = 60) -> dict:
    """The shadow's run once it has recorded ``at_least`` readings."""
    deadline = time.monotonic() + timeout
    path = user["home"] / record["dir"] / "outputs" / "records" / "T_estimated.csv"
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) > at_least:
            return _get(user, f"runs/{record['id']}")
        record = _get(user, f"runs/{record['id']}")
        assert record["status"] in ("queued", "running"), record.get("error") or record
        time.sleep(0.2)
    raise AssertionError(f"run {record['id']} did not record {at_least} readings")


def _true_air(
    user: dict, plant_id: str, shadow: dict[float, float], after: float, name: str = "T_air_true"
) -> dict:
    """The plant's own air temperature, once its run's records reach the readings the
    shadow has after ``after`` (the plant writes its records a little after it publishes,
    later still on a loaded machine)."""
    wanted = sorted(t for t in shadow if t > after)[: 5 if name == "T_air_true" else None]
    deadline = time.monotonic() + 60
    while True:
        plant = _records(user, _get(user, f"runs/{plant_id}"), name)
        if all(t in plant for t in wanted) or time.monotonic() > deadline:
            return plant
        time.sleep(0.3)


def _follows(shadow: dict[float, float], plant: dict[float, float], after: float) -> list:
    """The shadow's estimate against the plant's own air temperature, at the readings after
    ``after`` that both have."""
    both = sorted(t for t in shadow if t in plant and t > after)
    assert len(both) >= 5, (sorted(shadow)[:5], sorted(plant)[:5])
    return [abs(shadow[t] - plant[t]) for t in both]


def _store_as(hub: Hub, user: str):
    """The time-series store as ``user``, with what the hub gives their servers."""
    from platform_services import timeseries

    settings = load_settings({"DTAAS_DATA_DIR": str(hub.data_dir), "DTAAS_PORT": str(hub.port)})
    with mock.patch.dict(os.environ, timeseries.user_env(settings, user)):
        return dtaas.services.timeseries()


def _stop_all(user: dict, run_ids: list[str]) -> None:
    """Stop every run of these that has not ended, and wait for each to end."""
    for run_id in run_ids:
        record = _get(user, f"runs/{run_id}")
        if record["status"] in ("queued", "running"):
            user["api"].post(f"{user['server']}dtaas/api/runs/{run_id}/stop")
    for run_id in run_ids:
        wait_run(user["api"], user["server"], run_id, timeout=120)


def test_the_incubator_over_mqtt_is_shadowed_saved_respawned_stored_and_forked(hub, alice):
    """Live runs it starts are stopped whatever happens: left running, they would hold
    the workspace's run slots and every later run of alice's would wait."""
    started: list[str] = []
    try:
        created = _post(alice, "runs", {"dt": "incubator", "steps": ["create"]}).json()
        created = wait_run(alice["api"], alice["server"], created["id"])
        assert created["status"] == "succeeded", created.get("error")
        state_dir = alice["home"] / created["state_dir"]
        history = json.loads((state_dir / "state.json").read_text())["history"]

        def start(config: str) -> dict:
            body = {"dt": "incubator", "steps": ["execute"], "config": config, "parameters": LIVE}
            run = _post(alice, "runs", body).json()
            started.append(run["id"])
            return run

        plant = start("plant")
        shadow = start("live")
        assert shadow["parameters"]["source"] == "mqtt" and plant["parameters"]["role"] == "plant"
        shadow = _wait_readings(alice, shadow, 15)
        # Lab shows its live values (the run's live record, written between ticks)
        shown = {"T_air", "T_estimated", "T_heater_estimated", "heater_on", "energy_J"}
        shadow = _wait_tick(alice, shadow["id"], 1)
        shadow = _wait_tick(alice, shadow["id"], shadow["live"]["tick"] + 2)
        assert shown <= set(shadow["live"]["series"]) and shown <= set(shadow["live"]["values"])

        # the shadow read what the plant published, and its estimate follows the plant's own
        # (noise-free) air temperature, which only the plant's run records
        read = _records(alice, shadow, "T_air")
        published = _true_air(alice, plant["id"], read, float("-inf"), "T_air")
        assert read and all(published[t] == v for t, v in read.items())
        first = min(read)
        estimate = _records(alice, shadow, "T_estimated")
        true_air = _true_air(alice, plant["id"], estimate, first + 5 * STEP_S)
        assert (
            max(_follows(_records(alice, shadow, "T_estimated"), true_air, first + 5 * STEP_S))
            < 0.5
        )
        # and the plant heats as the shadow commands (cold box: on)
        assert 1.0 in _records(alice, _get(alice, f"runs/{plant['id']}"), "heater_on").values()

        snapshot = _post(
            alice, f"runs/{shadow['id']}/save", {"label": "live"}, expect=(201,)
        ).json()
        names = {v["name"] for v in snapshot["variables"]}
        assert {"kf", "ctrl", "model", "kf_t", "history"} <= names, snapshot["skipped"]
        assert "plant" not in names  # the shadow knows the incubator through its readings only
        saved_tick = snapshot["tick"]
        _wait_tick(alice, shadow["id"], saved_tick + 5)
        ended = _stop(alice, shadow["id"])
        assert ended["status"] == "succeeded", ended.get("error")
        assert [r["step"] for r in ended["step_results"]] == ["execute", "terminate"]
        assert ended["recorded"]["readings"] > 15
        assert ended["recorded"]["stored_points"] == 5 * ended["recorded"]["readings"]
        summary = json.loads((state_dir / "summary.json").read_text())
        assert summary["source"] == "mqtt" and summary["T_air_C"] is None
        stopped_at = max(_records(alice, ended, "T_estimated"))

        # the plant went on alone; the respawned shadow subscribes again and reads on
        respawned = _post(
            alice, f"snapshots/{snapshot['id']}/respawn", {"step": "execute"}, expect=(201,)
        ).json()
        started.append(respawned["id"])
        assert respawned["snapshot"] == snapshot["id"]
        assert respawned["parameters"]["source"] == "mqtt"
        saved_records = len(_records(alice, respawned, "T_estimated"))  # as saved, restored
        # enough new readings that five remain past the five-step gap compared below
        respawned = _wait_readings(alice, respawned, saved_records + 12)
        assert respawned["live"]["tick"] >= saved_tick
        estimate = _records(alice, respawned, "T_estimated")
        new = [t for t in estimate if t > stopped_at]
        assert len(new) >= 11
        true_air = _true_air(alice, plant["id"], estimate, min(new) + 5 * STEP_S)
        # over the gap it predicted with the heater as the plant held it; then it reads on
        assert max(_follows(estimate, true_air, min(new) + 5 * STEP_S)) < 0.5
        _post(alice, f"runs/{plant['id']}/stop", expect=(202,))  # both end at once
        after = _stop(alice, respawned["id"])
        assert after["status"] == "succeeded", after.get("error")
        assert after["live"]["tick"] > saved_tick
        plant_ended = wait_run(alice["api"], alice["server"], plant["id"], timeout=120)
        assert plant_ended["status"] == "succeeded", plant_ended.get("error")
        assert [r["step"] for r in plant_ended["step_results"]] == ["execute", "terminate"]
        assert json.loads((state_dir / "summary.json").read_text())["run"] == respawned["id"]

        # the store holds every reading of both shadow runs, as written, in this history
        readings = ended["recorded"]["readings"] + after["recorded"]["readings"]
        with _store_as(hub, "alice") as store:
            stored = store.read(f"incubator/{INCUBATOR}/T_estimated")
        stored = stored[stored["tags"].apply(lambda tg: tg.get("history") == history)]
        assert len(stored) == readings
        by_t = {tg["t_s"]: v for tg, v in zip(stored["tags"], stored["value"], strict=True)}
        for run in (ended, after):
            for t, v in _records(alice, run, "T_estimated").items():
                assert by_t[t] == pytest.approx(v, abs=1e-4)  # the record is rounded

        analyzed = _post(
            alice,
            "runs",
            {"dt": "incubator", "steps": ["analyze"], "config": "live", "parameters": LIVE},
        ).json()
        analyzed = wait_run(alice["api"], alice["server"], analyzed["id"])
        assert analyzed["status"] == "succeeded", analyzed.get("error")
        counts = analyzed["recorded"]["stored_series"]
        assert counts == dict.fromkeys(counts, readings) and len(counts) == 5
        png = alice["home"] / analyzed["dir"] / "outputs" / "incubator-live.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

        # what if the controller changes now: two targets forked from the saved shadow, each
        # simulating on from the state it estimated
        sweep = _post(
            alice,
            "sweeps",
            {
                "dt": "incubator",
                "step": "execute",
                "scenarios": [{"target_C": 20.0}, {"target_C": 40.0}],
                "parameters": {"source": "simulated", "ticks": 20, "period_s": 0.01},
                "snapshot": snapshot["id"],
                "keep": "all",
            },
        ).json()
        deadline = time.monotonic() + 120
        while sweep["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, sweep
            time.sleep(0.3)
            sweep = _get(alice, f"sweeps/{sweep['id']}")
        assert sweep["status"] == "succeeded" and sweep["failed"] == 0, sweep
        # both start where the shadow was when saved: one step after a reading it had taken,
        # from the temperatures it estimated then
        taken = _records(alice, ended, "T_estimated")
        energy, starts = {}, set()
        for s in range(2):
            folder = alice["home"] / sweep["dir"] / "scenarios" / str(s) / "records"
            with open(folder / "energy_J.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            with open(folder / "T_air.csv", newline="") as f:
                air = list(csv.DictReader(f))
            assert len(rows) == 20 and len(air) == 20
            t0 = float(air[0]["t"])
            starts.add(t0)
            forked_at = min(taken, key=lambda t, t0=t0: abs(t - (t0 - STEP_S)))
            assert forked_at == pytest.approx(t0 - STEP_S) and forked_at <= stopped_at
            assert float(air[0]["T_air"]) == pytest.approx(taken[forked_at], abs=0.6)
            energy[s] = float(rows[-1]["energy_J"]) - float(rows[0]["energy_J"])
        assert len(starts) == 1
        assert energy[1] > energy[0]  # the warmer target heats; the cooler one lets it cool
    finally:
        _stop_all(alice, started)
