"""Hostile input to a workspace runtime, over HTTP, against a real ``jupyter server``.

The server runs the dtaas extension on a free loopback port with a token, in a
workspace laid out as the spawner does; a stub library service and a counting
HTTP server stand in for the outside world. Every refusal is a 4xx with a JSON
body that names the field or path at fault, and every answer is strict JSON.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml

from dtaas.runs.model import RunRecord
from spawner.workspace import lay_out_workspace
from tests.attacks import CountingHost
from tests.dts import write_dt

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "runtime-test-token"
LIBRARY_TOKEN = "library-test-token"
OWNER = "alice"
BLOB = bytes(range(256)) * 4096  # 1 MiB of every byte value
CHUNK = b"first chunk of a slow file\n" * 100
IDENTITY = '''
from jupyter_server.auth.identity import IdentityProvider, User


class HeaderIdentity(IdentityProvider):
    """Token auth as usual; who asks is the X-Test-User header (the owner by default)."""

    def generate_anonymous_user(self, handler):
        name = handler.request.headers.get("X-Test-User", "{owner}")
        return User(username=name, name=name, display_name=name)


c.ServerApp.identity_provider_class = HeaderIdentity
c.IdentityProvider.token = "{token}"
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strict(text: str):
    """Parse JSON as a browser does: NaN and Infinity are errors."""

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


class StubLibrary(ThreadingHTTPServer):
    """What the runtime's library proxy talks to: files, JSON, errors, a slow file."""

    daemon_threads = True

    def __init__(self):
        self.posts: list[bytes] = []
        self.slow_released = threading.Event()
        self.slow_waited: list[bool] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, status, body: bytes, headers: dict):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.headers.get("Authorization") != f"token {LIBRARY_TOKEN}":
                    self.answer(403, b'{"status": 403, "message": "no token"}', {})
                    return
                path = self.path.split("?", 1)[0]
                base = "/api/assets/common/data/"
                if path == base + "blob/files/blob.bin":
                    self.answer(
                        200,
                        BLOB,
                        {
                            "Content-Type": "application/octet-stream",
                            "Content-Disposition": 'attachment; filename="blob.bin"',
                        },
                    )
                elif path == base + "table/files/t.csv":
                    self.answer(200, b"a,b\n1,2\n", {"Content-Type": "text/csv"})
                elif path == base + "json/files/d.json":
                    self.answer(
                        200,
                        b"{not json, but a file",
                        {
                            "Content-Type": "application/json",
                            "Content-Disposition": 'attachment; filename="d.json"',
                        },
                    )
                elif path == base + "slow/files/slow.txt":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(2 * len(CHUNK)))
                    self.end_headers()
                    self.wfile.write(CHUNK)
                    self.wfile.flush()
                    outer.slow_waited.append(outer.slow_released.wait(10))
                    self.wfile.write(CHUNK)
                elif path == "/api/search":
                    self.answer(
                        200,
                        json.dumps({"results": [{"name": "x", "q": self.path}]}).encode(),
                        {"Content-Type": "application/json"},
                    )
                else:
                    body = {"status": 404, "message": f"no file {path}", "path": path}
                    self.answer(
                        404, json.dumps(body).encode(), {"Content-Type": "application/json"}
                    )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.posts.append(self.rfile.read(length))
                self.answer(200, b'{"problems": []}', {"Content-Type": "application/json"})

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def serve(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Runtime:
    """A jupyter server with the dtaas extension, as user ``alice``."""

    def __init__(self, root: Path, library_url: str):
        self.root = root
        common = root / "common"
        shutil.copytree(EXAMPLES / "digital_twins", common / "digital_twins")
        self.home = lay_out_workspace(root / "users", OWNER, common)
        self.other = lay_out_workspace(root / "users", "bob", common)
        config = root / "config"
        config.mkdir()
        (config / "jupyter_server_config.py").write_text(
            IDENTITY.replace("{owner}", OWNER).replace("{token}", TOKEN)
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = root / "server.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "DTAAS"))},
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "JUPYTERHUB_USER": OWNER,
            "DTAAS_LIBRARY_URL": library_url,
            "DTAAS_LIBRARY_TOKEN": LIBRARY_TOKEN,
        }
        args = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--ServerApp.port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={self.home}",
            "--ServerApp.port_retries=0",
        ]
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=root
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()
            try:
                if self.get("api/status").status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not start:\n" + self.log_path.read_text())

    def request(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = {"Authorization": f"token {TOKEN}", **kwargs.pop("headers", {})}
        if user:
            headers["X-Test-User"] = user
        kwargs.setdefault("timeout", 60)
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


@pytest.fixture(scope="module")
def counting():
    host = CountingHost(b'{"type": "number"}')
    yield host
    host.close()


@pytest.fixture(scope="module")
def library():
    server = serve(StubLibrary())
    yield server
    server.slow_released.set()
    server.shutdown()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, library):
    rt = Runtime(tmp_path_factory.mktemp("runtime"), f"http://127.0.0.1:{library.server_port}/")
    yield rt
    rt.stop()


