"""The isolation matrix: every endpoint of the library (assets, sharing, publishing, audit,
results) and of a workspace runtime, called as each kind of person, each answer checked
against the status expected of it and for secrets it must not carry.

alice owns a private twin, a model it uses, a model she shares with nobody, a twin she
asked to publish, a run of the twin and its snapshot; each holds a marker string of its
own. Others hold roles on them (grants to users and to a group, a run and a snapshot
shared read-only) or nothing at all. A leak is a marker in an answer to someone who may
not see its asset, or a 2xx where a refusal was expected.

The endpoints come from the OpenAPI documents the library and the runtime serve: one
that is documented and missing from the matrix (and not exempted below, with a reason)
fails the test. A few calls beside them: the results page a shared link opens, Jupyter's
own contents API on alice's server, and the hub's sharing API.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, CURATOR, Hub
from tests.integration.test_sharing import light_user

pytestmark = pytest.mark.integration

LIBRARY = "/services/library/api"
METHODS = ("get", "put", "post", "patch", "delete")
TWIN, MODEL, SECRET, PUB, FORKED = "mx-twin", "mx-model", "mx-secret", "mx-pub", "mx-fork"
GROUP, EMPTY_GROUP, BEAM = "mxlab", "mxempty", "mx-beam"
NO_SNAPSHOT = "20990101T000000000-abcdef"

# --- who asks -------------------------------------------------------------------------

OWNER = "owner"  # alice
VIEWER, RUNNER, FORKER, EDITOR = "viewer", "runner", "forker", "editor"  # grants on the twin
MEMBER = "member"  # of the group the twin is granted to (view), whose library holds mx-beam
OTHER = "other"  # logged in, nothing shared
ADMIN = "admin"
CURATOR_ = "curator"
ANON = "anonymous"  # no credentials
NO_SCOPE = "no-scope"  # alice's own token, with access to the library service only
EXPIRED = "expired-code"  # tried to accept alice's share code after it expired
LIVE = "live-share"  # alice's workspace is shared with them (JupyterHub's sharing)
PERSONAS = (
    OWNER,
    VIEWER,
    RUNNER,
    FORKER,
    EDITOR,
    MEMBER,
    OTHER,
    ADMIN,
    CURATOR_,
    ANON,
    NO_SCOPE,
    EXPIRED,
    LIVE,
)
USERS = {
    VIEWER: "mx-viewer",
    RUNNER: "mx-runner",
    FORKER: "mx-forker",
    EDITOR: "mx-editor",
    MEMBER: "mx-member",
    OTHER: "mx-other",
    EXPIRED: "mx-expired",
    LIVE: "mx-live",
}
CLOSED = (ANON, NO_SCOPE)  # never past the library's scope check
TWIN_VIEW = (VIEWER, RUNNER, FORKER, EDITOR, MEMBER)  # alice's twin shared view or more
TWIN_RUN = (RUNNER, FORKER, EDITOR)  # ... run or more: the model it uses is readable too

# which markers each one may find in the library's answers (the owner's all but the group's)
SEES = {
    OWNER: {"twin", "model", "secret", "run"},
    VIEWER: {"twin", "run"},  # the run is shared with the viewer
    RUNNER: {"twin", "model"},
    FORKER: {"twin", "model"},
    EDITOR: {"twin", "model"},
    MEMBER: {"twin", "run", "group"},  # the snapshot (with the run's outputs) with the group
}
# in alice's workspace, one it is shared with acts as alice (JupyterHub's own caveat), and
# so does an admin: JupyterHub's admin role reaches every server, and the workspace logs
# each such call ("admin access: ...")
SEES_RUNTIME = {OWNER: SEES[OWNER], LIVE: SEES[OWNER], ADMIN: SEES[OWNER]}

# Documented endpoints the matrix does not call, each with its reason.
EXEMPT: dict[tuple[str, str, str], str] = {}

Expect = dict[str, frozenset[int]]
VOLATILE = {"run", "snapshot", "id", "sha256", "grant", "request", "q"}  # new each session


def statuses(value: int | tuple[int, ...]) -> frozenset[int]:
    return frozenset(value if isinstance(value, tuple) else (value,))


def lib(default: int | tuple, by: dict | None = None, closed: int | tuple = 403) -> Expect:
    """A library row: ``default`` for everyone logged in with the library's scopes,
    ``by`` for some (keys are a persona or a tuple of them), ``closed`` for the rest."""
    table = {p: statuses(default) for p in PERSONAS}
    for p in CLOSED:
        table[p] = statuses(closed)
    for keys, value in (by or {}).items():
        for p in keys if isinstance(keys, tuple) else (keys,):
            table[p] = statuses(value)
    return table


def rt(owner: int | tuple, live: int | tuple | None = None) -> Expect:
    """A row of alice's server: anyone but alice is refused (403, no credentials too)
    before any handler runs; one her workspace is shared with gets what she gets, unless
    ``live`` says otherwise (her live shares stay hers), and so does an admin (the
    workspace logs each such call)."""
    table = {p: statuses(403) for p in PERSONAS}
    table[OWNER] = statuses(owner)
    table[LIVE] = table[ADMIN] = statuses(owner if live is None else live)
    return table


@dataclass
class Row:
    api: str  # library | page (the library's HTML) | runtime | jupyter (alice's server) | hub
    method: str
    template: str  # as the OpenAPI document names it
    expect: Expect
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""
    json: Any = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    last: tuple[str, ...] = ()  # whose call changes what others' calls read: after them
    documented: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.api, self.method, self.template)

    def path(self) -> str:
        filled = re.sub(r"\{(\w+)\}", lambda m: self.params[m[1]], self.template)
        query = re.sub(r"\{(\w+)\}", lambda m: self.params[m[1]], self.query)
        return filled + (f"?{query}" if query else "")

    def shown(self) -> str:
        """The call as the report names it: ids and markers left as their names."""

        def fill(m: re.Match) -> str:
            return m[0] if m[1] in VOLATILE else self.params[m[1]]

        path = re.sub(r"\{(\w+)\}", fill, self.template)
        query = re.sub(r"\{(\w+)\}", fill, self.query)
        return f"{self.api} {self.method} {path}" + (f"?{query}" if query else "")


# --- the platform as the matrix finds it -------------------------------------------------


def until(fn, timeout: float = 60.0, every: float = 0.1):
    """Polls a condition that the platform reaches on its own (an index, a run)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def new_token(hub: Hub, user: dict, scopes: list[str]) -> str:
    session = user["session"]
    r = session.post(
        f"{hub.url}/hub/api/users/{user['name']}/tokens",
        json={"note": "matrix", "scopes": scopes},
        headers={"X-XSRFToken": session.cookies.get("_xsrf", "")},
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["token"]


def accept(hub: Hub, user: dict, accept_url: str) -> requests.Response:
    """Accept a share code as a person does: open the hub's page, press Accept."""
    page = user["session"].get(f"{hub.url}{accept_url}", allow_redirects=False)
    if page.status_code != 200:
        return page
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return user["session"].post(f"{hub.url}{accept_url}", data=form, allow_redirects=False)


def token_of(user: dict) -> str:
    return user["api"].headers["Authorization"].split(" ", 1)[1]


def write_assets(hub: Hub, alice: dict, marks: dict[str, str]) -> None:
    home = alice["home"]
    model = home / "models" / MODEL
    model.mkdir(parents=True, exist_ok=True)
    (model / "asset.yaml").write_text(f"title: Matrix model\ndescription: {marks['model']}\n")
    (model / "osc.py").write_text(f"K = 3  # {marks['model']}\n")
    secret = home / "models" / SECRET
    secret.mkdir(parents=True, exist_ok=True)
    (secret / "asset.yaml").write_text(f"title: Matrix secret\ndescription: {marks['secret']}\n")
    (secret / "README.md").write_text(f"# Secret\n\n{marks['secret']}\n")
    head, tail = marks["run"][:5], marks["run"][5:]
    cells = [
        "import os, pathlib",
        # the marker is made at run time: the twin's own notebook does not hold it
        f"mark = {head!r} + {tail!r}",
        "pathlib.Path(os.environ['DTAAS_OUTPUT_DIR'], 'mx.txt').write_text(mark)",
        "print(mark)",
    ]
    schema = {"type": "object", "properties": {"k": {"type": "number", "minimum": 0, "default": 1}}}
    folder = write_dt(
        home,
        TWIN,
        cells,
        schema,
        title="Matrix twin",
        description=f"A twin holding {marks['twin']}",
        assets=[f"mine/models/{MODEL}"],
    )
    (folder / "README.md").write_text(f"# Matrix twin\n\n{marks['twin']}\n")
    write_dt(home, PUB, ["print(1)"], title="Matrix published twin")
    write_dt(home, FORKED, ["print(1)"], title="Matrix fork target")  # alice's fork: 409
    beam = hub.data_dir / "groups" / GROUP / "models" / BEAM
    beam.mkdir(parents=True, exist_ok=True)
    (beam / "asset.yaml").write_text(f"title: Matrix beam\ndescription: {marks['group']}\n")


@pytest.fixture(scope="module")
def matrix(hub: Hub, alice) -> dict[str, Any]:
    """alice's assets, run and snapshot; the personas with their roles; what to call."""
    marks = {k: f"mx{k}{secrets.token_hex(8)}" for k in ("twin", "model", "secret", "run")}
    marks["group"] = f"mxgroup{secrets.token_hex(8)}"
    write_assets(hub, alice, marks)
    runtime = f"{alice['server']}dtaas/api"
    alice_api = alice["api"]
    started = alice_api.post(
        f"{runtime}/runs", json={"dt": TWIN, "scope": "private", "save_after": ["execute"]}
    )
    assert started.status_code == 201, started.text
    run_id = started.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        logins = dict(
            zip(
                [*USERS, ADMIN, CURATOR_],
                pool.map(
                    lambda args: light_user(hub, *args),
                    [(n,) for n in USERS.values()] + [("admin", ADMIN_PASSWORD), (CURATOR,)],
                ),
                strict=True,
            )
        )
    admin = logins[ADMIN]["api"]
    for group, members in ((GROUP, [USERS[MEMBER]]), (EMPTY_GROUP, [])):
        assert admin.post(f"{hub.url}/hub/api/groups/{group}").status_code in (201, 409)
        if members:
            r = admin.post(f"{hub.url}/hub/api/groups/{group}/users", json={"users": members})
            assert r.status_code == 200, r.text

    def lib_call(user_api, method, path, **kw) -> requests.Response:
        return user_api.request(method, f"{hub.url}{LIBRARY}{path}", timeout=30, **kw)

    for name in (TWIN, PUB):
        path = f"/assets/private/digital_twins/{name}"
        assert until(lambda p=path: lib_call(alice_api, "GET", p).ok), path
    for name in (MODEL, SECRET):
        path = f"/assets/private/models/{name}"
        assert until(lambda p=path: lib_call(alice_api, "GET", p).ok), path
    member = logins[MEMBER]["api"]
    beam = f"/assets/group:{GROUP}/models/{BEAM}"
    assert until(lambda: lib_call(member, "GET", beam).ok), beam

    twin_grants = f"/assets/private/digital_twins/{TWIN}/grants"
    grants = {}
    for subject, role in (
        ({"user": USERS[VIEWER]}, "view"),
        ({"user": USERS[RUNNER]}, "run"),
        ({"user": USERS[FORKER]}, "fork"),
        ({"user": USERS[EDITOR]}, "edit"),
        ({"group": GROUP}, "view"),
        ({"group": EMPTY_GROUP}, "view"),  # revoked by the matrix
    ):
        r = lib_call(alice_api, "POST", twin_grants, json={**subject, "role": role})
        assert r.status_code == 201, r.text
        grants[next(iter(subject.values()))] = r.json()["id"]

    ask = {"asset": f"mine/digital_twins/{PUB}", "version": "1.0", "note": "matrix"}
    pending = lib_call(alice_api, "POST", "/publish", json=ask)
    assert pending.status_code == 201, pending.text
    decided = lib_call(alice_api, "POST", "/publish", json={**ask, "version": "1.1"})
    assert decided.status_code == 201, decided.text
    curator = logins[CURATOR_]["api"]
    r = lib_call(curator, "POST", f"/publish/{decided.json()['id']}/reject", json={"reason": "x"})
    assert r.status_code == 200, r.text

    def ended() -> dict | None:
        record = alice_api.get(f"{runtime}/runs/{run_id}").json()
        return record if record["status"] in ("succeeded", "failed", "cancelled") else None

    record = until(ended, timeout=120, every=0.2)
    assert record and record["status"] == "succeeded", record
    listed = alice_api.get(f"{runtime}/snapshots", params={"dt": TWIN}).json()["snapshots"]
    assert listed, "the run saved no snapshot"
    snapshot_id = listed[0]["id"]
    snapshot = alice_api.get(f"{runtime}/snapshots/{snapshot_id}").json()
    blob = next(f["sha256"] for f in snapshot["files"] if f["path"] == "outputs/mx.txt")

    result_grants = {}
    for kind, rid, subject in (
        ("runs", run_id, {"user": USERS[VIEWER]}),
        ("snapshots", snapshot_id, {"group": GROUP}),
        ("runs", run_id, {"group": EMPTY_GROUP}),  # revoked by the matrix
    ):
        r = lib_call(alice_api, "POST", f"/results/{kind}/{TWIN}/{rid}/grants", json=subject)
        assert r.status_code == 201, r.text
        result_grants[(kind, next(iter(subject.values())))] = r.json()["id"]

    # alice's workspace shared with one person, through the hub as her own server would
    share = alice_api.post(f"{hub.url}/hub/api/shares/alice/", json={"user": USERS[LIVE]})
    assert share.status_code == 200, share.text
    # a share code past its expiry (the hub's shortest life of one is a minute)
    code = alice_api.post(f"{hub.url}/hub/api/share-codes/alice/", json={"expires_in": 60})
    assert code.status_code == 200, code.text
    code = code.json()
    with sqlite3.connect(hub.data_dir / "hub" / "jupyterhub.sqlite") as db:
        db.execute(
            "UPDATE share_codes SET expires_at = '2000-01-01 00:00:00.000000' WHERE id = ?",
            (int(code["id"].removeprefix("sc_")),),
        )
    refused = accept(hub, logins[EXPIRED], code["accept_url"])
    assert refused.status_code == 403, refused.text
    held = logins[EXPIRED]["api"].get(f"{hub.url}/hub/api/users/{USERS[EXPIRED]}/shared")
    assert held.status_code == 200, held.text
    assert not (held.json().get("items") if isinstance(held.json(), dict) else held.json())

    tokens = {
        OWNER: alice["token"],
        NO_SCOPE: new_token(hub, alice, ["access:services!service=library"]),
    }
    tokens.update({p: token_of(u) for p, u in logins.items()})
    ctx = {
        "hub": hub,
        "alice": alice,
        "runtime": runtime,
        "marks": marks,
        "tokens": tokens,
        "run": run_id,
        "snapshot": snapshot_id,
        "blob": blob,
        "grants": grants,
        "result_grants": result_grants,
        "pending": pending.json()["id"],
        "decided": decided.json()["id"],
    }
    yield ctx

    alice_api.patch(f"{hub.url}/hub/api/shares/alice/", json={"user": USERS[LIVE]})
    alice_api.delete(f"{hub.url}/hub/api/share-codes/alice/", params={"id": code["id"]})
    lib_call(curator, "POST", f"/publish/{ctx['pending']}/reject", json={"reason": "matrix"})


# --- the rows --------------------------------------------------------------------------


def library_rows(ctx: dict) -> list[Row]:
    twin = {"scope": "user:alice", "type": "digital_twins", "name": TWIN}
    model = {"scope": "user:alice", "type": "models", "name": MODEL}
    secret = {"scope": "user:alice", "type": "models", "name": SECRET}
    beam = {"scope": f"group:{GROUP}", "type": "models", "name": BEAM}
    common = {"scope": "common", "type": "digital_twins", "name": "mass-spring-damper"}
    asset = "/assets/{scope}/{type}/{name}"
    run = {"kind": "runs", "owner": "alice", "dt": TWIN, "id": ctx["run"]}
    snap = {"kind": "snapshots", "owner": "alice", "dt": TWIN, "id": ctx["snapshot"]}
    result = "/results/{kind}/{owner}/{dt}/{id}"
    strangers = 404  # anyone an asset is not shared with: as if it did not exist
    return [
        Row("library", "GET", "/openapi.json", lib(200, closed=200)),
        Row("library", "GET", "/me", lib(200)),
        Row("library", "GET", "/assets", lib(200)),
        Row("library", "GET", "/search", lib(200), {"q": ctx["marks"]["secret"]}, "q={q}"),
        Row("library", "GET", "/search", lib(200), query="scope=shared"),
        # another user's library is no scope to search in (what is shared is: above)
        Row("library", "GET", "/search", lib(400), query="scope=user:alice"),
        Row("library", "GET", "/search", lib(404, {MEMBER: 200}), query=f"scope=group:{GROUP}"),
        # alice's twin: view for five, run, fork and edit for some
        Row("library", "GET", asset, lib(strangers, {(OWNER, *TWIN_VIEW): 200}), twin),
        Row(
            "library",
            "GET",
            asset + "/relations",
            lib(strangers, {(OWNER, *TWIN_VIEW): 200}),
            twin,
        ),
        Row(
            "library",
            "GET",
            asset + "/files/{path}",
            lib(strangers, {(OWNER, *TWIN_VIEW): 200}),
            {**twin, "path": "README.md"},
        ),
        Row(
            "library",
            "PUT",
            asset + "/files/{path}",
            lib(strangers, {(OWNER, EDITOR): 200, (VIEWER, RUNNER, FORKER, MEMBER): 403}),
            {**twin, "path": "notes/matrix.txt"},
            data=b"written through the library\n",
        ),
        Row(
            "library",
            "GET",
            asset + "/grants",
            lib(strangers, {OWNER: 200, TWIN_VIEW: 403}),
            twin,
        ),
        Row(
            "library",
            "POST",
            asset + "/grants",
            # alice gets past the owner's check to the role's (nothing is granted)
            lib(strangers, {OWNER: 400, TWIN_VIEW: 403}),
            twin,
            json={"user": USERS[OTHER], "role": "owner"},
        ),
        Row(
            "library",
            "PATCH",
            asset + "/grants/{grant}",
            lib(strangers, {OWNER: 400, TWIN_VIEW: 403}),
            {**twin, "grant": str(ctx["grants"][USERS[VIEWER]])},
            json={"role": "owner"},
        ),
        Row(
            "library",
            "DELETE",
            asset + "/grants/{grant}",
            lib(strangers, {OWNER: 204, TWIN_VIEW: 403}),
            {**twin, "grant": str(ctx["grants"][EMPTY_GROUP])},
            last=(OWNER,),
        ),
        Row(
            "library",
            "POST",
            asset + "/fork",
            # alice has a twin of that name already
            lib(strangers, {OWNER: 409, (FORKER, EDITOR): 201, (VIEWER, RUNNER, MEMBER): 403}),
            twin,
            json={"name": FORKED},
        ),
        Row("library", "GET", asset + "/versions", lib(404), twin),  # common assets only
        Row("library", "GET", asset + "/versions", lib(200), common),
        # the model the twin uses: readable with run or more on the twin, no more
        Row("library", "GET", asset, lib(strangers, {(OWNER, *TWIN_RUN): 200}), model),
        Row(
            "library",
            "GET",
            asset + "/files/{path}",
            lib(strangers, {(OWNER, *TWIN_RUN): 200}),
            {**model, "path": "osc.py"},
        ),
        Row(
            "library",
            "PUT",
            asset + "/files/{path}",
            lib(strangers, {OWNER: 200, TWIN_RUN: 403}),
            {**model, "path": "notes.txt"},
            data=b"alice's note\n",
        ),
        Row(
            "library",
            "POST",
            asset + "/fork",
            lib(strangers, {OWNER: 409, TWIN_RUN: 403}),
            model,
            json={},
        ),
        Row(
            "library", "GET", asset + "/grants", lib(strangers, {OWNER: 200, TWIN_RUN: 403}), model
        ),
        # the model alice shares with nobody
        Row("library", "GET", asset, lib(strangers, {OWNER: 200}), secret),
        Row("library", "GET", asset + "/relations", lib(strangers, {OWNER: 200}), secret),
        Row(
            "library",
            "GET",
            asset + "/files/{path}",
            lib(strangers, {OWNER: 200}),
            {**secret, "path": "asset.yaml"},
        ),
        # the group's asset: its members edit it, nobody else sees it (alice is no member)
        Row("library", "GET", asset, lib(strangers, {MEMBER: 200}), beam),
        Row("library", "GET", asset + "/grants", lib(strangers, {MEMBER: 403}), beam),
        Row(
            "library",
            "PUT",
            asset + "/files/{path}",
            lib(strangers, {MEMBER: 200}),
            {**beam, "path": "notes.txt"},
            data=b"a member's note\n",
        ),
        # publishing
        Row("library", "GET", "/publish", lib(200)),
        Row(
            "library", "GET", "/publish", lib(403, {(ADMIN, CURATOR_): 200}), query="queue=pending"
        ),
        Row(
            "library",
            "POST",
            "/publish",
            # mine/... is the asker's own library: only alice has mx-pub, 1.0 is pending
            lib(404, {OWNER: 409}),
            json={"asset": f"mine/digital_twins/{PUB}", "version": "1.0"},
        ),
        Row(
            "library",
            "GET",
            "/publish/{request}",
            lib(404, {(OWNER, ADMIN, CURATOR_): 200}),
            {"request": str(ctx["pending"])},
        ),
        Row(
            "library",
            "POST",
            "/publish/{request}/approve",
            lib(403, {(ADMIN, CURATOR_): 409}),  # decided already
            {"request": str(ctx["decided"])},
        ),
        Row(
            "library",
            "POST",
            "/publish/{request}/reject",
            lib(403, {(ADMIN, CURATOR_): 409}),
            {"request": str(ctx["decided"])},
            json={"reason": "again"},
        ),
        # the audit log, the library's other endpoints
        Row("library", "GET", "/audit", lib(403, {ADMIN: 200}), query="limit=5"),
        Row("library", "POST", "/audit", lib(400), json={"action": "grant", "target": "x"}),
        Row("library", "POST", "/validate", lib(200), json={"text": "title: x\n"}),
        Row("library", "GET", "/templates", lib(200)),
        Row(
            "library",
            "POST",
            "/digital_twins",
            lib(400),  # alice's secret is no asset anyone else may use; the name is bad
            json={"name": "Bad Name", "assets": [f"mine/models/{SECRET}"]},
        ),
        Row("library", "POST", "/reindex", lib(403, {ADMIN: 200}), last=(ADMIN,)),
        # results: alice's run shared with the viewer, its snapshot with the group
        Row("library", "GET", "/results/shared", lib(200)),
        Row(
            "library",
            "GET",
            "/results/{kind}/{dt}/{id}/grants",
            lib(404, {OWNER: 200}),  # one's own run only
            run,
        ),
        Row(
            "library",
            "POST",
            "/results/{kind}/{dt}/{id}/grants",
            lib(404, {OWNER: 400}),  # alice's own: not shared with herself
            run,
            json={"user": "alice"},
        ),
        Row(
            "library",
            "DELETE",
            "/results/{kind}/{dt}/{id}/grants/{grant}",
            lib(404, {OWNER: 204}),
            {**run, "grant": str(ctx["result_grants"][("runs", EMPTY_GROUP)])},
            last=(OWNER,),
        ),
        Row("library", "GET", result, lib(404, {(OWNER, VIEWER): 200}), run),
        Row(
            "library",
            "GET",
            result + "/files/{path}",
            lib(404, {(OWNER, VIEWER): 200}),
            {**run, "path": "outputs/mx.txt"},
        ),
        Row(
            "library",
            "GET",
            result + "/notebooks/{notebook}.html",
            lib(404, {(OWNER, VIEWER): 200}),
            {**run, "notebook": "execute"},
        ),
        Row("library", "GET", result, lib(404, {(OWNER, MEMBER): 200}), snap),
        Row(
            "library",
            "GET",
            result + "/files/{path}",
            lib(404, {(OWNER, MEMBER): 200}),
            {**snap, "path": "outputs/mx.txt"},
        ),
        Row(
            "library",
            "GET",
            "/results/snapshots/{owner}/{dt}/{id}/blobs/{sha256}",
            lib(404, {(OWNER, MEMBER): 200}),
            {**snap, "sha256": ctx["blob"]},
        ),
        # the page a shared run's link opens (not in the API's document): a browser with
        # no session is sent to log in
        Row(
            "page",
            "GET",
            "/results/{kind}/{owner}/{dt}/{id}",
            {**lib(404, {(OWNER, VIEWER): 200}), ANON: statuses(302)},
            run,
            headers={"Accept": "text/html"},
            documented=False,
        ),
    ]


def hub_rows(ctx: dict) -> list[Row]:
    """Around the runtime: Jupyter's own contents API on alice's server, and the hub's
    sharing API the live shares are made with (neither is in the documents above)."""
    # the hub answers 404 to a logged-in user about another's shares, 403 without a token
    hub_api = {p: statuses(403 if p in (ANON, NO_SCOPE) else 404) for p in PERSONAS}
    own = {**hub_api, OWNER: statuses(200), ADMIN: statuses(200)}  # admins manage shares
    checked = {**hub_api, OWNER: statuses(400), ADMIN: statuses(400)}  # past the scope check
    return [
        Row(
            "jupyter",
            "GET",
            "/api/contents/{path}",
            rt(200),
            {"path": f"models/{SECRET}/asset.yaml"},
            documented=False,
        ),
        Row("hub", "GET", "/shares/alice/", own, documented=False),
        Row("hub", "GET", "/share-codes/alice/", own, documented=False),
        Row("hub", "POST", "/shares/alice/", checked, json={"user": "mx-nobody"}, documented=False),
        Row(
            "hub",
            "POST",
            "/share-codes/alice/",
            checked,
            json={"expires_in": 1},  # shorter than the hub allows
            documented=False,
        ),
    ]


def runtime_rows(ctx: dict) -> list[Row]:
    """alice's own server: what she may do (asked so that nothing long starts and nothing
    of hers changes), refused to everyone else but the one it is shared with."""
    dt = {"scope": "private", "dt": TWIN}
    shared = {"scope": f"user:{USERS[OTHER]}", "dt": "no-such-twin"}
    run = {"run": ctx["run"]}
    snap = {"snapshot": ctx["snapshot"]}
    sweep = {"sweep": "no-such-sweep", "scenario": "0"}
    cal = {"calibration": "no-such-calibration"}
    owner_only = 403  # one alice's workspace is shared with does not share it on
    code = {"server": "default", "code": "sc_999999999"}
    viewer_grant = ctx["grants"][USERS[VIEWER]]
    return [
        Row("runtime", "GET", "/openapi.json", rt(200)),
        Row("runtime", "GET", "/profiles", rt(200)),
        Row("runtime", "GET", "/dts/{scope}/{dt}", rt(200), dt),
        Row(
            "runtime", "POST", "/dts/{scope}/{dt}/validate", rt(200), dt, json={"values": {"k": 2}}
        ),
        Row(
            "runtime",
            "GET",
            "/dts/{scope}/{dt}/configs/{config}",
            rt(404),
            {**dt, "config": "none"},
        ),
        Row(
            "runtime",
            "PUT",
            "/dts/{scope}/{dt}/configs/{config}",
            rt(400),  # an invalid value: nothing written
            {**dt, "config": "matrix"},
            json={"values": {"k": -1}},
        ),
        Row(
            "runtime",
            "DELETE",
            "/dts/{scope}/{dt}/configs/{config}",
            rt(404),
            {**dt, "config": "none"},
        ),
        # a twin shared with alice, copied into her workspace (none is: the library's 404)
        Row("runtime", "POST", "/shared/{scope}/{dt}/fetch", rt(404), shared),
        Row("runtime", "DELETE", "/shared/{scope}/{dt}", rt(404), shared),
        Row("runtime", "GET", "/runs", rt(200)),
        # a step the twin does not have: refused before anything starts
        Row("runtime", "POST", "/runs", rt(400), json={"dt": TWIN, "step": "no-such-step"}),
        Row("runtime", "GET", "/runs/{run}", rt(200), run),
        Row("runtime", "GET", "/runs/{run}/log", rt(200), run),
        Row("runtime", "POST", "/runs/{run}/cancel", rt(409), run),  # it has ended
        Row("runtime", "POST", "/runs/{run}/stop", rt(409), run),
        Row("runtime", "POST", "/runs/{run}/save", rt(400), run, json={"label": ["x"]}),
        Row("runtime", "GET", "/runs/{run}/outputs", rt(200), run),
        Row("runtime", "GET", "/runs/{run}/outputs.zip", rt(200), run),
        Row("runtime", "GET", "/snapshots", rt(200)),
        Row(
            "runtime",
            "POST",
            "/snapshots/import",
            rt(404),  # no such snapshot in the library
            json={"owner": "alice", "dt": TWIN, "id": NO_SNAPSHOT},
        ),
        Row("runtime", "GET", "/snapshots/{snapshot}", rt(200), snap),
        Row("runtime", "PATCH", "/snapshots/{snapshot}", rt(400), snap, json={}),
        Row("runtime", "DELETE", "/snapshots/{snapshot}", rt(404), {"snapshot": NO_SNAPSHOT}),
        Row(
            "runtime",
            "GET",
            "/snapshots/{snapshot}/diff",
            rt(200),
            snap,
            "other={snapshot}",
        ),
        Row(
            "runtime",
            "POST",
            "/snapshots/{snapshot}/respawn",
            rt(400),
            snap,
            json={"step": "no-such-step"},
        ),
        Row("runtime", "GET", "/sweeps", rt(200)),
        Row("runtime", "POST", "/sweeps", rt(400), json={}),
        Row("runtime", "GET", "/sweeps/{sweep}", rt(404), sweep),
        Row("runtime", "GET", "/sweeps/{sweep}/results", rt(404), sweep),
        Row("runtime", "POST", "/sweeps/{sweep}/cancel", rt(404), sweep),
        Row("runtime", "POST", "/sweeps/{sweep}/resume", rt(404), sweep),
        Row(
            "runtime",
            "POST",
            "/sweeps/{sweep}/scenarios/{scenario}/config",
            rt(404),
            sweep,
            json={"name": "matrix"},
        ),
        Row(
            "runtime",
            "POST",
            "/sweeps/{sweep}/scenarios/{scenario}/twin",
            rt(404),
            sweep,
            json={"name": "matrix"},
        ),
        Row("runtime", "GET", "/calibrations", rt(200)),
        Row("runtime", "POST", "/calibrations", rt(400), json={}),
        Row("runtime", "GET", "/calibrations/{calibration}", rt(404), cal),
        Row("runtime", "GET", "/calibrations/{calibration}/residuals.png", rt(404), cal),
        Row(
            "runtime",
            "POST",
            "/calibrations/{calibration}/config",
            rt(404),
            cal,
            json={"name": "matrix"},
        ),
        Row(
            "runtime",
            "POST",
            "/calibrations/{calibration}/twin",
            rt(404),
            cal,
            json={"name": "matrix"},
        ),
        # the library through the workspace, asked with its token: alice's own secret
        Row(
            "runtime",
            "GET",
            "/library/{endpoint}",
            rt(200),
            {"endpoint": f"assets/private/models/{SECRET}/files/asset.yaml"},
        ),
        Row(
            "runtime",
            "POST",
            "/library/{endpoint}",
            rt(200),
            {"endpoint": "validate"},
            json={"text": "title: x\n"},
        ),
        Row(
            "runtime",
            "PATCH",
            "/library/{endpoint}",
            rt(400),  # alice's grant, an unknown role: nothing changes
            {"endpoint": f"assets/private/digital_twins/{TWIN}/grants/{viewer_grant}"},
            json={"role": "owner"},
            documented=False,
        ),
        # live sharing: alice's alone
        Row("runtime", "GET", "/shares", rt(200, owner_only)),
        Row("runtime", "GET", "/shares/{server}", rt(200, owner_only), {"server": "default"}),
        Row(
            "runtime",
            "POST",
            "/shares/{server}",
            rt(404, owner_only),  # nobody of that name
            {"server": "default"},
            json={"user": "mx-nobody"},
        ),
        Row(
            "runtime",
            "DELETE",
            "/shares/{server}/{kind}/{name}",
            rt(404, owner_only),
            {"server": "default", "kind": "user", "name": "mx-nobody"},
        ),
        Row(
            "runtime",
            "POST",
            "/shares/{server}/codes",
            rt(400, owner_only),  # a life shorter than the hub allows
            {"server": "default"},
            json={"expires_in": 1},
        ),
        Row("runtime", "DELETE", "/shares/{server}/codes/{code}", rt(404, owner_only), code),
    ]


# --- calling and judging ---------------------------------------------------------------


def documented(doc: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }


def base_url(ctx: dict, api: str) -> str:
    if api == "runtime":
        return ctx["runtime"]
    if api == "jupyter":
        return ctx["alice"]["server"].rstrip("/")
    if api == "hub":
        return ctx["hub"].url + "/hub/api"
    return ctx["hub"].url + (LIBRARY if api == "library" else "/services/library")


def may_see(persona: str, row: Row) -> set[str]:
    if row.api in ("runtime", "jupyter"):
        return SEES_RUNTIME.get(persona, set())
    return SEES.get(persona, set())


@dataclass
class Answer:
    row: Row
    persona: str
    status: int
    found: list[str]  # markers in the answer
    text: str = ""

    def excerpt(self, markers: list[str], marks: dict[str, str]) -> str:
        """Where the first of ``markers`` shows in the answer (its start, if none)."""
        at = self.text.find(marks[markers[0]]) if markers else 0
        return self.text[max(0, at - 100) : at + 60]


def ask(ctx: dict, row: Row, persona: str) -> Answer:
    headers = dict(row.headers)
    token = ctx["tokens"].get(persona)
    if token:
        headers["Authorization"] = f"token {token}"
    r = requests.request(
        row.method,
        base_url(ctx, row.api) + row.path(),
        headers=headers,
        json=row.json,
        data=row.data,
        allow_redirects=False,
        timeout=30,
    )
    text = r.content.decode("utf-8", "replace") + " " + r.headers.get("Location", "")
    found = sorted(k for k, mark in ctx["marks"].items() if mark in text)
    return Answer(row, persona, r.status_code, found, text)


def judge(answers: list[Answer], marks: dict[str, str]) -> tuple[list[dict], list[dict]]:
    leaks, mismatches = [], []
    for a in answers:
        expected = a.row.expect[a.persona]
        hidden = [m for m in a.found if m not in may_see(a.persona, a.row)]
        refused = not any(200 <= s < 300 for s in expected)
        if hidden or (refused and 200 <= a.status < 300):
            leaks.append(
                {
                    "call": a.row.shown(),
                    "persona": a.persona,
                    "status": a.status,
                    "markers": hidden,
                    "excerpt": a.excerpt(hidden, marks),
                }
            )
        if a.status not in expected:
            mismatches.append(
                {
                    "call": a.row.shown(),
                    "persona": a.persona,
                    "status": a.status,
                    "expected": sorted(expected),
                }
            )
    return leaks, mismatches


@pytest.fixture(scope="module")
def documents(matrix) -> dict[str, set[tuple[str, str]]]:
    hub, alice = matrix["hub"], matrix["alice"]
    lib_doc = requests.get(f"{hub.url}{LIBRARY}/openapi.json", timeout=30)
    assert lib_doc.status_code == 200
    rt_doc = alice["api"].get(f"{matrix['runtime']}/openapi.json", timeout=30)
    assert rt_doc.status_code == 200
    return {"library": documented(lib_doc.json()), "runtime": documented(rt_doc.json())}


def test_the_matrix_covers_every_documented_endpoint(matrix, documents):
    rows = library_rows(matrix) + runtime_rows(matrix) + hub_rows(matrix)
    missing, stale = [], []
    for api, doc in documents.items():
        covered = {(r.method, r.template) for r in rows if r.api == api and r.documented}
        exempt = {(m, t) for a, m, t in EXEMPT if a == api}
        missing += [f"{api} {m} {t}" for m, t in sorted(doc - covered - exempt)]
        stale += [f"{api} {m} {t}" for m, t in sorted((covered | exempt) - doc)]
    assert not missing, f"documented endpoints the matrix does not call: {missing}"
    assert not stale, f"the matrix calls endpoints no document names: {stale}"
    for row in rows:
        assert set(row.expect) == set(PERSONAS), row.shown()
    names = Counter(row.shown() for row in rows)
    assert not [n for n, count in names.items() if count > 1], "two rows call the same"


def test_every_endpoint_against_every_persona(matrix, documents, artifacts):
    rows = library_rows(matrix) + runtime_rows(matrix) + hub_rows(matrix)
    calls = [(row, p) for row in rows for p in PERSONAS]
    first = [(row, p) for row, p in calls if p not in row.last]
    after = [(row, p) for row, p in calls if p in row.last]
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda c: ask(matrix, *c), first))
    answers += [ask(matrix, row, p) for row, p in after]
    seconds = time.monotonic() - started
    leaks, mismatches = judge(answers, matrix["marks"])

    counts = Counter(a.status for a in answers)
    endpoints = {(r.api, r.method, r.template) for r in rows}
    n_documented = sum(len(d) for d in documents.values())
    n_called = sum(
        len(doc & {(r.method, r.template) for r in rows if r.api == api and r.documented})
        for api, doc in documents.items()
    )
    summary = (
        f"matrix: {len(rows)} endpoints x {len(PERSONAS)} personas = {len(answers)} calls, "
        f"{len(leaks)} leaks, statuses {dict(sorted(counts.items()))}"
    )
    detail = (
        f"  ({len(endpoints)} methods and paths, {n_called} of the {n_documented} documented, "
        f"{len(EXEMPT)} exempt; {len(mismatches)} unexpected statuses; {seconds:.1f} s)"
    )
    print(f"\n{summary}\n{detail}")
    got = {(a.row.shown(), a.persona): a.status for a in answers}
    table = {r.shown(): {p: got[(r.shown(), p)] for p in PERSONAS} for r in rows}
    (artifacts / "share-matrix.json").write_text(
        json.dumps(
            {
                "summary": summary,
                "endpoints": len(rows),
                "personas": list(PERSONAS),
                "calls": len(answers),
                "documented": n_documented,
                "exempt": {" ".join(k): v for k, v in EXEMPT.items()},
                "statuses": {str(k): v for k, v in sorted(counts.items())},
                "leaks": leaks,
                "mismatches": mismatches,
                "matrix": table,
            },
            indent=1,
        )
        + "\n"
    )
    assert leaks == [], json.dumps(leaks, indent=1)
    assert mismatches == [], json.dumps(mismatches, indent=1)
