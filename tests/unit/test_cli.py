"""The ``dtaas`` command line: arguments, formatting, and its talk with a stub runtime API."""

from __future__ import annotations

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from dtaas import cli

ENV = ("DTAAS_URL", "DTAAS_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_TOKEN")


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "POLL_S", 0.01)


def args(*argv: str):
    return cli.build_parser().parse_args(list(argv))


# --- arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("m1=2.5", "m1", 2.5),
        ("n=7", "n", 7),
        ("flag=true", "flag", True),
        ("flag=False", "flag", False),
        ("name=abc", "name", "abc"),
        ("name='42'", "name", "42"),
        ("x=null", "x", None),
        ("expr=a=b", "expr", "a=b"),
        ("list=[1, 2]", "list", "[1, 2]"),  # not a scalar: kept as text
        ("bad=[1,", "bad", "[1,"),  # not YAML: kept as text
        ("day=2024-01-02", "day", "2024-01-02"),  # a date is not JSON: kept as text
        (" k =1", "k", 1),
    ],
)
def test_param_values_are_typed_as_yaml_scalars(text, key, value):
    assert cli.parse_param(text) == (key, value)
    assert type(cli.parse_param(text)[1]) is type(value)


def test_run_body_keeps_step_order_and_typed_params():
    body = cli.run_body(
        args(
            "run", "msd", "--step", "create", "--step", "execute", "--step", "analyze",
            "-p", "m1=2", "-p", "flag=true", "--param", "m1=3.5",
        )
    )  # fmt: skip
    assert body == {
        "dt": "msd",
        "steps": ["create", "execute", "analyze"],
        "parameters": {"m1": 3.5, "flag": True},
    }


def test_run_body_defaults_to_execute_and_sends_only_given_options():
    assert cli.run_body(args("run", "msd")) == {"dt": "msd", "steps": ["execute"]}
    body = cli.run_body(
        args(
            "run", "msd", "--config", "fast", "--profile", "big", "--scope", "common",
            "--timeout", "90",
        )
    )  # fmt: skip
    assert body == {
        "dt": "msd",
        "steps": ["execute"],
        "config": "fast",
        "profile": "big",
        "scope": "common",
        "timeout": 90.0,
    }


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["run", "msd", "-p", "m1"], ["-p", "'m1'", "key=value"]),
        (["run", "msd", "-p", "=3"], ["-p", "'=3'"]),
        (["run", "msd", "--timeout", "-1"], ["--timeout", "'-1'"]),
        (["run", "msd", "--timeout", "soon"], ["--timeout", "'soon'"]),
        (["run", "msd", "--scope", "team"], ["--scope", "'team'"]),
        (["runs", "--limit", "0"], ["--limit", "'0'"]),
        (["run"], ["DT"]),
        (["launch"], ["'launch'"]),
        ([], ["COMMAND"]),
    ],
)
def test_usage_errors_are_one_line_naming_the_option(capsys, argv, names):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    for name in names:
        assert name in err


def test_bad_param_exits_2_through_systemexit_as_a_script(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["run", "msd", "-p", "m1"])
    assert exc.value.code == 2
    assert "-p" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--step", "--config", "-p", "--profile", "--scope", "--timeout", "--follow"):
        assert option in out


# --- URL and token ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "missing", "hints"),
    [
        (["run", "msd", "--token", "t"], "URL", ["--url", "$DTAAS_URL"]),
        (["runs", "--url", "http://127.0.0.1:9/"], "token", ["--token", "$DTAAS_TOKEN"]),
        (["show", "r1"], "URL", ["--url"]),
        (["cancel", "r1", "--url", "http://x/"], "token", ["$JUPYTERHUB_API_TOKEN"]),
    ],
)
def test_missing_url_or_token_says_which_and_exits_2(capsys, argv, missing, hints):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert missing in captured.err
    for hint in hints:
        assert hint in captured.err


