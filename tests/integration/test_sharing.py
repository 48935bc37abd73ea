"""Sharing through the library service on a real hub: grants and roles, shared with me,
forks with provenance, edits through the library, group admins, publishing to common
with curators and versions, and the audit log."""

from __future__ import annotations

import time

import pytest
import requests
import yaml

from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, CURATOR, Hub
from tests.openapi import OpenAPIChecker

pytestmark = pytest.mark.integration
API = "/services/library/api"


def light_user(hub: Hub, name: str, password: str | None = None) -> dict:
    """A logged-in user with a token and no server (the library needs none)."""
    session = hub.login(name, password) if password else hub.login(name)
    token = hub.token(session, name)
    return {"name": name, "session": session, "api": hub.api(token), "hub": hub.url}


@pytest.fixture(scope="module")
def carol(hub: Hub) -> dict:
    return light_user(hub, "carol")


@pytest.fixture(scope="module")
def curator(hub: Hub) -> dict:
    return light_user(hub, CURATOR)


@pytest.fixture(scope="module")
def admin(hub: Hub) -> dict:
    return light_user(hub, "admin", ADMIN_PASSWORD)


_specs: dict[str, OpenAPIChecker] = {}


def call(hub: Hub, user: dict, method: str, path: str, **kw) -> requests.Response:
    """A library call whose answer is checked against the library's OpenAPI document."""
    r = user["api"].request(method, f"{hub.url}{API}{path}", timeout=30, **kw)
    if hub.url not in _specs:
        _specs[hub.url] = OpenAPIChecker(requests.get(f"{hub.url}{API}/openapi.json").json())
    _specs[hub.url].check(method, path.split("?")[0], r)
    return r