def refused(r, status: int = 400) -> dict:
    """A refusal: the status, a JSON body that says it, and nothing else."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/json")
    body = strict(r.text)
    assert body["status"] == status and body["message"]
    return body


def raw_post(runtime, path: str, text: str, method: str = "POST"):
    return runtime.request(
        method, path, data=text.encode(), headers={"Content-Type": "application/json"}
    )


# --- 1. links out of the workspace ------------------------------------------------------


def bobs_run(runtime) -> RunRecord:
    folder = runtime.other / "runs" / "secret-dt" / "20240101T000000000-bbbbbb"
    folder.mkdir(parents=True, exist_ok=True)
    record = RunRecord(
        id=folder.name, dt="secret-dt", scope="private", steps=["execute"], parameters={}
    )
    record.dir = f"runs/secret-dt/{folder.name}"
    (folder / "run.json").write_text(json.dumps(record.to_dict()))
    (folder / "run.log").write_text("bob's secret\n")
    return record


def test_runs_linked_in_from_another_workspace_are_invisible(runtime):
    record = bobs_run(runtime)
    link = runtime.home / "runs" / "secret-dt"
    link.symlink_to(runtime.other / "runs" / "secret-dt")
    try:
        runs = strict(runtime.get("dtaas/api/runs").text)["runs"]
        assert record.id not in [r["id"] for r in runs]
        for path in ("", "/log"):
            body = refused(runtime.get(f"dtaas/api/runs/{record.id}{path}"), 404)
            assert body["run"] == record.id
        assert "bob's secret" not in runtime.get(f"dtaas/api/runs/{record.id}/log").text
    finally:
        link.unlink()


def test_a_run_log_linked_out_is_refused_naming_it(runtime):
    bobs = bobs_run(runtime)
    own = RunRecord(
        id="20240101T000000000-aaaaaa", dt="mine", scope="private", steps=["x"], parameters={}
    )
    own.dir = f"runs/mine/{own.id}"
    folder = runtime.home / own.dir
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(own.to_dict()))
    (folder / "run.log").symlink_to(runtime.other / bobs.dir / "run.log")
    body = refused(runtime.get(f"dtaas/api/runs/{own.id}/log"), 403)
    assert body["path"] == f"{own.dir}/run.log" and "bob" not in json.dumps(body)


def test_configurations_linked_out_are_invisible_and_not_written(runtime):
    theirs = runtime.other / "configs" / "common" / "mass-spring-damper"
    theirs.mkdir(parents=True, exist_ok=True)
    (theirs / "bobs.yaml").write_text("k1: 99.0\n")
    (runtime.home / "configs" / "common").mkdir(parents=True, exist_ok=True)
    link = runtime.home / "configs" / "common" / "mass-spring-damper"
    link.symlink_to(theirs)
    try:
        msd = "dtaas/api/dts/common/mass-spring-damper"
        info = strict(runtime.get(msd).text)
        assert [c["name"] for c in info["configs"]] == ["default"]
        refused(runtime.get(f"{msd}/configs/bobs"), 403)
        refused(runtime.put(f"{msd}/configs/mine", json={"values": {"k1": 1.0}}), 403)
        assert sorted(p.name for p in theirs.iterdir()) == ["bobs.yaml"]
    finally:
        link.unlink()


# --- 3. NaN and infinity ----------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_bodies_are_refused(runtime, number):
    msd = "dtaas/api/dts/common/mass-spring-damper"
    for path, text, where in (
        ("dtaas/api/runs", f'{{"dt": "mass-spring-damper", "timeout": {number}}}', "timeout"),
        (
            "dtaas/api/runs",
            f'{{"dt": "mass-spring-damper", "parameters": {{"m1": {number}}}}}',
            "m1",
        ),
        (f"{msd}/validate", f'{{"values": {{"k1": {number}}}}}', "k1"),
    ):
        body = refused(raw_post(runtime, path, text))
        assert where in json.dumps(body), body
    body = refused(
        raw_post(runtime, f"{msd}/configs/nan", f'{{"values": {{"k1": {number}}}}}', "PUT")
    )
    assert "k1" in json.dumps(body)
    assert not (runtime.home / "configs" / "common" / "mass-spring-damper" / "nan.yaml").exists()


def test_answers_are_strict_json_whatever_is_on_disk(runtime):
    folder = write_dt(
        runtime.home,
        "nanny",
        ["x = 1"],
        {"type": "object", "properties": {"k": {"type": "number", "default": 1.0}}},
    )
    text = (folder / "dt.yaml").read_text().replace("default: 1.0", "default: .nan")
    (folder / "dt.yaml").write_text(text)
    record = RunRecord(
        id="20240101T000000000-nnnnnn", dt="nanny", scope="private", steps=["x"], parameters={}
    )
    record.recorded = {"x": math.nan, "y": [math.inf]}
    record.dir = f"runs/nanny/{record.id}"
    (runtime.home / record.dir).mkdir(parents=True)
    (runtime.home / record.dir / "run.json").write_text(json.dumps(record.to_dict()))

    runs = strict(runtime.get("dtaas/api/runs").text)["runs"]
    assert next(r for r in runs if r["id"] == record.id)["recorded"] == {"x": None, "y": [None]}
    assert strict(runtime.get(f"dtaas/api/runs/{record.id}").text)["recorded"]["x"] is None
    info = strict(runtime.get("dtaas/api/dts/private/nanny").text)
    assert info["parameters"]["properties"]["k"]["default"] is None
    assert info["problems"][0]["field"] == "parameters.properties.k.default"
    for attempt in (
        runtime.post("dtaas/api/runs", json={"dt": "nanny"}),
        runtime.post("dtaas/api/dts/private/nanny/validate", json={"values": {}}),
        runtime.put("dtaas/api/dts/private/nanny/configs/c", json={"values": {}}),
    ):
        assert refused(attempt)["field"] == "parameters.properties.k.default"


def test_a_configuration_with_nan_is_refused_naming_it(runtime):
    folder = write_dt(
        runtime.home, "nanconf", ["x = 1"], {"type": "object", "properties": {"k": {}}}
    )
    (folder / "configs").mkdir()
    (folder / "configs" / "bad.yaml").write_text("k: .inf\n")
    assert strict(runtime.get("dtaas/api/dts/private/nanconf").text)["configs"] == []
    body = refused(runtime.get("dtaas/api/dts/private/nanconf/configs/bad"))
    assert body["config"] == "bad" and body["field"] == "k"
    body = refused(runtime.post("dtaas/api/runs", json={"dt": "nanconf", "config": "bad"}))
    assert body["config"] == "bad" and body["field"] == "k"


# --- 4. parameter schemas ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "field"),
    [
        ({"$ref": "http://127.0.0.1:{port}/schema.json"}, "parameters.properties.x.$ref"),
        ({"$ref": "schema.json"}, "parameters.properties.x.$ref"),
        ({"$ref": "#/$defs/nowhere"}, "parameters.properties.x.$ref"),
        ({"type": "numbr"}, "parameters.properties.x.type"),
        ({"type": "string", "pattern": "(["}, "parameters.properties.x.pattern"),
    ],
)
def test_bad_parameter_schemas_are_refused_naming_the_field(runtime, counting, prop, field):
    prop = json.loads(json.dumps(prop).replace("{port}", str(counting.server_port)))
    name = f"bad-{abs(hash(field + json.dumps(prop))) % 10**8}"
    write_dt(runtime.home, name, ["x = 1"], {"type": "object", "properties": {"x": prop}})
    base = f"dtaas/api/dts/private/{name}"
    info = strict(runtime.get(base).text)
    assert field in [p["field"] for p in info["problems"]]
    for attempt in (
        runtime.post("dtaas/api/runs", json={"dt": name, "parameters": {"x": 1}}),
        runtime.post(f"{base}/validate", json={"values": {"x": 1}}),
        runtime.put(f"{base}/configs/c", json={"values": {"x": 1}}),
    ):
        body = refused(attempt)
        assert body["field"] == field and body["dt"] == name
    assert counting.hits == []
    assert not (runtime.home / "digital_twins" / name / "configs").exists()
    assert not (runtime.home / "runs" / name).exists()


# --- 5. body size and depth -------------------------------------------------------------


def test_deeply_nested_bodies_are_refused(runtime):
    deep = '{"dt": "mass-spring-damper", "parameters": {"m1": ' + "[" * 100000 + "]" * 100000
    deep += "}}"
    for path in ("dtaas/api/runs", "dtaas/api/dts/common/mass-spring-damper/validate"):
        refused(raw_post(runtime, path, deep))
    refused(raw_post(runtime, "dtaas/api/library/validate", deep))


def test_huge_bodies_are_refused(runtime, library):
    huge = json.dumps({"dt": "mass-spring-damper", "parameters": {"m1": "x" * (2 << 20)}})
    for path in ("dtaas/api/runs", "dtaas/api/library/validate"):
        refused(raw_post(runtime, path, huge), 413)
    assert not any(len(p) > 1 << 20 for p in library.posts)


def test_a_long_string_parameter_is_quoted_only_briefly(runtime):
    write_dt(
        runtime.home,
        "short",
        ["x = 1"],
        {"type": "object", "properties": {"s": {"type": "string", "maxLength": 10}}},
    )
    long = "y" * 900_000
    for r in (
        runtime.post("dtaas/api/runs", json={"dt": "short", "parameters": {"s": long}}),
        runtime.post("dtaas/api/dts/private/short/validate", json={"values": {"s": long}}),
    ):
        body = refused(r)
        assert body["errors"][0]["parameter"] == "s"
        assert len(r.content) < 5000


def test_a_dt_without_lifecycle_is_named_as_such(runtime):
    folder = runtime.home / "digital_twins" / "idle"
    folder.mkdir(parents=True)
    (folder / "dt.yaml").write_text(yaml.safe_dump({"name": "idle"}))
    body = refused(runtime.post("dtaas/api/runs", json={"dt": "idle"}))
    assert body["field"] == "lifecycle"
    assert body["message"] == "digital twin 'idle' declares no lifecycle steps in dt.yaml"
    (folder / "dt.yaml").write_text(yaml.safe_dump({"name": "idle", "lifecycle": ["execute"]}))
    assert strict(runtime.get("dtaas/api/dts/private/idle").text)["steps"] == []
    assert refused(runtime.post("dtaas/api/runs", json={"dt": "idle"}))["field"] == "lifecycle"


# --- 6. the library proxy ---------------------------------------------------------------


def test_library_files_pass_through_the_workspace_unchanged(runtime):
    base = "dtaas/api/library/assets/common/data"
    r = runtime.get(f"{base}/blob/files/blob.bin")
    assert r.status_code == 200 and r.content == BLOB
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"] == 'attachment; filename="blob.bin"'
    assert r.headers["Content-Length"] == str(len(BLOB))
    r = runtime.get(f"{base}/table/files/t.csv")
    assert r.status_code == 200 and r.content == b"a,b\n1,2\n"
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"].startswith("attachment")
    r = runtime.get(f"{base}/json/files/d.json")  # a JSON file is a file, not an answer
    assert r.status_code == 200 and r.content == b"{not json, but a file"


def test_library_json_answers_and_errors_stay_as_they_are(runtime):
    r = runtime.get("dtaas/api/library/search", params={"q": "spring"})
    assert r.status_code == 200
    assert strict(r.text) == {"results": [{"name": "x", "q": "/api/search?q=spring"}]}
    body = refused(runtime.get("dtaas/api/library/assets/common/data/none/files/x"), 404)
    assert body["path"] == "/api/assets/common/data/none/files/x"


def test_library_files_are_streamed_as_they_come(runtime, library):
    r = runtime.get("dtaas/api/library/assets/common/data/slow/files/slow.txt", stream=True)
    assert r.status_code == 200
    first = r.raw.read(len(CHUNK))  # arrives while the library still holds the rest
    library.slow_released.set()
    rest = r.raw.read()
    assert first == CHUNK and rest == CHUNK
    assert library.slow_waited == [True]


def test_the_library_proxy_never_sends_nan(runtime, library):
    before = len(library.posts)
    refused(raw_post(runtime, "dtaas/api/library/validate", '{"text": NaN}'))
    assert len(library.posts) == before


# --- 9. access by someone other than the owner ------------------------------------------


def test_access_by_another_user_is_logged(runtime):
    assert runtime.get("dtaas/api/runs", user=OWNER).status_code == 200
    assert runtime.get("dtaas/api/runs", user="admin").status_code == 200
    assert runtime.get("api/contents/digital_twins", user="admin").status_code == 200
    deadline = time.monotonic() + 10
    while "api/contents/digital_twins" not in runtime.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = [line for line in runtime.log().splitlines() if "admin access" in line]
    assert any("admin access: user 'admin' GET /dtaas/api/runs (status 200)" in x for x in lines)
    assert any("user 'admin' GET /api/contents/digital_twins (status 200)" in x for x in lines)
    assert not any(f"user '{OWNER}'" in x for x in lines)
    assert all("WARNING" in x or "[W " in x for x in lines), lines


# --- the command line -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["m1=.nan", "m1=.inf", "m1=-.inf"])
def test_the_cli_refuses_non_finite_parameters(text):
    import argparse

    from dtaas import cli

    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_param(text)


@pytest.mark.parametrize("text", ["inf", "nan", "Infinity"])
def test_the_cli_refuses_non_finite_timeouts(text):
    import argparse

    from dtaas import cli

    with pytest.raises(argparse.ArgumentTypeError):
        cli.positive_seconds(text)
