"""Live sharing on a real hub: alice shares her workspace and a run server through her
runtime's API, with a user, a group and by link; bob reaches them while shared, and not
after; an expired link is refused; every share, revoke and use is in the audit log."""

from __future__ import annotations

import re
import sqlite3

import pytest
import requests

from tests.hub import ADMIN_PASSWORD, Hub
from tests.openapi import runtime_api

pytestmark = pytest.mark.integration
GROUP = "live-viewers"
RUN_SERVER = "run-shared"


@pytest.fixture(scope="module")
def api(alice):
    return runtime_api(alice)


@pytest.fixture(scope="module")
def admin_api(hub: Hub) -> requests.Session:
    session = hub.login("admin", ADMIN_PASSWORD)
    return hub.api(hub.token(session, "admin"))


@pytest.fixture(scope="module", autouse=True)
def audit_mark(hub: Hub, admin_api) -> int:
    """The newest audit event before this module's shares: other tests share too."""
    r = admin_api.get(f"{hub.url}/services/library/api/audit?limit=1")
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    return events[0]["id"] if events else 0


def reach(hub: Hub, user: dict, server_url: str) -> int:
    """What a new token of ``user`` gets from a server's Jupyter API (a server keeps the
    hub's answer about a token it has seen for a while)."""
    api = hub.api(hub.token(user["session"], user["name"]))
    return api.get(f"{server_url}api/status", allow_redirects=False).status_code


def accept(hub: Hub, user: dict, accept_url: str) -> requests.Response:
    """Accept a share code as a person does: open the hub's page, press Accept."""
    page = user["session"].get(f"{hub.url}{accept_url}", allow_redirects=False)
    if page.status_code != 200:
        return page
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert set(form) == {"_xsrf", "code"}
    return user["session"].post(f"{hub.url}{accept_url}", data=form, allow_redirects=False)


def listed(api, server: str = "default") -> dict:
    servers = api("GET", "shares").json()["servers"]
    return next(s for s in servers if s["id"] == server)


def test_a_workspace_shared_with_a_user_then_revoked(hub, api, alice, bob):
    assert reach(hub, bob, alice["server"]) == 403
    shared = api("POST", "shares/default", json={"user": "bob"})
    assert shared.status_code == 201, shared.text
    assert shared.json()["scopes"] == ["access:servers!server=alice/"]
    assert reach(hub, bob, alice["server"]) == 200
    assert [(s["kind"], s["name"]) for s in listed(api)["shares"]] == [("user", "bob")]
    assert api("GET", "shares/default").json()["shares"][0]["name"] == "bob"
    # bob, in alice's server, does not share it on
    as_bob = hub.api(hub.token(bob["session"], "bob"))
    by_bob = as_bob.post(f"{alice['server']}dtaas/api/shares/default", json={"user": "carl"})
    assert by_bob.status_code == 403 and "only alice" in by_bob.json()["message"]

    assert api("DELETE", "shares/default/user/bob").status_code == 204
    assert reach(hub, bob, alice["server"]) == 403
    assert api("DELETE", "shares/default/user/bob").json()["field"] == "user"