def test_url_and_token_fall_back_to_the_environment():
    env = {"JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:5/user/alice", "JUPYTERHUB_API_TOKEN": "j"}
    assert cli.server_url(None, env) == "http://127.0.0.1:5/user/alice/"
    assert cli.api_token(None, env) == "j"
    env |= {"DTAAS_URL": "http://h/user/bob/", "DTAAS_TOKEN": "d"}
    assert cli.server_url(None, env) == "http://h/user/bob/"
    assert cli.api_token(None, env) == "d"
    assert cli.server_url("http://given/", env) == "http://given/"
    assert cli.api_token("given", env) == "given"


# --- formatting -------------------------------------------------------------------------


def test_progress_line():
    progress = {"step": "execute", "step_index": 2, "steps_total": 2, "cell": 3, "cells_total": 7}
    run = {"status": "running", "steps": ["create", "execute"], "progress": progress}
    assert cli.format_progress(run) == "step execute (2/2) cell 3/7"
    del run["steps"]  # then the index as the server counts it
    assert cli.format_progress(run) == "step execute (2/2) cell 3/7"
    assert cli.format_progress({"status": "queued", "progress": {}}) == "queued"


def test_summary_of_success_and_failure():
    ok = {
        "id": "r1",
        "status": "succeeded",
        "duration_s": 4.26,
        "recorded": {"x1": 0.123456789, "n": 3, "tag": "a"},
    }
    assert cli.format_summary(ok) == 'run r1 succeeded in 4.3 s; recorded x1=0.123457, n=3, tag="a"'
    bad = {
        "id": "r2",
        "status": "failed",
        "duration_s": 75,
        "step": "execute",
        "cell": 1,
        "error": "step execute: cell 1: ValueError:\nboom",
        "recorded": {},
    }
    assert cli.format_summary(bad) == (
        "run r2 failed in 1 min 15 s: step execute: cell 1: ValueError: boom"
    )
    assert "cancelled in -" in cli.format_summary({"id": "r3", "status": "cancelled"})


