"""Results shared read-only through the library on a real hub: a run's record, page,
notebooks and outputs for those it is shared with and 404 for anyone else; a snapshot
imported into another user's workspace and respawned there to the same end."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
import requests

from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_platform import wait_run
from tests.openapi import OpenAPIChecker, runtime_api

pytestmark = pytest.mark.integration
LIB = "/services/library"
MSD = "mass-spring-damper"
GROUP = "results-lab"


@pytest.fixture(scope="module")
def spec(hub: Hub) -> OpenAPIChecker:
    r = requests.get(f"{hub.url}{LIB}/api/openapi.json")
    assert r.status_code == 200
    return OpenAPIChecker(r.json())


@pytest.fixture(scope="module")
def carol(hub: Hub) -> dict:
    """A user with no server, in the group GROUP (made before she first asks anything)."""
    admin = hub.api(hub.token(hub.login("admin", ADMIN_PASSWORD), "admin"))
    session = hub.login("carol")
    assert admin.post(f"{hub.url}/hub/api/groups/{GROUP}").status_code in (201, 409)
    r = admin.post(f"{hub.url}/hub/api/groups/{GROUP}/users", json={"users": ["carol"]})
    assert r.status_code == 200, r.text
    return {"name": "carol", "api": hub.api(hub.token(session, "carol"))}


@pytest.fixture(scope="module")
def run(alice) -> dict:
    """Alice's run of the common mass-spring-damper, saved after its execute step."""
    api, server = alice["api"], alice["server"]
    r = api.post(
        f"{server}dtaas/api/runs",
        json={"dt": MSD, "steps": ["execute"], "save_after": ["execute"]},
    )
    assert r.status_code == 201, r.text
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    assert len(record["snapshots"]) == 1
    return record


def lib(hub: Hub, user: dict, method: str, path: str, spec: OpenAPIChecker | None = None, **kw):
    r = user["api"].request(method, f"{hub.url}{LIB}/api{path}", **kw)
    if spec is not None:
        spec.check(method, path.split("?")[0], r)
    return r


def audit(hub: Hub) -> list[tuple[str, str, str]]:
    with sqlite3.connect(hub.data_dir / "library" / "index.sqlite") as db:
        rows = db.execute(
            "SELECT actor, action, target FROM audit WHERE action LIKE 'result-%' ORDER BY id"
        )
        return list(rows)