def until(fn, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def indexed(hub: Hub, user: dict, path: str) -> bool:
    return until(lambda: call(hub, user, "GET", path).status_code == 200)


@pytest.fixture(scope="module")
def twin(hub: Hub, alice) -> str:
    """alice's private twin ``shared-osc`` that uses her model ``osc-model``."""
    model = alice["home"] / "models" / "osc-model"
    model.mkdir(parents=True, exist_ok=True)
    (model / "asset.yaml").write_text("title: Oscillator model\n")
    (model / "osc.py").write_text("K = 3\n")
    (model / "__init__.py").write_text("from .osc import K\n")
    write_dt(
        alice["home"],
        "shared-osc",
        ["print('hi')"],
        title="Shared oscillator",
        tags=["oscillator"],
        assets=["mine/models/osc-model"],
    )
    (alice["home"] / "models" / "other-secret").mkdir(exist_ok=True)
    assert indexed(hub, alice, "/assets/private/digital_twins/shared-osc")
    assert indexed(hub, alice, "/assets/private/models/osc-model")
    return "shared-osc"


def grants_path(scope: str = "private", name: str = "shared-osc", kind: str = "digital_twins"):
    return f"/assets/{scope}/{kind}/{name}/grants"


def test_grants_give_exactly_their_role_and_can_be_changed_and_revoked(
    hub: Hub, alice, bob, carol, twin
):
    r = call(hub, alice, "POST", grants_path(), json={"user": "bob", "role": "view"})
    assert r.status_code == 201, r.text
    grant = r.json()
    assert (grant["user"], grant["role"], grant["asset"]) == (
        "bob",
        "view",
        "user:alice/digital_twins/shared-osc",
    )
    listed = call(hub, alice, "GET", grants_path()).json()["grants"]
    assert [g["id"] for g in listed] == [grant["id"]]

    shared = call(hub, bob, "GET", "/search?scope=shared").json()
    item = next(i for i in shared["items"] if i["name"] == twin)
    assert (item["scope"], item["role"]) == ("user:alice", "view")
    assert call(hub, bob, "GET", "/search?scope=shared&q=oscillator").json()["total"] >= 1
    assert call(hub, bob, "GET", "/search?scope=shared&q=nothing-like-it").json()["total"] == 0
    detail = call(hub, bob, "GET", f"/assets/user:alice/digital_twins/{twin}")
    assert detail.status_code == 200 and detail.json()["role"] == "view"
    # the asset the twin uses is there, but view does not describe it; nor anything else
    uses = detail.json()["relations"]["uses"]
    assert (uses[0]["missing"], uses[0]["asset"]) == (False, None)
    assert "Oscillator model" not in detail.text
    assert call(hub, bob, "GET", f"/assets/user:alice/digital_twins/{twin}/files/dt.yaml").ok
    # view does not let bob read the twin's model (run does), nor anything else of alice's
    assert call(hub, bob, "GET", "/assets/user:alice/models/osc-model").status_code == 404
    assert call(hub, bob, "GET", "/assets/user:alice/models/other-secret").status_code == 404
    # nobody else sees it, and bob cannot pass it on
    assert call(hub, carol, "GET", f"/assets/user:alice/digital_twins/{twin}").status_code == 404
    assert call(hub, carol, "GET", "/search?scope=shared").json()["total"] == 0
    r = call(hub, bob, "POST", grants_path("user:alice"), json={"user": "carol", "role": "view"})
    assert r.status_code == 403
    assert call(hub, bob, "GET", grants_path("user:alice")).status_code == 403
    # view cannot fork or edit
    assert (
        call(hub, bob, "POST", f"/assets/user:alice/digital_twins/{twin}/fork").status_code == 403
    )

    # a second grant to bob changes his role; run lets him read the model it uses
    r = call(hub, alice, "POST", grants_path(), json={"user": "bob", "role": "run"})
    assert r.status_code == 200 and r.json()["id"] == grant["id"]
    assert call(hub, bob, "GET", "/assets/user:alice/models/osc-model").status_code == 200
    uses = call(hub, bob, "GET", f"/assets/user:alice/digital_twins/{twin}/relations").json()
    assert uses["uses"][0]["asset"]["title"] == "Oscillator model"
    model = call(hub, bob, "GET", "/assets/user:alice/models/osc-model").json()
    assert {f["path"] for f in model["files"]} >= {"__init__.py", "osc.py"}
    assert call(hub, bob, "GET", "/assets/user:alice/models/other-secret").status_code == 404

    r = call(hub, alice, "PATCH", f"{grants_path()}/{grant['id']}", json={"role": "edit"})
    assert r.status_code == 200 and r.json()["role"] == "edit"
    dt_yaml = f"/assets/user:alice/digital_twins/{twin}/files/dt.yaml"
    broken = call(hub, bob, "PUT", dt_yaml, data=b"title: [unclosed\n")
    assert broken.status_code == 400 and broken.json()["problems"]
    on_disk = alice["home"] / "digital_twins" / twin / "dt.yaml"
    assert "unclosed" not in on_disk.read_text()
    manifest = yaml.safe_load(on_disk.read_text())
    manifest["description"] = "Edited by bob through the library."
    r = call(hub, bob, "PUT", dt_yaml, data=yaml.safe_dump(manifest).encode())
    assert r.status_code == 200, r.text
    assert "Edited by bob" in on_disk.read_text()
    assert on_disk.stat().st_uid == (alice["home"] / "digital_twins").stat().st_uid
    r = call(hub, bob, "PUT", f"/assets/user:alice/digital_twins/{twin}/files/../x", data=b"x")
    assert r.status_code in (400, 404)
    r = call(hub, bob, "PUT", f"/assets/user:alice/digital_twins/{twin}/files/state/x", data=b"x")
    assert r.status_code == 400

    r = call(hub, alice, "DELETE", f"{grants_path()}/{grant['id']}")
    assert r.status_code == 204
    assert call(hub, bob, "GET", f"/assets/user:alice/digital_twins/{twin}").status_code == 404
    assert all(
        i["name"] != twin for i in call(hub, bob, "GET", "/search?scope=shared").json()["items"]
    )


def test_bad_grants_are_refused_naming_the_field(hub: Hub, alice, bob, twin):
    r = call(hub, alice, "POST", grants_path(), json={"user": "nobody-here", "role": "view"})
    assert r.status_code == 404 and r.json()["field"] == "user" and "nobody-here" in r.text
    r = call(hub, alice, "POST", grants_path(), json={"group": "no-such-group", "role": "view"})
    assert r.status_code == 404 and r.json()["field"] == "group"
    r = call(hub, alice, "POST", grants_path(), json={"user": "bob", "role": "admin"})
    assert r.status_code == 400 and r.json()["field"] == "role"
    r = call(hub, alice, "POST", grants_path(), json={"user": "bob", "group": "x", "role": "view"})
    assert r.status_code == 400
    r = call(hub, alice, "PATCH", f"{grants_path()}/999999", json={"role": "view"})
    assert r.status_code == 404
    r = call(hub, alice, "POST", grants_path(name="no-twin"), json={"user": "bob", "role": "view"})
    assert r.status_code == 404


def test_organisation_grant_fork_with_provenance_and_reindex(hub: Hub, alice, carol, admin, twin):
    r = call(hub, alice, "POST", grants_path(), json={"organisation": True, "role": "fork"})
    assert r.status_code == 201, r.text
    org = r.json()
    # grants are not derived from the files: a rebuild of the index keeps them
    assert call(hub, admin, "POST", "/reindex").status_code == 200
    detail = call(hub, carol, "GET", f"/assets/user:alice/digital_twins/{twin}")
    assert detail.status_code == 200 and detail.json()["role"] == "fork"
    r = call(
        hub, carol, "POST", f"/assets/user:alice/digital_twins/{twin}/fork", json={"name": "my-osc"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["scope"], r.json()["name"]) == ("private", "my-osc")
    forked = yaml.safe_load((hub.data_dir / "users/carol/digital_twins/my-osc/dt.yaml").read_text())
    assert forked["forked_from"]["asset"] == "user:alice/digital_twins/shared-osc"
    assert forked["forked_from"]["digest"].startswith("sha256:") and forked["name"] == "my-osc"
    r = call(
        hub, carol, "POST", f"/assets/user:alice/digital_twins/{twin}/fork", json={"name": "my-osc"}
    )
    assert r.status_code == 409 and r.json()["field"] == "name"
    assert call(hub, alice, "DELETE", f"{grants_path()}/{org['id']}").status_code == 204


def test_group_admins_manage_the_group_librarys_grants(hub: Hub, alice, bob, carol, admin):
    api = admin["api"]
    assert api.post(f"{hub.url}/hub/api/groups/sharelab").status_code in (201, 409)
    r = api.post(f"{hub.url}/hub/api/groups/sharelab/users", json={"users": ["alice", "bob"]})
    assert r.status_code == 200, r.text
    r = api.put(f"{hub.url}/hub/api/groups/sharelab/properties", json={"dtaas_admins": ["bob"]})
    assert r.status_code == 200, r.text
    model = hub.data_dir / "groups" / "sharelab" / "models" / "lab-beam"
    model.mkdir(parents=True, exist_ok=True)
    (model / "asset.yaml").write_text("title: Lab beam\n")
    path = "/assets/group:sharelab/models/lab-beam"
    assert indexed(hub, bob, path)
    # the library keeps what it asked the hub about a user for a few seconds (HubGroups
    # ttl): alice, asked about just before, is seen in her new group once that has passed
    assert indexed(hub, alice, path)
    assert call(hub, alice, "GET", path).json()["role"] == "edit"
    assert call(hub, bob, "GET", path).json()["role"] == "owner"
    body = {"user": "carol", "role": "view"}
    assert call(hub, alice, "POST", f"{path}/grants", json=body).status_code == 403
    assert call(hub, carol, "GET", path).status_code == 404
    r = call(hub, bob, "POST", f"{path}/grants", json=body)
    assert r.status_code == 201, r.text
    assert call(hub, carol, "GET", path).json()["role"] == "view"
    assert any(
        i["name"] == "lab-beam"
        for i in call(hub, carol, "GET", "/search?scope=shared").json()["items"]
    )


def test_publish_to_common_through_curators_with_versions(hub: Hub, alice, bob, curator, carol):
    broken = alice["home"] / "digital_twins" / "pub-broken"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "dt.yaml").write_text("title: Broken\nlifecycle: 3\n")
    write_dt(alice["home"], "pub-osc", ["print(1)"], title="Published oscillator")
    assert indexed(hub, alice, "/assets/private/digital_twins/pub-osc")
    assert indexed(hub, alice, "/assets/private/digital_twins/pub-broken")

    r = call(
        hub,
        alice,
        "POST",
        "/publish",
        json={"asset": "mine/digital_twins/pub-broken", "version": "1.0"},
    )
    assert r.status_code == 400 and r.json()["problems"], r.text
    r = call(
        hub,
        alice,
        "POST",
        "/publish",
        json={"asset": "mine/digital_twins/pub-osc", "version": "one"},
    )
    assert r.status_code == 400 and r.json()["field"] == "version"
    ask = {"asset": "mine/digital_twins/pub-osc", "version": "1.0", "note": "first"}
    r = call(hub, alice, "POST", "/publish", json=ask)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "pending" and first["target"] == "common/digital_twins/pub-osc"
    assert call(hub, alice, "POST", "/publish", json=ask).status_code == 409
    # others cannot publish alice's twin, see the queue, or decide
    r = call(hub, bob, "POST", "/publish", json=ask)
    assert r.status_code == 400 or r.status_code == 404
    assert call(hub, bob, "GET", "/publish?queue=pending").status_code == 403
    assert call(hub, bob, "POST", f"/publish/{first['id']}/approve").status_code == 403
    assert call(hub, bob, "GET", f"/publish/{first['id']}").status_code == 404

    queue = call(hub, curator, "GET", "/publish?queue=pending").json()["requests"]
    mine = next(q for q in queue if q["id"] == first["id"])
    assert {d["path"] for d in mine["diff"]} >= {"dt.yaml"}
    assert all(d["status"] == "added" for d in mine["diff"])
    r = call(hub, curator, "POST", f"/publish/{first['id']}/reject", json={})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = call(
        hub, curator, "POST", f"/publish/{first['id']}/reject", json={"reason": "add a README"}
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    mine = next(
        q for q in call(hub, alice, "GET", "/publish").json()["requests"] if q["id"] == first["id"]
    )
    assert (mine["status"], mine["reason"], mine["decided_by"]) == (
        "rejected",
        "add a README",
        CURATOR,
    )
    assert not (hub.data_dir / "common" / "digital_twins" / "pub-osc").exists()

    (alice["home"] / "digital_twins" / "pub-osc" / "README.md").write_text("# Oscillator\n")
    r = call(hub, alice, "POST", "/publish", json=ask)
    assert r.status_code == 201, r.text
    r = call(hub, curator, "POST", f"/publish/{r.json()['id']}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    common = hub.data_dir / "common" / "digital_twins" / "pub-osc"
    assert yaml.safe_load((common / "dt.yaml").read_text())["version"] == "1.0"
    assert indexed(hub, carol, "/assets/common/digital_twins/pub-osc")

    (alice["home"] / "digital_twins" / "pub-osc" / "README.md").write_text("# Oscillator v1.1\n")
    r = call(
        hub, alice, "POST", "/publish", json={**ask, "version": "1.1", "note": "better README"}
    )
    second = r.json()
    detail = call(hub, curator, "GET", f"/publish/{second['id']}").json()
    changed = {d["path"]: d for d in detail["diff"]}
    assert changed["README.md"]["status"] == "changed" and "v1.1" in changed["README.md"]["diff"]
    assert call(hub, curator, "POST", f"/publish/{second['id']}/approve").status_code == 200
    versions = call(hub, carol, "GET", "/assets/common/digital_twins/pub-osc/versions").json()[
        "versions"
    ]
    assert [(v["version"], v["current"]) for v in versions] == [("1.0", False), ("1.1", True)]
    assert "v1.1" in (common / "README.md").read_text()
    # an earlier version can be chosen: carol forks 1.0
    r = call(
        hub,
        carol,
        "POST",
        "/assets/common/digital_twins/pub-osc/fork",
        json={"name": "osc-10", "version": "1.0"},
    )
    assert r.status_code == 201, r.text
    assert "v1.1" not in (hub.data_dir / "users/carol/digital_twins/osc-10/README.md").read_text()
    # common stays the curators' to write
    assert common.stat().st_uid == 0 and not common.stat().st_mode & 0o022


def test_the_audit_log_is_for_admins(hub: Hub, alice, admin):
    r = call(hub, alice, "GET", "/audit")
    assert r.status_code == 403
    r = call(hub, alice, "POST", "/audit", json={"action": "grant", "target": "x"})
    assert r.status_code == 400 and r.json()["field"] == "action"
    r = call(
        hub,
        alice,
        "POST",
        "/audit",
        json={"action": "share", "target": "alice/", "detail": {"user": "bob"}},
    )
    assert r.status_code == 204
    events = call(hub, admin, "GET", "/audit?limit=1000").json()["events"]
    actions = {e["action"] for e in events}
    assert {"grant", "revoke", "fork", "edit", "share"} <= actions, actions
    share = next(e for e in events if e["action"] == "share")
    assert (share["actor"], share["detail"]) == ("alice", {"user": "bob"})
    only = call(hub, admin, "GET", "/audit?action=revoke").json()["events"]
    assert only and all(e["action"] == "revoke" for e in only)


def test_the_workspace_passes_every_sharing_call_to_the_library(hub: Hub, alice, bob, twin):
    """Lab reaches the library through its own server: writes and deletes pass too."""
    base = f"{alice['server']}dtaas/api/library/assets/private/digital_twins/{twin}"
    api = alice["api"]
    r = api.post(f"{base}/grants", json={"user": "bob", "role": "view"})
    assert r.status_code == 201, r.text
    r = api.patch(f"{base}/grants/{r.json()['id']}", json={"role": "run"})
    assert r.status_code == 200 and r.json()["role"] == "run"
    assert api.delete(f"{base}/grants/{r.json()['id']}").status_code == 204
    r = api.put(f"{base}/files/notes.txt", data=b"written from Lab\n")
    assert r.status_code == 200, r.text
    assert (
        alice["home"] / "digital_twins" / twin / "notes.txt"
    ).read_text() == "written from Lab\n"
    r = api.put(f"{base}/files/dt.yaml", data=b"lifecycle: 3\n")
    assert r.status_code == 400 and r.json()["problems"]
