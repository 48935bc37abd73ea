"""Configure and execute through the real hub: configurations, live runs, compute on demand."""

from __future__ import annotations

import time

import pytest

from tests.conftest import _user
from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_platform import wait_run
from tests.msd import final_positions

pytestmark = pytest.mark.integration
MSD = "dtaas/api/dts/common/mass-spring-damper"


@pytest.fixture(scope="module")
def erin(hub: Hub) -> dict:
    return _user(hub, "erin")


def test_dt_schema_and_configurations_over_http(erin):
    api, server = erin["api"], erin["server"]
    info = api.get(f"{server}{MSD}").json()
    assert info["parameters"]["properties"]["m1"]["x-unit"] == "kg"
    assert [s["name"] for s in info["steps"]] == ["create", "execute", "analyze", "clean"]
    assert {"name": "default", "readonly": True}.items() <= info["configs"][0].items()

    bad = api.put(f"{server}{MSD}/configs/light", json={"values": {"m1": 0, "k1": "stiff"}})
    assert bad.status_code == 400
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/m1", "/k1"}
    assert not (erin["home"] / "configs").exists()

    ok = api.put(f"{server}{MSD}/configs/light", json={"values": {"m1": 0.2}})
    assert ok.status_code == 200 and ok.json() == {
        "name": "light",
        "readonly": False,
        "values": {"m1": 0.2},
    }
    names = [c["name"] for c in api.get(f"{server}{MSD}").json()["configs"]]
    assert names == ["default", "light"]
    assert api.delete(f"{server}{MSD}/configs/default").status_code == 403
    assert api.put(f"{server}{MSD}/configs/..%2Fx", json={"values": {}}).status_code in (400, 404)

    valid = api.post(f"{server}{MSD}/validate", json={"values": {"m2": 3}})
    assert valid.status_code == 200 and valid.json()["parameters"]["m2"] == 3
    invalid = api.post(f"{server}{MSD}/validate", json={"values": {"n_points": 1}})
    assert invalid.status_code == 400 and invalid.json()["valid"] is False
    assert invalid.json()["errors"][0]["parameter"] == "n_points"

    r = api.post(
        f"{server}dtaas/api/runs",
        json={"dt": "mass-spring-damper", "config": "light", "steps": ["execute", "analyze"]},
    )
    assert r.status_code == 201, r.text
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    assert record["config"] == "light" and record["parameters"]["m1"] == 0.2
    x1, x2 = final_positions(record["parameters"])
    assert record["recorded"]["x1"] == pytest.approx(x1, abs=1e-6)
    assert len(record["notebooks"]) == 2 and record["environment"]["packages"]["papermill"]
    assert api.delete(f"{server}{MSD}/configs/light").status_code == 204


def test_live_progress_log_and_cancel(erin):
    api, server = erin["api"], erin["server"]
    write_dt(
        erin["home"],
        "ticker",
        [
            "import time",
            "for i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.1)",
        ],
    )
    run = api.post(f"{server}dtaas/api/runs", json={"dt": "ticker"}).json()
    offset, text = 0, ""
    deadline = time.monotonic() + 60
    while "tick 5" not in text and time.monotonic() < deadline:
        chunk = api.get(f"{server}dtaas/api/runs/{run['id']}/log", params={"offset": offset}).json()
        text += chunk["text"]
        offset = chunk["offset"]
        time.sleep(0.2)
    assert "tick 5" in text
    live = api.get(f"{server}dtaas/api/runs/{run['id']}").json()
    assert live["status"] == "running"
    # no parameters, so papermill injects no cell: the loop is cell 2 of 2
    assert live["progress"]["cells_total"] == 2 and live["progress"]["cell"] == 2
    r = api.post(f"{server}dtaas/api/runs/{run['id']}/cancel")
    assert r.status_code == 202
    record = wait_run(api, server, run["id"], timeout=30)
    assert record["status"] == "cancelled"
    assert api.post(f"{server}dtaas/api/runs/{run['id']}/cancel").status_code == 409
    log = api.get(f"{server}dtaas/api/runs/{run['id']}/log").json()
    assert log["done"] is True and "cancelled" in log["text"]


def test_another_user_cannot_read_log_or_cancel(erin, bob):
    run = erin["api"].post(f"{erin['server']}dtaas/api/runs", json={"dt": "ticker"}).json()
    try:
        for method, path in (("get", "log"), ("post", "cancel"), ("get", "")):
            r = getattr(bob["api"], method)(f"{erin['server']}dtaas/api/runs/{run['id']}/{path}")
            assert r.status_code == 403
        assert erin["api"].get(f"{erin['server']}dtaas/api/runs/{run['id']}").status_code == 200
    finally:
        erin["api"].post(f"{erin['server']}dtaas/api/runs/{run['id']}/cancel")
        wait_run(erin["api"], erin["server"], run["id"], timeout=30)


