"""The workspace runtime's answers follow its OpenAPI document, which it serves."""

from __future__ import annotations

import time

import pytest

from tests.dts import write_dt
from tests.integration.test_platform import wait_run
from tests.openapi import runtime_api

pytestmark = pytest.mark.integration
MSD = "dts/common/mass-spring-damper"


@pytest.fixture(scope="module")
def api(alice):
    """Calls ``/dtaas/api/<path>`` as alice and checks each answer against the document."""
    return runtime_api(alice)


def test_twin_configurations_and_validation_follow_the_document(api):
    assert api("GET", "profiles").json()["profiles"]
    assert api("GET", MSD).json()["steps"]
    assert api("GET", "dts/common/no-such-twin").status_code == 404
    assert api("GET", "dts/common/bad%20name").status_code == 400
    assert api("PUT", f"{MSD}/configs/spec-light", json={"values": {"m1": 0.5}}).ok
    assert api("GET", f"{MSD}/configs/spec-light").json()["values"] == {"m1": 0.5}
    assert api("PUT", f"{MSD}/configs/spec-bad", json={"values": {"m1": -1}}).status_code == 400
    assert api("GET", f"{MSD}/configs/default").json()["readonly"] is True
    assert api("DELETE", f"{MSD}/configs/default").status_code == 403
    assert api("DELETE", f"{MSD}/configs/spec-light").status_code == 204
    assert api("GET", f"{MSD}/configs/spec-light").status_code == 404
    assert api("POST", f"{MSD}/validate", json={"values": {"m2": 2}}).json()["valid"] is True
    bad = api("POST", f"{MSD}/validate", json={"values": {"n_points": 1}})
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "n_points"
    big = api("POST", f"{MSD}/validate", data=b'{"values": "' + b"x" * (2 << 20) + b'"}')
    assert big.status_code == 413


def test_runs_their_log_and_cancel_follow_the_document(api, alice):
    run = api("POST", "runs", json={"dt": "mass-spring-damper", "step": "create"}).json()
    assert run["status"] in ("queued", "running")
    done = wait_run(alice["api"], alice["server"], run["id"])
    assert done["status"] == "succeeded"
    assert api("GET", f"runs/{run['id']}").json()["id"] == run["id"]
    assert api("GET", f"runs/{run['id']}/log?offset=0").json()["text"]
    assert api("GET", f"runs/{run['id']}/log?offset=x").status_code == 400
    assert api("GET", "runs?dt=mass-spring-damper&limit=5").json()["runs"]
    assert api("GET", "runs?limit=0").status_code == 400
    assert api("POST", f"runs/{run['id']}/cancel").status_code == 409
    assert api("GET", "runs/no-such-run").status_code == 404
    assert api("POST", "runs", json={"dt": "mass-spring-damper", "step": "x"}).status_code == 400
    assert api("POST", "runs", json={"dt": "nowhere"}).status_code == 404

    write_dt(alice["home"], "spec-slow", ["import time", "time.sleep(120)"])
    slow = api("POST", "runs", json={"dt": "spec-slow"}).json()
    deadline = time.monotonic() + 60
    while api("GET", f"runs/{slow['id']}").json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert api("POST", f"runs/{slow['id']}/cancel").status_code == 202
    assert wait_run(alice["api"], alice["server"], slow["id"])["status"] == "cancelled"


def test_live_runs_save_stop_and_snapshots_follow_the_document(api, alice):
    write_dt(
        alice["home"],
        "spec-live",
        ["import dtaas", "for tick in dtaas.ticks(0.05):\n    dtaas.record('x', tick, t=tick)"],
    )
    run = api("POST", "runs", json={"dt": "spec-live"}).json()
    deadline = time.monotonic() + 60
    while not (api("GET", f"runs/{run['id']}").json().get("live") or {}).get("tick"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    first = api("POST", f"runs/{run['id']}/save", json={"label": "one"})
    assert first.status_code == 201 and first.json()["live"] is True
    second = api("POST", f"runs/{run['id']}/save", json={}).json()
    assert api("POST", f"runs/{run['id']}/save", json={"label": ["x"]}).status_code == 400
    assert api("POST", f"runs/{run['id']}/stop").status_code == 202
    done = wait_run(alice["api"], alice["server"], run["id"])
    assert done["status"] == "succeeded" and done["live"]["running"] is False
    assert api("POST", f"runs/{run['id']}/stop").status_code == 409
    assert api("POST", "runs/no-such-run/save", json={}).status_code == 404
    listed = api("GET", "snapshots?dt=spec-live&limit=10").json()["snapshots"]
    assert [s["id"] for s in listed] == [second["id"], first.json()["id"]]
    assert api("GET", "snapshots?limit=x").status_code == 400
    one = first.json()["id"]
    assert api("GET", f"snapshots/{one}").json()["files"]
    assert api("PATCH", f"snapshots/{one}", json={"label": "renamed"}).json()["label"] == "renamed"
    assert api("PATCH", f"snapshots/{one}", json={}).status_code == 400
    changes = api("GET", f"snapshots/{one}/diff?other={second['id']}").json()
    assert "outputs/records/x.csv" in changes["files"]["changed"]
    assert api("GET", f"snapshots/{one}/diff").status_code == 400
    assert api("GET", "snapshots/not.an.id").status_code == 400
    assert api("GET", "snapshots/20990101T000000000-abcdef").status_code == 404
    assert api("POST", f"snapshots/{one}/respawn", json={"step": "analyze"}).status_code == 400
    again = api("POST", f"snapshots/{one}/respawn", json={"timeout": 60})
    assert again.status_code == 201 and again.json()["snapshot"] == one
    while not (api("GET", f"runs/{again.json()['id']}").json().get("live") or {}).get("running"):
        assert time.monotonic() < deadline + 60
        time.sleep(0.1)
    assert api("POST", f"runs/{again.json()['id']}/stop").status_code == 202
    wait_run(alice["api"], alice["server"], again.json()["id"])
    assert api("DELETE", f"snapshots/{one}").status_code == 204
    assert api("GET", f"snapshots/{one}").status_code == 404
