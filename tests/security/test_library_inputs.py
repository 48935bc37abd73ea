"""The library service under hostile input, over real HTTP on loopback.

The service is the real tornado application (``make_app``) with the real ``HubOAuth``
token check; the hub it asks is a small loopback HTTP server that answers
``/hub/api/user`` for a few fixed tokens, as JupyterHub does.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from jupyterhub.services.auth import HubOAuth
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

import asset_library.handlers
from asset_library.app import make_app
from asset_library.groups import HubGroups
from asset_library.index import LibraryIndex
from tests.attacks import CountingHost, alias_bomb

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PREFIX = "/services/library/"
ACCESS = "access:services!service=library"
READ, WRITE = "custom:library:read", "custom:library:write"
SERVICE_TOKEN = "library-service-token"
TOKENS = {
    "alice": ("alice", [ACCESS, READ, WRITE]),
    "alice-self": ("alice", [ACCESS, f"{READ}!user=alice", f"{WRITE}!user=alice"]),
    "alice-bob": ("alice", [ACCESS, f"{READ}!user=bob", f"{WRITE}!user=bob"]),
    "alice-group": ("alice", [ACCESS, f"{READ}!group=lab"]),
    "alice-server": ("alice", [ACCESS, f"{READ}!server=alice/"]),
    "alice-read-only": ("alice", [ACCESS, READ, f"{WRITE}!user=bob"]),
    "bob": ("bob", [ACCESS, READ, WRITE]),
}


class HubAPI(BaseHTTPRequestHandler):
    """``GET /hub/api/user`` (who owns a token) and ``/hub/api/users/<name>`` (groups)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        token = self.headers.get("Authorization", "").removeprefix("token ")
        if self.path == "/hub/api/user" and token in TOKENS:
            name, scopes = TOKENS[token]
            body = {"kind": "user", "name": name, "admin": False, "groups": [], "scopes": scopes}
            self.reply(200, body)
        elif self.path.startswith("/hub/api/users/") and token == SERVICE_TOKEN:
            self.reply(200, {"name": self.path.rsplit("/", 1)[1], "groups": []})
        else:
            self.reply(403, {"status": 403, "message": "no such token"})

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve_in_thread(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class InFlightPool(ThreadPoolExecutor):
    """A real thread pool that also says how many calls it is running."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running = 0
        self._count = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        def counted():
            with self._count:
                self.running += 1
            try:
                return fn(*args, **kwargs)
            finally:
                with self._count:
                    self.running -= 1

        return super().submit(counted)


class LibraryService:
    """The library's tornado app on a free loopback port, in its own thread and loop."""

    def __init__(self, data_dir: Path, hub_api: str):
        self.data_dir, self.hub_api = data_dir, hub_api
        self.app = None
        self.url = ""

    def start(self) -> LibraryService:
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.index = LibraryIndex(self.data_dir, workers=1)
            self.index.rebuild()
            auth = HubOAuth(
                api_url=self.hub_api,
                api_token=SERVICE_TOKEN,
                oauth_client_id="service-library",
                access_scopes={ACCESS},
                base_url=PREFIX,
                hub_prefix="/hub/",
            )
            groups = HubGroups(self.hub_api, SERVICE_TOKEN)
            self.app = make_app(self.data_dir, PREFIX, self.index, groups)
            self.app.settings["library_hub_auth"] = auth
            self.app.settings["library_pool"] = InFlightPool(4)
            sockets = bind_sockets(0, "127.0.0.1")
            self.server = HTTPServer(self.app)
            self.server.add_sockets(sockets)
            self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}{PREFIX}api"
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(60), "the library did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.index.close()

    def call(self, method: str, path: str, token: str | None = "alice", **kw) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        kw.setdefault("timeout", 60)
        return requests.request(method, f"{self.url}{path}", headers=headers, **kw)


def write_dt(root: Path, name: str, text: str) -> Path:
    folder = root / "digital_twins" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dt.yaml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def schema_host():
    host = CountingHost()
    yield host
    host.close()


@pytest.fixture(scope="module")
def hub_api():
    server = serve_in_thread(HubAPI)
    yield f"http://127.0.0.1:{server.server_address[1]}/hub/api"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, schema_host) -> Path:
    data = tmp_path_factory.mktemp("library") / "data"
    shutil.copytree(EXAMPLES / "digital_twins", data / "common" / "digital_twins")
    shutil.copytree(EXAMPLES / "templates", data / "common" / "templates")
    alice, bob = data / "users" / "alice", data / "users" / "bob"
    write_dt(alice, "alice-twin", "title: Alice's own twin\nlifecycle: {execute: x.ipynb}\n")
    write_dt(alice, "bomb-twin", alias_bomb())
    write_dt(
        alice,
        "nan-twin",
        "title: Not a number\nlifecycle: {execute: x.ipynb}\nbad: .nan\nworse: [-.inf, .inf]\n",
    )
    write_dt(
        alice,
        "remote-twin",
        "title: Remote ref\nlifecycle: {execute: x.ipynb}\n"
        "parameters:\n  type: object\n  properties:\n"
        f"    x: {{$ref: '{schema_host.url}/x.json'}}\n"
        "    y: {type: string, pattern: '[a-'}\n",
    )
    write_dt(bob, "bob-secret", "title: Bob's secret twin\nlifecycle: {execute: x.ipynb}\n")
    return data