def test_run_on_a_server_started_for_it_with_a_profile(hub: Hub, erin):
    api, server = erin["api"], erin["server"]
    write_dt(
        erin["home"],
        "where",
        [
            "import os, resource, time\nimport dtaas",
            "dtaas.record('cpus', len(os.sched_getaffinity(0)))\n"
            "dtaas.record('data_limit', resource.getrlimit(resource.RLIMIT_DATA)[0])\n"
            "dtaas.record('profile', os.environ.get('DTAAS_SERVER_PROFILE'))\n"
            "time.sleep(2)\nprint('done on', os.environ.get('JUPYTERHUB_SERVER_NAME'))",
        ],
    )
    profiles = api.get(f"{server}dtaas/api/profiles").json()["profiles"]
    assert {p["name"] for p in profiles} >= {"small", "large"}
    r = api.post(f"{server}dtaas/api/runs", json={"dt": "where", "profile": "small"})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    seen_server = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        record = api.get(f"{server}dtaas/api/runs/{run_id}").json()
        servers = api.get(f"{hub.url}/hub/api/users/erin").json()["servers"]
        if record["server"] and record["server"] in servers:
            seen_server = record["server"]  # shown by the hub while the run runs
        if record["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.3)
    assert record["status"] == "succeeded", record
    assert seen_server == record["server"] and seen_server.startswith("run-")
    assert record["recorded"]["cpus"] == 1
    assert record["recorded"]["profile"] == "small"
    assert record["recorded"]["data_limit"] == 2 * 1024**3
    assert (erin["home"] / record["notebook"]).is_file()
    assert record["notebook"].startswith(record["dir"])
    log = api.get(f"{server}dtaas/api/runs/{run_id}/log").json()["text"]
    assert f"done on {seen_server}" in log and f"server {seen_server} stopped" in log
    servers = api.get(f"{hub.url}/hub/api/users/erin").json()["servers"]
    assert seen_server not in servers  # stopped and removed after the run
    listed = api.get(f"{server}dtaas/api/runs", params={"dt": "where"}).json()["runs"]
    assert [run["id"] for run in listed] == [run_id]  # the server's own run stays hidden


def test_unknown_profile_is_refused(erin):
    r = erin["api"].post(
        f"{erin['server']}dtaas/api/runs", json={"dt": "mass-spring-damper", "profile": "gpu"}
    )
    assert r.status_code == 400 and r.json()["field"] == "profile"


def test_runtime_restarted_mid_run_marks_it_interrupted(hub: Hub):
    user = _user(hub, "frank")
    api, server = user["api"], user["server"]
    write_dt(user["home"], "long", ["import time\ntime.sleep(300)"])
    run = api.post(f"{server}dtaas/api/runs", json={"dt": "long"}).json()
    wait = time.monotonic() + 30
    while api.get(f"{server}dtaas/api/runs/{run['id']}").json()["status"] != "running":
        assert time.monotonic() < wait
        time.sleep(0.2)
    stop = api.delete(f"{hub.url}/hub/api/users/frank/server")
    assert stop.status_code in (202, 204)
    wait = time.monotonic() + 60
    while api.get(f"{hub.url}/hub/api/users/frank").json()["servers"]:
        assert time.monotonic() < wait
        time.sleep(0.3)
    server = hub.spawn("frank", user["token"])
    record = api.get(f"{server}dtaas/api/runs/{run['id']}").json()
    assert record["status"] == "failed" and record["error"] == "interrupted"


def test_admin_access_to_a_workspace_is_logged(hub: Hub, erin):
    admin = hub.api(hub.token(hub.login("admin", ADMIN_PASSWORD), "admin"))
    assert erin["api"].get(f"{erin['server']}dtaas/api/runs").status_code == 200
    r = admin.get(f"{erin['server']}dtaas/api/runs")
    assert r.status_code == 200
    line = "admin access: user 'admin' GET /user/erin/dtaas/api/runs (status 200)"
    deadline = time.monotonic() + 10
    while line not in hub.log_path.read_text(errors="replace"):
        assert time.monotonic() < deadline, hub.log_tail()
        time.sleep(0.2)
    assert "admin access: user 'erin'" not in hub.log_path.read_text(errors="replace")
