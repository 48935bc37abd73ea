"""The platform end to end: a real hub, proxy, library service and single-user servers."""

from __future__ import annotations

import time

import pytest
import requests

from tests.hub import ADMIN_PASSWORD, Hub
from tests.msd import final_positions

pytestmark = pytest.mark.integration


def wait_run(api: requests.Session, server: str, run_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = api.get(f"{server}dtaas/api/runs/{run_id}").json()
        if record["status"] in ("succeeded", "failed", "cancelled"):
            return record
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish: {record}")


def put_file(user: dict, path: str, content: str) -> None:
    """Write a file into the user's workspace through Jupyter's contents API."""
    api = user["api"]
    parts = path.split("/")
    for i in range(1, len(parts)):
        api.put(f"{user['server']}api/contents/{'/'.join(parts[:i])}", json={"type": "directory"})
    r = api.put(
        f"{user['server']}api/contents/{path}",
        json={"type": "file", "format": "text", "content": content},
    )
    assert r.status_code in (200, 201), r.text


def names(assets: list[dict], scope: str) -> set[str]:
    return {a["name"] for a in assets if a["scope"] == scope}


def test_login_page_is_served(hub: Hub):
    r = requests.get(f"{hub.url}/hub/login")
    assert r.status_code == 200 and "password" in r.text.lower()


def test_wrong_password_is_refused(hub: Hub):
    with pytest.raises(AssertionError):
        hub.login("mallory", "not-the-password")


def test_admin_logs_in_with_the_admin_password(hub: Hub):
    session = hub.login("admin", ADMIN_PASSWORD)
    token = hub.token(session, "admin")
    me = hub.api(token).get(f"{hub.url}/hub/api/user").json()
    assert me["admin"] is True
    with pytest.raises(AssertionError):
        hub.login("admin")  # the user password does not make anyone admin


def test_workspace_is_laid_out_with_common_library(alice: dict):
    for folder in ("digital_twins", "functions", "models", "tools", "data"):
        assert (alice["home"] / folder).is_dir()
    listing = alice["api"].get(f"{alice['server']}api/contents/common/digital_twins").json()
    assert "mass-spring-damper" in {c["name"] for c in listing["content"]}


def test_each_user_sees_own_private_library_and_common(hub: Hub, alice: dict, bob: dict):
    put_file(
        alice,
        "digital_twins/alice-twin/dt.yaml",
        "title: Alice's twin\ndescription: Only for Alice.\nlifecycle: {}\n",
    )
    url = f"{hub.url}/services/library/api/assets"
    deadline = time.monotonic() + 10  # the index follows file changes within seconds
    while True:
        mine = alice["api"].get(url).json()["assets"]
        if "alice-twin" in names(mine, "private") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    theirs = bob["api"].get(url).json()["assets"]
    assert "alice-twin" in names(mine, "private")
    assert "alice-twin" not in names(theirs, "private") | names(theirs, "common")
    assert "mass-spring-damper" in names(mine, "common") & names(theirs, "common")
    twin = next(a for a in mine if a["name"] == "alice-twin")
    assert twin["description"] == "Only for Alice." and twin["path"] == "digital_twins/alice-twin"


def test_library_through_the_workspace_runtime(alice: dict):
    r = alice["api"].get(f"{alice['server']}dtaas/api/library")
    assert r.status_code == 200
    msd = next(a for a in r.json()["assets"] if a["name"] == "mass-spring-damper")
    assert msd["steps"] == ["create", "execute", "analyze", "clean"]
    assert msd["path"] == "common/digital_twins/mass-spring-damper"


def test_library_refuses_missing_or_bad_credentials(hub: Hub):
    url = f"{hub.url}/services/library/api/assets"
    for headers in ({}, {"Authorization": "token not-a-token"}):
        r = requests.get(url, headers={"Accept": "application/json", **headers})
        assert r.status_code == 403
        assert "credentials" in r.json()["message"]


def test_library_with_a_browser_session_goes_through_hub_oauth(hub: Hub):
    session = hub.login("carol")
    r = session.get(f"{hub.url}/services/library/api/me", headers={"Accept": "text/html"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "name": "carol",
        "scopes": ["custom:library:read", "custom:library:write"],
        "libraries": ["user:carol", "common"],
    }
    assert any("oauth_callback" in h.url for h in r.history)


def test_run_example_dt_records_values_matching_independent_solution(alice: dict):
    api, server = alice["api"], alice["server"]
    params = {"m1": 1.5, "k2": 15.0, "x2_0": -0.5, "t_end": 8.0}
    r = api.post(
        f"{server}dtaas/api/runs",
        json={"dt": "mass-spring-damper", "step": "execute", "parameters": params},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] in ("queued", "running")
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record
    x1, x2 = final_positions(record["parameters"])
    assert record["recorded"]["x1"] == pytest.approx(x1, abs=1e-6)
    assert record["recorded"]["x2"] == pytest.approx(x2, abs=1e-6)
    run_dir = alice["home"] / record["dir"]
    assert run_dir.parent.parent.name == "runs"
    assert (alice["home"] / record["notebook"]).is_file()
    assert (run_dir / "outputs" / "trajectory.csv").is_file()
    # the executed notebook opens through Jupyter, as the website opens it
    nb = api.get(f"{server}api/contents/{record['notebook']}").json()
    assert nb["type"] == "notebook"
    listed = api.get(f"{server}dtaas/api/runs", params={"dt": "mass-spring-damper"}).json()
    assert record["id"] in [run["id"] for run in listed["runs"]]


@pytest.mark.parametrize(
    ("body", "status", "field", "value"),
    [
        ({"dt": "no-such-twin", "step": "execute"}, 404, "dt", "no-such-twin"),
        ({"dt": "mass-spring-damper", "step": "launch"}, 400, "step", "launch"),
        (
            {"dt": "mass-spring-damper", "step": "execute", "parameters": {"m1": "x"}},
            400,
            "errors",
            "m1",
        ),
        (
            {"dt": "mass-spring-damper", "step": "execute", "parameters": {"gravity": 9.8}},
            400,
            "errors",
            "gravity",
        ),
        (
            {"dt": "mass-spring-damper", "step": "execute", "parameters": {"m1": -1}},
            400,
            "errors",
            "m1",
        ),
        ({"dt": "../../bob", "step": "execute"}, 400, "dt", "../../bob"),
        ({"step": "execute"}, 400, "field", "dt"),
    ],
)
def test_bad_run_requests_name_the_fault_and_write_nothing(alice, body, status, field, value):
    runs = alice["home"] / "runs"
    before = sorted(runs.rglob("*"))
    r = alice["api"].post(f"{alice['server']}dtaas/api/runs", json=body)
    assert r.status_code == status, r.text
    data = r.json()
    if field == "errors":
        assert value in {e["parameter"] for e in data["errors"]}
    else:
        assert data[field] == value
    assert value in data["message"]
    assert sorted(runs.rglob("*")) == before


def test_one_user_cannot_reach_another_users_runs(alice: dict, bob: dict):
    r = bob["api"].get(f"{alice['server']}dtaas/api/runs")
    assert r.status_code == 403
    r = bob["api"].post(
        f"{alice['server']}dtaas/api/runs", json={"dt": "mass-spring-damper", "step": "execute"}
    )
    assert r.status_code == 403
    r = requests.get(f"{alice['server']}dtaas/api/runs", headers={"Accept": "application/json"})
    assert r.status_code in (302, 403)


def test_two_instances_run_side_by_side(hub: Hub, tmp_path):
    other = Hub(tmp_path / "data")
    (tmp_path / "data").mkdir()
    try:
        other.start()
        assert requests.get(f"{other.url}/hub/login").status_code == 200
        assert requests.get(f"{hub.url}/hub/login").status_code == 200
    finally:
        other.stop()
