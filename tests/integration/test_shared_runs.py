"""A twin alice shares with bob runs in bob's workspace: fetched through the library with
the model of hers it imports, configured and run with bob's own configurations and
state, as changed when alice changes it, and refused (its copy gone) once revoked."""

from __future__ import annotations

import time

import pytest

from asset_library.fsutil import own_like
from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_platform import wait_run
from tests.openapi import runtime_api

pytestmark = pytest.mark.integration
API = "/services/library/api"
DT = "shared-amp"
MODEL = "shared-gain"


def library(hub: Hub, user: dict, method: str, path: str, **kw):
    return user["api"].request(method, f"{hub.url}{API}/{path}", timeout=30, **kw)


def runtime(user: dict, method: str, path: str, **kw):
    return user["api"].request(method, f"{user['server']}dtaas/api/{path}", timeout=60, **kw)


def until(fn, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := fn()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def write_model(home, factor: int) -> None:
    model = home / "models" / MODEL
    model.mkdir(parents=True, exist_ok=True)
    (model / "asset.yaml").write_text("title: Shared gain\n")
    (model / "shared_gain.py").write_text(f"def gain(x):\n    return {factor} * x\n")
    own_like(model.parent, home)


@pytest.fixture(scope="module")
def twin(hub: Hub, alice) -> str:
    """alice's twin that imports her model, and records what bob's kernel may read."""
    write_model(alice["home"], 3)
    write_dt(
        alice["home"],
        DT,
        [
            "import os\n"
            "import dtaas\n"
            "from shared_gain import gain\n"
            "dtaas.record('y', gain(k))\n"
            "dtaas.record('model', str(dtaas.asset('mine/models/shared-gain')))\n"
            "try:\n"
            "    os.listdir(probe)\n"
            "    readable = True\n"
            "except PermissionError:\n"
            "    readable = False\n"
            "dtaas.record('readable', readable)\n"
            "(dtaas.context().state_dir / 'seen').write_text('bob')\n",
        ],
        schema={
            "type": "object",
            "properties": {
                "k": {"type": "number", "default": 1},
                "probe": {"type": "string", "default": ""},
            },
        },
        title="Shared amplifier",
        assets=[f"mine/models/{MODEL}"],
    )
    found = until(
        lambda: (
            library(hub, alice, "GET", f"assets/private/digital_twins/{DT}").ok
            and library(hub, alice, "GET", f"assets/private/models/{MODEL}").ok
        )
    )
    assert found, "alice's twin was not indexed"
    return DT


def test_a_shared_twin_runs_in_bobs_workspace_until_revoked(hub: Hub, alice, bob, twin):
    path = f"dts/user:alice/{twin}"
    before = runtime(bob, "GET", path)
    assert before.status_code == 404, before.text  # not shared yet

    r = library(
        hub,
        alice,
        "POST",
        f"assets/private/digital_twins/{twin}/grants",
        json={"user": "bob", "role": "run"},
    )
    assert r.status_code == 201, r.text
    grant = r.json()

    described = runtime(bob, "GET", path)
    assert described.status_code == 200, described.text
    body = described.json()
    assert (
        body["scope"] == "user:alice" and body["path"] == f"shared/user-alice/digital_twins/{twin}"
    )
    assert "k" in body["parameters"]["properties"]
    escaped = runtime(bob, "GET", f"dts/user%3Aalice/{twin}")  # as a browser sends it
    assert escaped.status_code == 200 and escaped.json()["scope"] == "user:alice", escaped.text
    copy = bob["home"] / "shared" / "user-alice"
    assert (copy / "digital_twins" / twin / "dt.yaml").is_file()
    assert (copy / "models" / MODEL / "shared_gain.py").is_file()
    assert (copy / "models" / MODEL).stat().st_uid == bob["home"].stat().st_uid  # bob's own

    saved = runtime(bob, "PUT", f"{path}/configs/big", json={"values": {"k": 5}})
    assert saved.status_code == 200, saved.text
    assert (bob["home"] / "configs" / "user-alice" / twin / "big.yaml").is_file()

    request = {
        "dt": twin,
        "scope": "user:alice",
        "config": "big",
        "parameters": {"probe": str(alice["home"])},
    }
    started = runtime(bob, "POST", "runs", json=request)
    assert started.status_code == 201, started.text
    run = wait_run(bob["api"], bob["server"], started.json()["id"])
    assert run["status"] == "succeeded", run.get("error")
    assert run["recorded"]["y"] == 15
    assert run["recorded"]["model"].startswith(str(copy / "models"))
    assert run["recorded"]["readable"] is False  # his kernel cannot open alice's home
    assert run["state_dir"] == f"state/user-alice/{twin}"
    assert (bob["home"] / "state" / "user-alice" / twin / "seen").read_text() == "bob"
    assert not (alice["home"] / "digital_twins" / twin / "state" / "seen").exists()

    write_model(alice["home"], 4)  # alice changes her model: bob's next run uses it
    again = runtime(bob, "POST", "runs", json=request)
    assert again.status_code == 201, again.text
    run = wait_run(bob["api"], bob["server"], again.json()["id"])
    assert run["status"] == "succeeded", run.get("error")
    assert run["recorded"]["y"] == 20

    r = library(hub, alice, "DELETE", f"assets/private/digital_twins/{twin}/grants/{grant['id']}")
    assert r.status_code == 204, r.text
    refused = runtime(bob, "POST", "runs", json=request)
    assert refused.status_code in (403, 404), refused.text
    assert twin in refused.json()["message"]
    assert not (copy / "digital_twins" / twin).exists()
    assert not (copy / "models" / MODEL).exists()
    assert (bob["home"] / "configs" / "user-alice" / twin / "big.yaml").is_file()  # his own
    assert runtime(bob, "GET", path).status_code in (403, 404)


def test_a_view_grant_shows_the_twin_but_does_not_run_it(hub: Hub, alice, bob, twin):
    """With view, bob may open the twin's form, but not run it, nor read alice's model."""
    r = library(
        hub,
        alice,
        "POST",
        f"assets/private/digital_twins/{twin}/grants",
        json={"user": "bob", "role": "view"},
    )
    assert r.status_code in (200, 201), r.text
    try:
        api = runtime_api(bob)  # answers checked against the runtime's document
        fetched = api("POST", f"shared/user:alice/{twin}/fetch")
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["role"] == "view" and fetched.json()["assets"] == []
        assert api("DELETE", f"shared/user:alice/{twin}").status_code == 204
        assert api("DELETE", f"shared/user:alice/{twin}").status_code == 404
        assert api("GET", f"dts/user:alice/{twin}").status_code == 200
        copy = bob["home"] / "shared" / "user-alice"
        assert (copy / "digital_twins" / twin / "dt.yaml").is_file()
        assert not (copy / "models" / MODEL).exists()
        refused = runtime(bob, "POST", "runs", json={"dt": twin, "scope": "user:alice"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["role"] == "view" and "run" in refused.json()["message"]
    finally:
        library(
            hub, alice, "DELETE", f"assets/private/digital_twins/{twin}/grants/{r.json()['id']}"
        )


def test_a_scope_that_is_no_library_is_refused(bob):
    r = runtime(bob, "POST", "runs", json={"dt": "x", "scope": "user:../../etc"})
    assert r.status_code == 400 and r.json()["scope"]
    r = runtime(bob, "POST", "shared/common/x/fetch")
    assert r.status_code == 404


def test_a_group_twin_runs_for_someone_outside_the_group(hub: Hub, alice, bob):
    """A twin of group runlab (alice its admin), shared with bob, who is not in it: it
    runs from bob's shared/group-runlab/, with his own state, until alice revokes it."""
    admin = hub.api(hub.token(hub.login("admin", ADMIN_PASSWORD), "admin"))
    assert admin.post(f"{hub.url}/hub/api/groups/runlab").status_code in (201, 409)
    r = admin.post(f"{hub.url}/hub/api/groups/runlab/users", json={"users": ["alice"]})
    assert r.status_code == 200, r.text
    r = admin.put(f"{hub.url}/hub/api/groups/runlab/properties", json={"dtaas_admins": ["alice"]})
    assert r.status_code == 200, r.text
    write_dt(
        hub.data_dir / "groups" / "runlab", "lab-counter", ["import dtaas\ndtaas.record('n', 7)"]
    )
    asset = "assets/group:runlab/digital_twins/lab-counter"
    assert until(lambda: library(hub, alice, "GET", asset).ok), "the group twin was not indexed"
    r = library(hub, alice, "POST", f"{asset}/grants", json={"user": "bob", "role": "run"})
    assert r.status_code == 201, r.text
    request = {"dt": "lab-counter", "scope": "group:runlab"}
    started = runtime(bob, "POST", "runs", json=request)
    assert started.status_code == 201, started.text
    run = wait_run(bob["api"], bob["server"], started.json()["id"])
    assert run["status"] == "succeeded", run.get("error")
    assert run["recorded"]["n"] == 7 and run["state_dir"] == "state/group-runlab/lab-counter"
    copy = bob["home"] / "shared" / "group-runlab" / "digital_twins" / "lab-counter"
    assert (copy / "dt.yaml").is_file()
    assert not (bob["home"] / "groups" / "runlab").exists()

    assert library(hub, alice, "DELETE", f"{asset}/grants/{r.json()['id']}").status_code == 204
    refused = runtime(bob, "POST", "runs", json=request)
    assert refused.status_code == 404, refused.text
    assert not copy.exists()
