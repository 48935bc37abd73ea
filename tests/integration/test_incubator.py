"""The incubator example twin on a real hub: create, a live execute, Save, Stop into terminate,
then a respawn from the snapshot that goes on from the saved tick."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import _user
from tests.hub import Hub
from tests.integration.test_platform import wait_run

pytestmark = pytest.mark.integration
API = "dtaas/api/"
PERIOD_S = 0.05  # twenty ticks a second: the test needs a few dozen
STEP_S = 5.0  # the twin's default simulated seconds per tick


@pytest.fixture(scope="module")
def gina(hub: Hub) -> dict:
    return _user(hub, "gina")


def _get(user: dict, path: str, **params) -> dict:
    r = user["api"].get(f"{user['server']}{API}{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _post(user: dict, path: str, body: dict | None = None, expect=(200, 201, 202)):
    r = user["api"].post(f"{user['server']}{API}{path}", json=body or {})
    assert r.status_code in expect, f"POST {path}: {r.status_code} {r.text}"
    return r


def _wait_tick(user: dict, run_id: str, at_least: int, timeout: float = 90) -> dict:
    """The run once its live loop has done ``at_least`` ticks (fails if the run ends first)."""
    deadline = time.monotonic() + timeout
    record: dict = {}
    while time.monotonic() < deadline:
        record = _get(user, f"runs/{run_id}")
        live = record.get("live") or {}
        if live.get("tick", -1) >= at_least:
            return record
        if record["status"] in ("succeeded", "failed", "cancelled"):
            raise AssertionError(f"run {run_id} ended before tick {at_least}: {record}")
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not reach tick {at_least}: {record}")


def _series(user: dict, record: dict, name: str) -> list[tuple[float, float]]:
    path = user["home"] / record["dir"] / "outputs" / "records" / f"{name}.csv"
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["t", name]
    return [(float(t), float(v)) for t, v in rows[1:]]


def _stop(user: dict, run_id: str) -> dict:
    _post(user, f"runs/{run_id}/stop", expect=(202,))
    return wait_run(user["api"], user["server"], run_id, timeout=120)


def test_the_incubator_lives_is_saved_stopped_and_respawned(gina):
    info = _get(gina, "dts/common/incubator")
    assert [s["name"] for s in info["steps"]] == [
        "create",
        "execute",
        "analyze",
        "terminate",
        "clean",
    ]
    assert info["parameters"]["properties"]["target_C"]["x-unit"] == "degC"

    created = _post(gina, "runs", {"dt": "incubator", "steps": ["create"]}).json()
    created = wait_run(gina["api"], gina["server"], created["id"])
    assert created["status"] == "succeeded", created.get("error")
    assert created["recorded"]["calibration_rmse_K"] < 0.12  # fitted down to the sensor noise
    state_dir = gina["home"] / created["state_dir"]
    assert json.loads((state_dir / "state.json").read_text())["tick"] == 0

    run = _post(
        gina,
        "runs",
        {"dt": "incubator", "steps": ["execute"], "parameters": {"period_s": PERIOD_S}},
    ).json()
    record = _wait_tick(gina, run["id"], 20)
    assert record["status"] == "running" and record["live"]["running"]
    assert record["live"]["period_s"] == PERIOD_S
    assert {"T_air", "T_estimated", "heater_on", "energy_J"} <= set(record["live"]["series"])

    snapshot = _post(gina, f"runs/{run['id']}/save", {"label": "warming up"}, expect=(201,)).json()
    saved_tick = snapshot["tick"]
    assert snapshot["live"] is True and saved_tick >= 20 and snapshot["label"] == "warming up"
    names = {v["name"] for v in snapshot["variables"]}
    assert {"plant", "kf", "ctrl", "model"} <= names, snapshot["skipped"]
    assert any(f["path"].endswith("series.csv") for f in snapshot["files"])

    _wait_tick(gina, run["id"], saved_tick + 10)  # the loop went on after the save
    ended = _stop(gina, run["id"])
    assert ended["status"] == "succeeded", ended.get("error")
    assert [r["step"] for r in ended["step_results"]] == ["execute", "terminate"]
    assert all(r["status"] == "succeeded" for r in ended["step_results"])
    assert snapshot["id"] in ended["snapshots"]
    stopped_tick = ended["live"]["tick"]
    assert stopped_tick > saved_tick and ended["live"]["running"] is False
    summary = json.loads((state_dir / "summary.json").read_text())
    assert summary["tick"] == stopped_tick and summary["run"] == run["id"]
    assert summary["t_s"] == pytest.approx(stopped_tick * STEP_S)
    assert ended["recorded"]["ticks_done"] == stopped_tick

    respawned = _post(
        gina, f"snapshots/{snapshot['id']}/respawn", {"step": "execute"}, expect=(201,)
    ).json()
    assert respawned["snapshot"] == snapshot["id"]
    first = _wait_tick(gina, respawned["id"], saved_tick)
    assert first["live"]["tick"] >= saved_tick
    record = _wait_tick(gina, respawned["id"], saved_tick + 10)
    T_air = record["live"]["values"]["T_air"]
    # heating from a 21 degC room with an 18.7 W heater: never below the room, never past
    # the 53.5 degC the box reaches with the heater always on
    assert 20.0 < T_air < 54.0
    assert record["live"]["t"] == pytest.approx(record["live"]["tick"] * STEP_S, abs=STEP_S)
    after = _stop(gina, respawned["id"])
    assert after["status"] == "succeeded", after.get("error")
    assert [r["step"] for r in after["step_results"]] == ["execute", "terminate"]
    assert after["live"]["tick"] > saved_tick + 10

    # one unbroken history: the outputs as saved, then the respawned ticks, step by step
    series = _series(gina, after, "T_air")
    times = [t for t, _ in series]
    assert times == pytest.approx([STEP_S * (k + 1) for k in range(after["live"]["tick"])])
    assert all(20.0 < v < 54.0 for _, v in series)
    # and so is the copy the twin keeps in its state folder, which analyze reads
    with open(state_dir / "series.csv", newline="") as f:
        kept = list(csv.DictReader(f))
    assert [int(r["tick"]) for r in kept] == list(range(after["live"]["tick"]))
    summary = json.loads((state_dir / "summary.json").read_text())
    assert summary["run"] == respawned["id"] and summary["tick"] == after["live"]["tick"]

    analyzed = _post(gina, "runs", {"dt": "incubator", "steps": ["analyze"]}).json()
    analyzed = wait_run(gina["api"], gina["server"], analyzed["id"])
    assert analyzed["status"] == "succeeded", analyzed.get("error")
    assert analyzed["recorded"]["estimate_rmse_K"] < 0.5
    assert (gina["home"] / analyzed["dir"] / "outputs" / "incubator.png").stat().st_size > 10_000


def _cli(user: dict, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The ``dtaas`` command line with the user's server and token, nothing from our env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DTAAS_", "JUPYTERHUB_"))}
    conn = ["--url", user["server"], "--token", user["token"]]
    result = subprocess.run(
        [sys.executable, "-m", "dtaas.cli", *argv, *conn],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert result.returncode == 0, f"dtaas {' '.join(argv)}:\n{result.stdout}{result.stderr}"
    return result


def test_the_readme_steps_from_the_command_line(gina):
    _cli(gina, "run", "incubator", "--step", "create", "--follow")
    run_id = _cli(
        gina, "run", "incubator", "--step", "execute", "-p", f"period_s={PERIOD_S}"
    ).stdout.strip()
    _wait_tick(gina, run_id, 10)
    saved = _cli(gina, "save", run_id, "--label", "warm")
    snapshot_id = saved.stdout.splitlines()[0].strip()
    assert "variables" in saved.stderr and "not saved: plant" not in saved.stderr
    _cli(gina, "stop", run_id)
    ended = wait_run(gina["api"], gina["server"], run_id, timeout=120)
    assert [r["step"] for r in ended["step_results"]] == ["execute", "terminate"]
    listed = _cli(gina, "snapshots", "--dt", "incubator").stdout
    assert snapshot_id in listed and "warm" in listed
    snapshot = _get(gina, f"snapshots/{snapshot_id}")
    # a limit on the respawned loop, so that --follow comes back by itself
    followed = _cli(gina, "respawn", snapshot_id, "--follow", "-p", "ticks=15")
    assert "respawned from snapshot" in followed.stdout
    assert " succeeded in " in followed.stdout.strip().splitlines()[-1]
    runs = _get(gina, "runs", dt="incubator")["runs"]
    respawned = next(r for r in runs if r.get("snapshot") == snapshot_id)
    assert respawned["live"]["tick"] == snapshot["tick"] + 15
    assert respawned["recorded"]["ticks_done"] == snapshot["tick"] + 15
    analyzed = _cli(gina, "run", "incubator", "--step", "analyze", "--follow").stdout
    assert f"{snapshot['tick'] + 15} samples" in analyzed