def test_a_shared_run_is_read_only_for_those_it_is_shared_with(hub, spec, alice, bob, carol, run):
    rid, x1 = run["id"], run["recorded"]["x1"]
    mine = f"/results/runs/{MSD}/{rid}"
    theirs = f"/results/runs/alice/{MSD}/{rid}"
    page = f"{hub.url}{LIB}/results/runs/alice/{MSD}/{rid}"

    # nobody but alice sees it, as if it did not exist
    for who in (bob, carol):
        assert lib(hub, who, "GET", theirs, spec).status_code == 404
        r = lib(hub, who, "GET", f"{theirs}/files/outputs/trajectory.csv", spec)
        assert r.status_code == 404
        assert who["api"].get(page).status_code == 404
    assert lib(hub, alice, "GET", theirs, spec).json()["result"]["role"] == "owner"
    assert lib(hub, bob, "GET", f"{mine}/grants", spec).status_code == 404  # not his run
    missing = f"/results/runs/{MSD}/20990101T000000000-abcdef/grants"
    assert lib(hub, alice, "GET", missing, spec).status_code == 404
    assert lib(hub, alice, "GET", f"/results/runs/{MSD}/no-such/grants", spec).status_code == 404

    # sharing names a real user or group, once
    r = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"user": "bob"})
    assert r.status_code == 201, r.text
    grant = r.json()
    assert grant["result"] == f"runs/alice/{MSD}/{rid}" and grant["user"] == "bob"
    again = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"user": "bob"})
    assert again.status_code == 200 and again.json()["id"] == grant["id"]
    r = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"user": "no-such-user"})
    assert r.status_code == 404 and r.json()["field"] == "user"
    r = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"group": "no-such-group"})
    assert r.status_code == 404 and r.json()["field"] == "group"
    assert lib(hub, alice, "POST", f"{mine}/grants", spec, json={}).status_code == 400
    r = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"user": "bob", "role": "edit"})
    assert r.status_code == 400 and r.json()["field"] == "role"
    listed = lib(hub, alice, "GET", f"{mine}/grants", spec).json()["grants"]
    assert [g["user"] for g in listed] == ["bob"]

    # bob: listed, its record with the recorded values, the page, a notebook, an output
    shared = lib(hub, bob, "GET", "/results/shared", spec).json()["results"]
    item = next(i for i in shared if i["id"] == rid)
    assert item["kind"] == "runs" and item["owner"] == "alice" and item["url"].endswith(rid)
    record = lib(hub, bob, "GET", theirs, spec).json()
    assert record["recorded"]["x1"] == x1 and record["parameters"] == run["parameters"]
    assert record["result"]["role"] == "view"
    paths = {f["path"] for f in record["result"]["files"]}
    assert {"outputs/trajectory.csv", "outputs/trajectory.png", "execute.ipynb"} <= paths
    assert [n["name"] for n in record["result"]["notebooks"]] == ["execute"]

    html = bob["api"].get(page, headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert json.dumps(x1) in html.text and "Two-mass spring-damper" in html.text
    assert f'src="{LIB}/api/results/runs/alice/{MSD}/{rid}/files/outputs/trajectory.png"' in (
        html.text
    )
    nb = lib(hub, bob, "GET", f"{theirs}/notebooks/execute.html", spec)
    assert nb.status_code == 200 and "script-src" not in nb.headers["Content-Security-Policy"]
    settling = run["recorded"]["settling_time"]
    assert f"settling time (2 % band of x1) = {settling:.3f} s" in nb.text
    assert lib(hub, bob, "GET", f"{theirs}/notebooks/analyze.html", spec).status_code == 404

    csv = lib(hub, bob, "GET", f"{theirs}/files/outputs/trajectory.csv", spec)
    folder = alice["home"] / "runs" / MSD / rid
    assert csv.status_code == 200
    assert csv.content == (folder / "outputs" / "trajectory.csv").read_bytes()
    assert "attachment" in csv.headers["Content-Disposition"]

    # confined to the run's folder: climbing, hidden files, links and other files refused
    for path, status in (
        ("..%2F..%2F..%2Fbob%2F.bashrc", 400),
        ("outputs%2F..%2Frun.json", 400),
        ("outputs/.hidden", 400),
        ("%2Fetc%2Fpasswd", 400),
        ("run.json", 404),
        ("control.json", 404),
        ("outputs/no-such.csv", 404),
    ):
        r = lib(hub, bob, "GET", f"{theirs}/files/{path}", spec)
        assert r.status_code == status, (path, r.status_code, r.text)
    os.symlink("/etc/passwd", folder / "outputs" / "leak")
    os.symlink("/etc", folder / "outputs" / "etc")
    try:
        assert lib(hub, bob, "GET", f"{theirs}/files/outputs/leak", spec).status_code == 403
        assert lib(hub, bob, "GET", f"{theirs}/files/outputs/etc/passwd", spec).status_code == 403
        paths = {f["path"] for f in lib(hub, bob, "GET", theirs).json()["result"]["files"]}
        assert not {"outputs/leak", "outputs/etc"} & paths
    finally:
        (folder / "outputs" / "leak").unlink()
        (folder / "outputs" / "etc").unlink()

    # read-only: what bob may do to it is nothing
    assert lib(hub, bob, "POST", f"{mine}/grants", spec, json={"user": "carol"}).status_code == 404
    r = lib(hub, bob, "DELETE", f"{mine}/grants/{grant['id']}", spec)
    assert r.status_code == 404
    assert lib(hub, carol, "GET", theirs, spec).status_code == 404

    # a group: its members see it while it is shared with the group
    r = lib(hub, alice, "POST", f"{mine}/grants", spec, json={"group": GROUP})
    assert r.status_code == 201 and r.json()["group"] == GROUP
    assert lib(hub, carol, "GET", theirs, spec).json()["recorded"]["x1"] == x1
    assert lib(hub, alice, "DELETE", f"{mine}/grants/{r.json()['id']}", spec).status_code == 204
    assert lib(hub, carol, "GET", theirs, spec).status_code == 404

    # revoked: gone for bob, page and files too
    assert lib(hub, alice, "DELETE", f"{mine}/grants/{grant['id']}", spec).status_code == 204
    assert lib(hub, alice, "DELETE", f"{mine}/grants/{grant['id']}", spec).status_code == 404
    assert lib(hub, bob, "GET", theirs, spec).status_code == 404
    assert lib(hub, bob, "GET", f"{theirs}/notebooks/execute.html", spec).status_code == 404
    assert bob["api"].get(page).status_code == 404
    shared = lib(hub, bob, "GET", "/results/shared", spec).json()["results"]
    assert rid not in {i["id"] for i in shared}

    target = f"runs/alice/{MSD}/{rid}"
    events = [e for e in audit(hub) if e[2] == target]
    assert events == [
        ("alice", "result-grant", target),
        ("alice", "result-grant", target),
        ("alice", "result-revoke", target),
        ("alice", "result-revoke", target),
    ]


def test_a_person_opening_the_link_without_a_session_is_sent_to_log_in(hub, run):
    url = f"{hub.url}{LIB}/results/runs/alice/{MSD}/{run['id']}"
    r = requests.get(url, headers={"Accept": "text/html"}, allow_redirects=False)
    assert r.status_code == 302 and "oauth2/authorize" in r.headers["Location"]
    assert run["id"] not in r.text


def test_a_shared_snapshot_is_imported_and_respawned_to_the_same_end(hub, spec, alice, bob, run):
    sid = run["snapshots"][0]
    mine = f"/results/snapshots/{MSD}/{sid}"
    theirs = f"/results/snapshots/alice/{MSD}/{sid}"
    bob_api = runtime_api(bob)
    body = {"owner": "alice", "dt": MSD, "id": sid}
    # not shared yet: the library answers 404 and nothing is written
    r = bob_api("POST", "snapshots/import", json=body)
    assert r.status_code == 404, r.text
    assert bob_api("POST", "snapshots/import", json={**body, "id": "../x"}).status_code == 400

    assert lib(hub, alice, "POST", f"{mine}/grants", spec, json={"user": "bob"}).status_code == 201
    record = lib(hub, bob, "GET", theirs, spec).json()
    assert record["id"] == sid and record["parameters"] == run["parameters"]
    names = {v["name"] for v in record["variables"]}
    assert {"x1", "t", "settling_time"} <= names
    page = bob["api"].get(f"{hub.url}{LIB}/results/snapshots/alice/{MSD}/{sid}")
    assert page.status_code == 200 and "snapshots/import" in page.text
    sha = record["files"][0]["sha256"]
    blob = lib(hub, bob, "GET", f"{theirs}/blobs/{sha}", spec)
    assert blob.status_code == 200 and len(blob.content) == record["files"][0]["size"]
    assert lib(hub, bob, "GET", f"{theirs}/blobs/{'0' * 64}", spec).status_code == 404
    png = lib(hub, bob, "GET", f"{theirs}/files/outputs/trajectory.png", spec)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    r = bob_api("POST", "snapshots/import", json=body)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["id"] != sid and copy["imported_from"]["owner"] == "alice"
    assert copy["imported_from"]["id"] == sid and copy["scope"] == "common"
    assert {f["sha256"] for f in copy["files"]} == {f["sha256"] for f in record["files"]}
    assert bob_api("GET", f"snapshots/{copy['id']}").json()["imported_from"]["id"] == sid

    r = bob_api("POST", f"snapshots/{copy['id']}/respawn", json={})
    assert r.status_code == 201, r.text
    again = wait_run(bob["api"], bob["server"], r.json()["id"])
    assert again["status"] == "succeeded", again["error"]
    assert again["snapshot"] == copy["id"] and again["steps"] == ["execute"]
    for name in ("x1", "x2", "settling_time"):
        assert again["recorded"][name] == run["recorded"][name]
    ours = bob["home"] / "runs" / MSD / again["id"] / "outputs" / "trajectory.csv"
    original = alice["home"] / "runs" / MSD / run["id"] / "outputs" / "trajectory.csv"
    assert ours.read_bytes() == original.read_bytes()

    # revoked: no more imports
    grant = lib(hub, alice, "GET", f"{mine}/grants", spec).json()["grants"][0]
    assert lib(hub, alice, "DELETE", f"{mine}/grants/{grant['id']}", spec).status_code == 204
    assert bob_api("POST", "snapshots/import", json=body).status_code == 404
    assert lib(hub, bob, "GET", f"{theirs}/blobs/{sha}", spec).status_code == 404