def test_what_a_share_names_is_checked(api):
    unknown = api("POST", "shares/default", json={"user": "nobody-here"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "user"
    assert "nobody-here" in unknown.json()["message"]
    no_group = api("POST", "shares/default", json={"group": "no-such-group"})
    assert no_group.status_code == 404 and no_group.json()["field"] == "group"
    assert api("POST", "shares/default", json={}).status_code == 400
    assert api("POST", "shares/default", json={"user": "bob", "group": "x"}).status_code == 400
    assert api("POST", "shares/default", json={"user": "alice"}).status_code == 400
    assert api("POST", "shares/no-such-server", json={"user": "bob"}).json()["field"] == "server"
    for bad in (10, 10**9, "1h", None):
        r = api("POST", "shares/default/codes", json={"expires_in": bad})
        assert r.status_code == 400 and r.json()["field"] == "expires_in", bad
    assert api("DELETE", "shares/default/codes/sc_999999").status_code == 404
    assert api("DELETE", "shares/default/robot/x").json()["field"] == "kind"


def test_a_share_link_accepted_then_expired(hub, api, alice, bob):
    code = api("POST", "shares/default/codes", json={"expires_in": 3600})
    assert code.status_code == 201, code.text
    made = code.json()
    assert made["accept_url"] == f"/hub/accept-share?code={made['code']}"
    assert [c["id"] for c in listed(api)["codes"]] == [made["id"]]
    assert "code" not in listed(api)["codes"][0]  # the hub keeps only a hash of it

    accepted = accept(hub, bob, made["accept_url"])
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/user/alice/"
    assert reach(hub, bob, alice["server"]) == 200
    assert listed(api)["codes"][0]["exchange_count"] == 1
    assert api("DELETE", "shares/default/user/bob").status_code == 204
    assert api("DELETE", f"shares/default/codes/{made['id']}").status_code == 204
    assert accept(hub, bob, made["accept_url"]).status_code == 404  # revoked: unknown

    # the hub's shortest life of a code is a minute: this one's expiry is moved back
    old = api("POST", "shares/default/codes", json={"expires_in": 60}).json()
    number = int(old["id"].removeprefix("sc_"))
    with sqlite3.connect(hub.data_dir / "hub" / "jupyterhub.sqlite") as db:
        db.execute(
            "UPDATE share_codes SET expires_at = '2000-01-01 00:00:00.000000' WHERE id = ?",
            (number,),
        )
    refused = accept(hub, bob, old["accept_url"])
    assert refused.status_code == 403 and "expired" in refused.text
    form = {"code": old["code"], "_xsrf": bob["session"].cookies.get("_xsrf", "")}
    posted = bob["session"].post(f"{hub.url}/hub/accept-share", data=form, allow_redirects=False)
    assert posted.status_code == 403
    assert reach(hub, bob, alice["server"]) == 403
    assert old["id"] not in [c["id"] for c in listed(api)["codes"]]


def test_a_run_server_shared_with_a_group(hub, api, alice, bob, admin_api):
    assert admin_api.post(f"{hub.url}/hub/api/groups/{GROUP}").status_code in (201, 409)
    r = admin_api.post(f"{hub.url}/hub/api/groups/{GROUP}/users", json={"users": ["bob"]})
    assert r.status_code == 200, r.text
    url = hub.spawn("alice", alice["token"], server=RUN_SERVER)
    try:
        assert reach(hub, bob, url) == 403
        shared = api("POST", f"shares/{RUN_SERVER}", json={"group": GROUP})
        assert shared.status_code == 201 and shared.json()["kind"] == "group"
        assert reach(hub, bob, url) == 200
        server = listed(api, RUN_SERVER)
        assert server["kind"] == "run" and server["ready"] is True
        assert [s["name"] for s in server["shares"]] == [GROUP]
        assert api("DELETE", f"shares/{RUN_SERVER}/group/{GROUP}").status_code == 204
        assert reach(hub, bob, url) == 403
    finally:
        alice["api"].delete(
            f"{hub.url}/hub/api/users/alice/servers/{RUN_SERVER}", json={"remove": True}
        )


def test_shares_revokes_and_uses_are_in_the_audit_log(hub, admin_api, audit_mark):
    r = admin_api.get(f"{hub.url}/services/library/api/audit?limit=1000")
    assert r.status_code == 200, r.text
    events = [
        (e["actor"], e["action"], e["target"], e["detail"])
        for e in r.json()["events"]
        if e["action"].startswith("share") and e["id"] > audit_mark
    ]
    target = "servers/alice/default"
    assert (
        "alice",
        "share",
        target,
        {"user": "bob", "scopes": ["access:servers!server=alice/"]},
    ) in events
    assert ("alice", "share-revoke", target, {"user": "bob"}) in events
    assert (
        "alice",
        "share",
        f"servers/alice/{RUN_SERVER}",
        {"group": GROUP, "scopes": [f"access:servers!server=alice/{RUN_SERVER}"]},
    ) in events
    uses = [e for e in events if e[1] == "share-code-use"]
    assert [(u[0], u[2]) for u in uses] == [("bob", target)]
    assert uses[0][3]["owner"] == "alice" and uses[0][3]["code"].startswith("sc_")
    codes = [e for e in events if e[1] == "share" and "code" in e[3]]
    assert len(codes) == 2 and all(c[0] == "alice" for c in codes)