@pytest.fixture(scope="module")
def library(data_dir, hub_api) -> LibraryService:
    service = LibraryService(data_dir, hub_api).start()
    yield service
    service.stop()


def rss_mib() -> float:
    """Resident memory of this process (the service runs in it), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in a JSON response")

    return json.loads(text, parse_constant=refuse)


# --- 1. YAML alias bombs ----------------------------------------------------------------


def test_alias_bomb_through_validate_is_a_quick_problem(library):
    before = rss_mib()
    r = library.call("POST", "/validate", json={"type": "digital_twins", "text": alias_bomb()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is False
    assert [p["file"] for p in body["problems"]] == ["dt.yaml"]
    assert "expand" in body["problems"][0]["message"]
    assert rss_mib() - before < 100


def test_alias_bomb_on_disk_is_a_problem_in_detail_and_search(library):
    before = rss_mib()
    r = library.call("GET", "/assets/private/digital_twins/bomb-twin")
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["manifest"] == {}
    assert detail["problems"][0]["file"] == "dt.yaml"
    assert "expand" in detail["problems"][0]["message"]
    found = library.call("GET", "/search?q=bomb&scope=private").json()
    item = next(i for i in found["items"] if i["name"] == "bomb-twin")
    assert any("expand" in p for p in item["problems"])
    assert rss_mib() - before < 100


# --- 2. slow work off the event loop ----------------------------------------------------


def test_search_answers_while_a_validation_is_stuck(library, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = asset_library.handlers.validate_text

    def stuck(*args, **kwargs):
        started.set()
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(asset_library.handlers, "validate_text", stuck)
    done: list[str] = []

    def validate():
        r = library.call("POST", "/validate", json={"text": "title: t\n"})
        done.append(f"validate {r.status_code}")

    slow = threading.Thread(target=validate)
    slow.start()
    try:
        assert started.wait(30)
        r = library.call("GET", "/search?q=twin", timeout=20)
        assert r.status_code == 200 and r.json()["items"]
        done.append("search")
        me = library.call("GET", "/me", timeout=20)
        assert me.status_code == 200 and me.json()["name"] == "alice"
        assert done == ["search"]  # the validation is still in flight
    finally:
        release.set()
        slow.join(60)
    assert done == ["search", "validate 200"]


def test_search_answers_before_a_large_validation_finishes(library):
    # a legitimate large manifest: many tags (within the limits), each checked
    tags = ", ".join(f"tag-{i:05}" for i in range(90_000))
    text = f"title: many tags\nlifecycle: {{execute: x.ipynb}}\ntags: [{tags}]\n"
    assert 900_000 < len(text.encode()) < 1 << 20
    pool = library.app.settings["library_pool"]
    order: list[str] = []

    def validate():
        r = library.call("POST", "/validate", json={"type": "digital_twins", "text": text})
        assert r.status_code == 200 and r.json() == {"valid": True, "problems": []}
        order.append("validate")

    slow = threading.Thread(target=validate)
    slow.start()
    deadline = time.monotonic() + 30
    while pool.running == 0 and slow.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    r = library.call("GET", "/search?q=twin", timeout=20)
    assert r.status_code == 200
    order.append("search")
    slow.join(60)
    assert order == ["search", "validate"]


def test_creating_a_twin_still_works(library):
    r = library.call(
        "POST", "/digital_twins", json={"name": "fresh-twin", "template": "blank", "title": "Fresh"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "fresh-twin"
    assert library.call("GET", "/assets/private/digital_twins/fresh-twin").status_code == 200


# --- 3. parameter schemas ---------------------------------------------------------------


def test_remote_refs_in_parameters_are_problems_and_never_fetched(library, schema_host):
    schema_host.hits.clear()
    detail = library.call("GET", "/assets/private/digital_twins/remote-twin").json()
    fields = {p["field"]: p for p in detail["problems"]}
    assert "parameters.properties.x.$ref" in fields
    assert fields["parameters.properties.x.$ref"]["line"] == 6
    assert "remote reference" in fields["parameters.properties.x.$ref"]["message"]
    assert fields["parameters.properties.y.pattern"]["line"] == 7
    text = (library.data_dir / "users/alice/digital_twins/remote-twin/dt.yaml").read_text()
    v = library.call("POST", "/validate", json={"type": "digital_twins", "text": text}).json()
    assert {"parameters.properties.x.$ref", "parameters.properties.y.pattern"} <= {
        p["field"] for p in v["problems"]
    }
    found = library.call("GET", "/search?q=remote&scope=private").json()
    item = next(i for i in found["items"] if i["name"] == "remote-twin")
    assert any("parameters.properties.x.$ref" in p for p in item["problems"])
    assert schema_host.hits == []


# --- 4. JSON bodies and responses -------------------------------------------------------


def test_non_finite_numbers_in_a_body_name_the_field(library):
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = '{"type": "digital_twins", "text": "title: t", "options": {"k1": ' + constant + "}}"
        r = library.call("POST", "/validate", data=body)
        assert r.status_code == 400, r.text
        assert r.json()["field"] == "options.k1"
    r = library.call("POST", "/digital_twins", data='{"name": "x", "assets": [NaN]}')
    assert r.status_code == 400 and r.json()["field"] == "assets.0"


def test_deep_and_huge_bodies_are_refused(library):
    deep = '{"text": ' + "[" * 5000 + "]" * 5000 + "}"
    r = library.call("POST", "/validate", data=deep)
    assert r.status_code == 400 and "nested too deeply" in r.json()["message"]
    r = library.call("POST", "/validate", data=b'{"text": "' + b"x" * (10 << 20) + b'"}')
    assert r.status_code == 413 and len(r.content) < 2000
    assert r.json()["status"] == 413


def test_responses_never_carry_nan(library):
    r = library.call("GET", "/assets/private/digital_twins/nan-twin")
    assert r.status_code == 200
    detail = strict_json(r.text)
    assert detail["manifest"]["bad"] is None and detail["manifest"]["worse"] == [None, None]
    strict_json(library.call("GET", "/search?q=number").text)


# --- 5. errors never echo huge input ----------------------------------------------------


def test_errors_do_not_echo_huge_values(library):
    huge = "z" * 900_000
    r = library.call("POST", "/validate", json={"type": huge, "text": "title: t"})
    assert r.status_code == 400 and r.json()["field"] == "type" and len(r.content) < 2000
    r = library.call("POST", "/digital_twins", json={"name": huge})
    assert r.status_code == 400 and r.json()["field"] == "name" and len(r.content) < 2000
    r = library.call("POST", "/digital_twins", json={"name": "ok-name", "assets": [huge]})
    assert r.status_code == 400 and len(r.content) < 2000
    half = huge[:400_000]
    text = f"title: t\nlifecycle: {{execute: x.ipynb}}\ntags: {half}\nauthors: {half}\n"
    r = library.call("POST", "/validate", json={"text": text})
    assert r.status_code == 200 and r.json()["problems"] and len(r.content) < 4000
    r = library.call("GET", "/search", params={"q": huge[:20_000]})
    assert r.status_code == 400 and len(r.content) < 2000


# --- 6. scope filters -------------------------------------------------------------------


@pytest.mark.parametrize("token", ["alice-bob", "alice-group", "alice-server"])
def test_filtered_scopes_for_someone_else_do_not_grant(library, token):
    for path in ("/search?q=twin", "/assets/private/digital_twins/alice-twin", "/me"):
        r = library.call("GET", path, token=token)
        assert r.status_code == 403, (path, r.text)
        assert r.json() == {
            "status": 403,
            "message": f"the scope {READ} is required",
            "scope": READ,
        }


def test_scopes_filtered_to_the_asking_user_grant(library):
    r = library.call("GET", "/search?scope=private", token="alice-self")
    assert r.status_code == 200
    assert "alice-twin" in {i["name"] for i in r.json()["items"]}
    assert "bob-secret" not in {i["name"] for i in r.json()["items"]}
    r = library.call("POST", "/digital_twins", token="alice-read-only", json={"name": "nope-twin"})
    assert r.status_code == 403 and r.json()["scope"] == WRITE


# --- 7. the hub is down -----------------------------------------------------------------


def test_hub_down_is_a_503(data_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    service = LibraryService(data_dir, f"http://127.0.0.1:{closed}/hub/api").start()
    try:
        r = service.call("GET", "/search?q=twin", token="alice")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == 503 and body["message"].startswith("the hub is not reachable")
        assert r.headers["Content-Type"].startswith("application/json")
        r = service.call("GET", "/search?q=twin", token=None)
        assert r.status_code == 403
    finally:
        service.stop()