def test_runs_table_aligns_columns():
    table = cli.format_runs(
        [
            {"id": "r-long-id", "dt": "a", "steps": ["create", "execute"], "status": "running"},
            {"id": "r2", "dt": "msd", "steps": ["execute"], "status": "ok", "duration_s": 2.0},
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "DT", "STEPS", "STATUS", "DURATION"]
    assert lines[1].split() == ["r-long-id", "a", "create,execute", "running", "-"]
    assert lines[2].split() == ["r2", "msd", "execute", "ok", "2.0", "s"]
    assert {line.index(line.split()[1]) for line in lines} == {len("r-long-id") + 2}


def test_error_lines_name_each_parameter():
    payload = {
        "status": 400,
        "message": "invalid parameters\nfor 'msd': m1",
        "errors": [
            {"parameter": "m1", "pointer": "/m1", "message": "'heavy' is not of type 'number'"},
            {"parameter": "k9", "pointer": "/k9", "message": "unknown parameter"},
        ],
    }
    assert cli.error_lines(400, payload) == [
        "invalid parameters for 'msd': m1",
        "m1: 'heavy' is not of type 'number'",
        "k9: unknown parameter",
    ]
    assert cli.error_lines(404, None, "Not Found") == ["HTTP 404 Not Found"]


# --- against a stub of the runtime API --------------------------------------------------


class StubAPI:
    """Answers like the runtime API v2; a run succeeds after a few polls."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.done_early = False  # "done" as soon as the run is, more log or not
        self.requests: list[tuple[str, str, dict, object]] = []
        self.polls = 0
        self.log = ["queued msd\n", "running execute\n| integrated 1001 samples\n", "done\n"]

    def run(self) -> dict:
        done = self.polls >= 3
        status = ("failed" if self.fail else "succeeded") if done else "running"
        return {
            "id": "r1",
            "dt": "msd",
            "steps": ["execute"],
            "step": "execute",
            "status": status,
            "duration_s": 1.5 if done else None,
            "progress": {
                "step": "execute",
                "step_index": 1,
                "steps_total": 1,
                "cell": min(self.polls, 3),
                "cells_total": 3,
            },
            "error": "step execute: cell 2: ValueError: boom" if done and self.fail else None,
            "cell": 2 if done and self.fail else None,
            "recorded": {"x1": 0.25} if done and not self.fail else {},
        }

    def answer(self, method: str, path: str, body: object) -> tuple[int, object]:
        if method == "POST" and path == "/dtaas/api/runs":
            params = body.get("parameters", {})
            if params.get("m1") == "heavy":
                return 400, {
                    "status": 400,
                    "message": "invalid parameters for 'msd': m1",
                    "errors": [{"parameter": "m1", "pointer": "/m1", "message": "not a number"}],
                }
            if body["dt"] != "msd":
                return 404, {"status": 404, "message": f"no digital twin named {body['dt']!r}"}
            return 201, {**self.run(), "status": "queued"}
        if path == "/dtaas/api/runs/r1":
            self.polls += 1
            return 200, self.run()
        if path.startswith("/dtaas/api/runs/r1/log"):
            i, text = int(path.rsplit("=", 1)[1]), ""  # the stub's offsets count chunks
            if i < len(self.log) and self.polls >= min(i, 3):  # all there once the run ends
                text, i = self.log[i], i + 1
            done = self.polls >= 3 and (self.done_early or i == len(self.log))
            return 200, {"text": text, "offset": i, "done": done}
        if path == "/dtaas/api/runs/r1/cancel":
            return 202, {**self.run(), "status": "running"}
        if path == "/dtaas/api/runs" or path.startswith("/dtaas/api/runs?"):
            return 200, {"runs": [self.run()]}
        return 404, {"status": 404, "message": "Not Found"}


@pytest.fixture
def stub():
    api = StubAPI()

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            api.requests.append((method, self.path, dict(self.headers), body))
            if self.path.startswith("/moved/"):  # as the proxy does for a stopped server
                self.send_response(302)
                self.send_header("Location", self.path.replace("/moved/", "/stopped/", 1))
                self.end_headers()
                return
            if self.path.startswith("/stopped/"):
                status, payload = 424, {"message": "JupyterHub server no longer running"}
            elif self.headers.get("Authorization") != "token secret":
                status, payload = 403, {"status": 403, "message": "Forbidden"}
            else:
                status, payload = api.answer(method, self.path, body)
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self.handle_one("GET")

        def do_POST(self):  # noqa: N802
            self.handle_one("POST")

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield api
    server.shutdown()
    server.server_close()


def test_run_without_follow_prints_the_id(stub, capsys, monkeypatch):
    monkeypatch.setenv("DTAAS_URL", stub.url.rstrip("/"))
    monkeypatch.setenv("DTAAS_TOKEN", "secret")
    assert cli.main(["run", "msd", "-p", "m1=2", "--step", "execute"]) == 0
    assert capsys.readouterr().out == "r1\n"
    method, path, headers, body = stub.requests[0]
    assert (method, path) == ("POST", "/dtaas/api/runs")
    assert headers["Authorization"] == "token secret"
    assert body == {"dt": "msd", "steps": ["execute"], "parameters": {"m1": 2}}


def test_follow_streams_log_progress_and_summary(stub, capsys):
    code = cli.main(["run", "msd", "--follow", "--url", stub.url, "--token", "secret"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == (
        "queued msd\nrunning execute\n| integrated 1001 samples\ndone\n"
        "run r1 succeeded in 1.5 s; recorded x1=0.25\n"
    )
    # not a terminal: progress as plain lines, one per change
    assert "step execute (1/1) cell 1/3\n" in captured.err
    assert "step execute (1/1) cell 3/3\n" in captured.err
    assert "\r" not in captured.err


def test_follow_reads_the_log_to_its_end_even_after_done(stub, capsys):
    stub.done_early = True
    stub.log += ["more\n", "and more\n", "succeeded\n"]
    assert cli.main(["run", "msd", "--follow", "--url", stub.url, "--token", "secret"]) == 0
    assert capsys.readouterr().out.splitlines()[-4:-1] == ["more", "and more", "succeeded"]


def test_follow_of_a_failing_run_exits_1(stub, capsys):
    stub.fail = True
    assert cli.main(["run", "msd", "--follow", "--url", stub.url, "--token", "secret"]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "run r1 failed in 1.5 s: step execute: cell 2: ValueError: boom"


def test_refused_run_prints_message_and_each_error(stub, capsys):
    argv = ["run", "msd", "-p", "m1=heavy", "--url", stub.url, "--token", "secret"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        "dtaas: invalid parameters for 'msd': m1",
        "  m1: not a number",
    ]
    assert cli.main(["run", "nope", "--url", stub.url, "--token", "secret"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert cli.main(["runs", "--url", stub.url, "--token", "wrong"]) == 2
    assert capsys.readouterr().err == "dtaas: Forbidden\n"


def test_runs_show_cancel(stub, capsys):
    conn = ["--url", stub.url, "--token", "secret"]
    assert cli.main(["runs", "--dt", "msd", "--limit", "5", *conn]) == 0
    assert stub.requests[-1][1] == "/dtaas/api/runs?dt=msd&limit=5"
    assert capsys.readouterr().out.splitlines()[1].split()[:4] == [
        "r1",
        "msd",
        "execute",
        "running",
    ]
    assert cli.main(["show", "r1", *conn]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "r1"
    assert cli.main(["cancel", "r1", *conn]) == 0
    assert stub.requests[-1][:2] == ("POST", "/dtaas/api/runs/r1/cancel")
    assert cli.main(["show", "r/../x", *conn]) == 2
    assert stub.requests[-1][1] == "/dtaas/api/runs/r%2F..%2Fx"
    assert "Not Found" in capsys.readouterr().err


def test_ctrl_c_while_following_cancels_and_exits_130(stub, capsys, monkeypatch):
    def interrupt(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "time", SimpleNamespace(sleep=interrupt))
    assert cli.main(["run", "msd", "--follow", "--url", stub.url, "--token", "secret"]) == 130
    assert stub.requests[-1][:2] == ("POST", "/dtaas/api/runs/r1/cancel")
    assert "cancelling run r1" in capsys.readouterr().err


def test_unreachable_server_exits_3(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        url = f"http://127.0.0.1:{port}/user/alice/"
        assert cli.main(["runs", "--url", url, "--token", "t"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot reach" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_bar_redrawn_in_place():
    err, out = FakeTerminal(), io.StringIO()
    progress = cli.Progress(err)
    run = {"status": "running", "steps": ["execute"], "progress": {"step": "execute"}}
    progress.update({**run, "progress": {**run["progress"], "cell": 3, "cells_total": 7}})
    progress.write("a log line\n", out)
    progress.update({**run, "progress": {**run["progress"], "cell": 7, "cells_total": 7}})
    progress.close()
    assert out.getvalue() == "a log line\n"
    text = err.getvalue()
    assert "\rstep execute (1/1) cell 3/7 |" in text and "\rstep execute (1/1) cell 7/7 |" in text
    assert "\n" not in text.replace("\x1b[A", "")  # redrawn with \r, never scrolled


def test_a_stopped_server_is_unreachable_and_a_post_is_not_redirected(stub, capsys):
    conn = ["--url", stub.url + "moved/", "--token", "secret"]
    assert cli.main(["runs", *conn]) == 3
    assert capsys.readouterr().err == "dtaas: JupyterHub server no longer running\n"
    assert stub.requests[-1][:2] == ("GET", "/stopped/dtaas/api/runs")
    assert cli.main(["run", "msd", *conn]) == 2
    assert "redirects to /stopped/dtaas/api/runs" in capsys.readouterr().err
    assert stub.requests[-1][0] == "POST"


def test_an_answer_that_is_not_json_is_refused(stub, capsys, monkeypatch):
    monkeypatch.setattr(stub, "answer", lambda *a: (200, "<html>"))
    assert cli.main(["runs", "--url", stub.url, "--token", "secret"]) == 2
    assert "did not answer JSON" in capsys.readouterr().err
