"""Live twins, Save and respawn on a real hub: the API, the CLI, a profile server, restarts."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import _user
from tests.dts import write_steps
from tests.hub import Hub

pytestmark = pytest.mark.integration

LIVE = [
    "import dtaas, numpy as np",  # period and limit: injected from the schema's defaults
    "if 'weights' not in globals():\n    weights = np.linspace(0, 1, 100_000)\n    seen = []",
    "for tick in dtaas.ticks(period, limit=limit or None):\n"
    "    seen.append(tick)\n"
    "    (dtaas.context().state_dir / 'tick.txt').write_text(str(tick))\n"
    "    dtaas.record('level', float(weights[tick % 100_000]), t=tick * period)",
    "dtaas.record('seen', len(seen))\ndtaas.record('first', seen[0])",
]
TERMINATE = ["import dtaas\n(dtaas.context().state_dir / 'terminated').write_text('yes')"]
SCHEMA = {
    "type": "object",
    "properties": {
        "period": {"type": "number", "default": 0.1},
        "limit": {"type": "integer", "default": 0},
    },
}


def write_live_twin(home: Path, name: str = "shadow") -> None:
    write_steps(home, name, {"execute": LIVE, "terminate": TERMINATE}, SCHEMA, title="Shadow")


def wait(api, url: str, check, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(url).json()
        if check(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting on {url}: {body}")


def ended(run: dict) -> bool:
    return run["status"] in ("succeeded", "failed", "cancelled")


def start_live(user: dict, name: str = "shadow", **parameters) -> dict:
    r = user["api"].post(
        f"{user['server']}dtaas/api/runs", json={"dt": name, "parameters": parameters}
    )
    assert r.status_code == 201, r.text
    return r.json()


def ticks_at_least(n: int):
    return lambda run: (run.get("live") or {}).get("tick", 0) >= n


@pytest.fixture(scope="module")
def gail(hub: Hub) -> dict:
    user = _user(hub, "gail")
    write_live_twin(user["home"])
    return user


def test_save_a_live_run_stop_it_and_respawn_it_where_it_was(gail):
    api, server = gail["api"], gail["server"]
    run = start_live(gail)
    runs = f"{server}dtaas/api/runs/{run['id']}"
    live = wait(api, runs, ticks_at_least(5))
    assert live["status"] == "running" and live["live"]["running"]
    assert live["live"]["series"] == ["level"] and "level" in live["live"]["values"]
    r = api.post(f"{runs}/save", json={"label": "five ticks in"})
    assert r.status_code == 201, r.text
    snapshot = r.json()
    assert snapshot["live"] and snapshot["label"] == "five ticks in" and snapshot["tick"] >= 5
    assert {"weights", "seen", "np", "dtaas"} <= {v["name"] for v in snapshot["variables"]}
    wait(api, runs, ticks_at_least(snapshot["tick"] + 3))  # the run went on
    assert api.post(f"{runs}/stop").status_code == 202
    done = wait(api, runs, ended)
    assert done["status"] == "succeeded", done["error"]
    assert [(s["step"], s["status"]) for s in done["step_results"]] == [
        ("execute", "succeeded"),
        ("terminate", "succeeded"),
    ]
    assert snapshot["id"] in done["snapshots"]
    listed = api.get(f"{server}dtaas/api/snapshots", params={"dt": "shadow"}).json()
    assert snapshot["id"] in [s["id"] for s in listed["snapshots"]]

    r = api.post(f"{server}dtaas/api/snapshots/{snapshot['id']}/respawn", json={})
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["snapshot"] == snapshot["id"] and again["steps"] == ["execute"]
    runs2 = f"{server}dtaas/api/runs/{again['id']}"
    wait(api, runs2, ticks_at_least(snapshot["tick"] + 2))
    api.post(f"{runs2}/stop")
    record = wait(api, runs2, ended)
    assert record["status"] == "succeeded", record["error"]
    # the loop went on from the saved tick, with the kernel's list of ticks it had seen
    assert record["recorded"]["first"] == 0 and record["recorded"]["seen"] == record["live"]["tick"]
    log = api.get(f"{runs2}/log").json()["text"]
    assert f"respawned from snapshot {snapshot['id']}" in log


def test_bad_snapshot_requests_name_what_is_wrong(gail, bob):
    api, server = gail["api"], gail["server"]
    assert api.get(f"{server}dtaas/api/snapshots/..%2F..%2Fruns").status_code in (400, 404)
    r = api.get(f"{server}dtaas/api/snapshots/no_such.thing")
    assert r.status_code == 400 and r.json()["field"] == "snapshot"
    r = api.get(f"{server}dtaas/api/snapshots/20990101T000000000-abcdef")
    assert r.status_code == 404 and r.json()["snapshot"] == "20990101T000000000-abcdef"
    run = start_live(gail, limit=3)
    done = wait(api, f"{server}dtaas/api/runs/{run['id']}", ended)
    saved = api.post(f"{server}dtaas/api/runs/{run['id']}/save", json={}).json()
    assert saved["variables"] == [] and "outputs/records/level.csv" in {
        f["path"] for f in saved["files"]
    }
    assert done["live"]["tick"] == 3 and saved["tick"] == 3
    r = api.post(f"{server}dtaas/api/snapshots/{saved['id']}/respawn", json={"step": "clean"})
    assert r.status_code == 400 and r.json()["step"] == "clean"
    r = api.post(f"{server}dtaas/api/runs/{run['id']}/save", json={"label": 7})
    assert r.status_code == 400 and r.json()["field"] == "label"
    # another user: their own server does not know the id, hers is closed to them
    r = bob["api"].get(f"{bob['server']}dtaas/api/snapshots/{saved['id']}")
    assert r.status_code == 404
    r = bob["api"].get(f"{bob['server']}dtaas/api/runs/{run['id']}")
    assert r.status_code == 404
    r = bob["api"].get(f"{server}dtaas/api/snapshots/{saved['id']}", allow_redirects=False)
    assert r.status_code in (302, 403, 404)
    assert saved["id"] not in r.text


def test_respawn_on_a_server_with_a_profile(hub: Hub, gail):
    api, server = gail["api"], gail["server"]
    run = start_live(gail)
    runs = f"{server}dtaas/api/runs/{run['id']}"
    wait(api, runs, ticks_at_least(4))
    snapshot = api.post(f"{runs}/save", json={}).json()
    api.post(f"{runs}/stop")
    wait(api, runs, ended)
    r = api.post(
        f"{server}dtaas/api/snapshots/{snapshot['id']}/respawn",
        json={"profile": "small", "step": "execute"},
    )
    assert r.status_code == 201, r.text
    remote = f"{server}dtaas/api/runs/{r.json()['id']}"
    record = wait(api, remote, lambda run: ticks_at_least(snapshot["tick"] + 2)(run) or ended(run))
    assert record["status"] == "running", record
    assert record["server"].startswith("run-") and record["snapshot"] == snapshot["id"]
    # saved through the run that asked for the server: that server takes the snapshot
    r = api.post(f"{remote}/save", json={"label": "on its own server"})
    assert r.status_code == 201, r.text
    assert r.json()["live"] and r.json()["tick"] >= snapshot["tick"] + 2
    # Stop goes on to the run on the server that runs it
    assert api.post(f"{remote}/stop").status_code == 202
    record = wait(api, remote, ended, timeout=120)
    assert record["status"] == "succeeded", record["error"]
    assert record["recorded"]["seen"] == record["live"]["tick"]
    assert record["live"]["tick"] >= snapshot["tick"] + 2
    servers = api.get(f"{hub.url}/hub/api/users/gail").json()["servers"]
    assert record["server"] not in servers


def test_a_live_run_is_saved_before_its_server_stops_and_respawns_after_a_hub_restart(
    tmp_path_factory,
):
    data = tmp_path_factory.mktemp("restart") / "data"
    data.mkdir()
    hub = Hub(data).start()
    try:
        user = _user(hub, "hana")
        write_live_twin(user["home"])
        api = user["api"]
        run = start_live(user)
        runs = f"{user['server']}dtaas/api/runs/{run['id']}"
        wait(api, runs, ticks_at_least(4))
        state = user["home"] / "digital_twins/shadow/state"
        hub.stop()  # stops her server too: the live run is saved first
        hub.start()
        user = {**user, "server": hub.spawn("hana", user["token"])}
        record = api.get(f"{user['server']}dtaas/api/runs/{run['id']}").json()
        assert record["status"] == "failed" and record["error"] == "interrupted"
        assert len(record["snapshots"]) == 1, record
        snapshot = api.get(f"{user['server']}dtaas/api/snapshots/{record['snapshots'][0]}").json()
        assert snapshot["label"] == "saved as its server stopped" and snapshot["tick"] >= 4
        before = {f["path"]: f["sha256"] for f in snapshot["files"]}
        (state / "tick.txt").write_text("moved on")
        # terminate leaves the saved files alone: what it finds is what was restored
        r = api.post(
            f"{user['server']}dtaas/api/snapshots/{snapshot['id']}/respawn",
            json={"step": "terminate"},
        )
        assert r.status_code == 201, r.text
        wait(api, f"{user['server']}dtaas/api/runs/{r.json()['id']}", ended)
        outputs = user["home"] / r.json()["dir"] / "outputs"
        for path, sha in before.items():
            root = state if path.startswith("state/") else outputs
            data = (root / path.split("/", 1)[1]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha, path  # byte-identical
        assert (state / "terminated").read_text() == "yes"
        r = api.post(f"{user['server']}dtaas/api/snapshots/{snapshot['id']}/respawn", json={})
        assert r.status_code == 201, r.text
        again = f"{user['server']}dtaas/api/runs/{r.json()['id']}"
        wait(api, again, ticks_at_least(snapshot["tick"] + 2))
        api.post(f"{again}/stop")
        done = wait(api, again, ended)
        assert done["status"] == "succeeded", done["error"]
        assert done["recorded"]["seen"] == done["live"]["tick"]
    finally:
        hub.stop()


def test_the_cli_saves_lists_stops_and_respawns_with_follow(gail):
    conn = ["--url", gail["server"], "--token", gail["token"]]

    def dtaas(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dtaas.cli", *argv, *conn],
            capture_output=True,
            text=True,
            timeout=180,
        )

    started = dtaas("run", "shadow")
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    wait(gail["api"], f"{gail['server']}dtaas/api/runs/{run_id}", ticks_at_least(3))
    saved = dtaas("save", run_id, "--label", "from the terminal")
    assert saved.returncode == 0, saved.stderr
    snapshot_id = saved.stdout.strip()
    assert "saved run" in saved.stderr and "variables" in saved.stderr
    listed = dtaas("snapshots", "--dt", "shadow")
    row = next(line for line in listed.stdout.splitlines() if line.startswith(snapshot_id))
    assert row.endswith("from the terminal")
    stopped = dtaas("stop", run_id)
    assert stopped.returncode == 0 and "stopping after its tick" in stopped.stdout
    wait(gail["api"], f"{gail['server']}dtaas/api/runs/{run_id}", ended)
    # a respawn that ends by itself: five more ticks
    respawned = dtaas("respawn", snapshot_id, "-p", "limit=5", "--follow")
    assert respawned.returncode == 0, respawned.stdout + respawned.stderr
    summary = respawned.stdout.strip().splitlines()[-1]
    assert " succeeded in " in summary and "seen=" in summary, summary
    assert "tick" in respawned.stderr  # the live tick in the progress lines
    bad = dtaas("respawn", snapshot_id, "--step", "clean")
    assert bad.returncode == 2 and "clean" in bad.stderr and len(bad.stderr.splitlines()) == 1
