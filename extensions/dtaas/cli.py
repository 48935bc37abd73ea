"""``dtaas``: run and inspect digital twin runs from a terminal, through the runtime REST API.

Inside a workspace terminal it needs no options: the server's URL and token come from
``$JUPYTERHUB_SERVICE_URL`` and ``$JUPYTERHUB_API_TOKEN``. Only the standard library,
PyYAML and tqdm (both installed with the platform) are used, so it works wherever
``dtaas`` is importable.

Exit status: 0 done (the run succeeded), 1 the run failed or was cancelled (or the server
failed, HTTP 500), 2 bad usage or a request the server refused (HTTP 4xx), 3 the server
cannot be reached or is not running, 130 interrupted (a followed run is cancelled).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NoReturn, TextIO

import yaml

from .cli_admin import add_admin_commands
from .cli_library import add_library_commands
from .cli_share import add_share_commands
from .cli_snapshots import add_snapshot_commands
from .cli_whatif import add_whatif_commands

OK, FAILED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
TERMINAL = {"succeeded", "failed", "cancelled"}
# statuses the hub or its proxy answer when the user's server is not there
GONE = {424, 502, 503, 504}
POLL_S = 0.3
HTTP_TIMEOUT_S = 30.0


class UsageError(Exception):
    """Bad invocation found after parsing (missing URL or token)."""


class Refused(Exception):
    """The server answered 4xx (or another error status); ``lines`` say why, one per fault,
    and ``payload`` is its JSON body (None when there was none)."""

    def __init__(self, status: int, lines: list[str], payload: Any = None):
        super().__init__(lines[0] if lines else f"HTTP {status}")
        self.status = status
        self.lines = lines
        self.payload = payload


class Unreachable(Exception):
    """No answer from the server, or the hub says the server is not running."""


# --- pure helpers ---------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A ``-p`` value as a YAML scalar, as papermill does; anything else stays the raw text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if value is None or isinstance(value, (str, int, float, bool)) else text


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` into ``(key, typed value)``; argparse prints the error naming ``-p``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    typed = parse_value(value)
    if isinstance(typed, float) and not math.isfinite(typed):
        raise argparse.ArgumentTypeError(f"{key.strip()}: {value!r} is not a finite number")
    return key.strip(), typed


def positive_seconds(text: str) -> float:
    """``--timeout`` must be a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def scope_name(text: str) -> str:
    """``--scope``: private, common, group:<name> or user:<name> (a twin shared with you)."""
    if text in ("private", "common") or re.match(r"^(group|user):[a-z0-9][a-z0-9._-]{0,63}$", text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected private, common, group:NAME or user:NAME, got {text!r}"
    )


def positive_int(text: str) -> int:
    """``--limit`` must be a positive whole number."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def run_body(args: argparse.Namespace) -> dict[str, Any]:
    """The ``POST runs`` body of ``dtaas run``; options not given are left to the server."""
    body: dict[str, Any] = {"dt": args.dt, "steps": args.steps or ["execute"]}
    if args.params:
        body["parameters"] = dict(args.params)
    for key in ("config", "profile", "scope", "timeout", "save_after"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    return body


def one_line(text: Any) -> str:
    """Collapse a server message onto one line so each fault stays one line."""
    return " ".join(str(text).split())


def error_lines(status: int, payload: Any, reason: str = "") -> list[str]:
    """The server's ``message`` then each ``errors`` entry as ``parameter: message``."""
    if not isinstance(payload, dict):
        return [one_line(f"HTTP {status} {reason}")]
    lines = [one_line(payload.get("message") or f"HTTP {status} {reason}")]
    for err in payload.get("errors") or []:
        if isinstance(err, dict):
            name = err.get("parameter") or err.get("pointer") or "?"
            lines.append(one_line(f"{name}: {err.get('message', '')}"))
    return lines


def format_duration(seconds: float | None) -> str:
    """``12.3 s``, ``4 min 05 s``; ``-`` while unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def format_value(value: Any) -> str:
    """A recorded value, short: floats to 6 significant digits, the rest as JSON."""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_progress(run: dict[str, Any]) -> str:
    """``step execute (1/3) cell 4/7``, the progress line of a run."""
    p = run.get("progress") or {}
    step, steps = p.get("step"), run.get("steps") or []
    if run.get("status") == "queued" or not step:
        return str(run.get("status", "queued"))
    total = p.get("steps_total") or len(steps) or 1
    # a run's steps are distinct, so the name gives the position whatever step_index counts from
    index = steps.index(step) + 1 if step in steps else max(1, min(p.get("step_index") or 1, total))
    line = f"step {step} ({index}/{total}) cell {p.get('cell') or 0}/{p.get('cells_total') or 0}"
    live = run.get("live") or {}
    if live.get("running"):
        line += f" tick {live.get('tick', 0)}"
    return line


def format_summary(run: dict[str, Any]) -> str:
    """One line at the end: id, status, duration, then the error or the recorded values."""
    line = f"run {run.get('id')} {run.get('status')} in {format_duration(run.get('duration_s'))}"
    if run.get("error"):
        line += f": {one_line(run['error'])}"
    recorded = run.get("recorded") or {}
    if recorded:
        line += "; recorded " + ", ".join(f"{k}={format_value(v)}" for k, v in recorded.items())
    return line


def format_runs(runs: list[dict[str, Any]]) -> str:
    """The ``dtaas runs`` table, columns aligned."""
    rows = [("ID", "DT", "STEPS", "STATUS", "DURATION")]
    for r in runs:
        steps = ",".join(r.get("steps") or [r.get("step") or ""])
        duration = format_duration(r.get("duration_s"))
        rows.append((r.get("id", ""), r.get("dt", ""), steps, r.get("status", ""), duration))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def server_url(given: str | None, env: dict[str, str]) -> str:
    """``--url``, else ``$DTAAS_URL``, else ``$JUPYTERHUB_SERVICE_URL``; always ends in ``/``."""
    url = given or env.get("DTAAS_URL") or env.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        raise UsageError("no server URL: pass --url or set $DTAAS_URL (or $JUPYTERHUB_SERVICE_URL)")
    return url if url.endswith("/") else url + "/"


def api_token(given: str | None, env: dict[str, str]) -> str:
    """``--token``, else ``$DTAAS_TOKEN``, else ``$JUPYTERHUB_API_TOKEN``."""
    token = given or env.get("DTAAS_TOKEN") or env.get("JUPYTERHUB_API_TOKEN")
    if not token:
        raise UsageError(
            "no API token: pass --token or set $DTAAS_TOKEN (or $JUPYTERHUB_API_TOKEN)"
        )
    return token


# --- the REST client ------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow only a GET, only within the origin: the token stays with the server.

    For a stopped workspace server the hub redirects to ``/hub/user/...`` and answers 424
    there; a POST is never replayed as a GET.
    """

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str):
        same = urllib.parse.urlsplit(req.full_url)[:2] == urllib.parse.urlsplit(newurl)[:2]
        if req.get_method() != "GET" or not same:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Client:
    """``{url}dtaas/api/...`` with ``Authorization: token ...``; JSON in and out."""

    def __init__(self, url: str, token: str, api: str = "dtaas/api/"):
        self.base = url + api
        self.token = token
        self.opener = urllib.request.build_opener(_Redirects)

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """One request; errors become Refused (exit 2) or Unreachable (exit 3)."""
        url = self.base + path
        query = {k: v for k, v in query.items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body, allow_nan=False).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT_S) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            payload = _json_or_none(e.read())
            if 300 <= e.code < 400:
                where = e.headers.get("Location", "elsewhere")
                raise Refused(
                    e.code, [f"{url} redirects to {where}: check --url and --token"]
                ) from None
            if e.code in GONE:
                raise Unreachable(error_lines(e.code, payload, e.reason)[0]) from None
            raise Refused(e.code, error_lines(e.code, payload, e.reason), payload) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise Unreachable(f"cannot reach {url}: {reason}") from None
        payload = _json_or_none(raw) if raw else None
        if raw and payload is None:
            raise Refused(200, [f"{url} did not answer JSON: is --url a workspace server URL?"])
        return payload


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


# --- following a run ------------------------------------------------------------------


class Progress:
    """A tqdm bar on a terminal; on a pipe or file, one plain line per change."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.bar: Any = None
        self.last = ""

    def update(self, run: dict[str, Any]) -> None:
        text = format_progress(run)
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=1, file=self.stream, leave=False, bar_format="{desc} |{bar:24}| {elapsed}"
                )
            p = run.get("progress") or {}
            self.bar.total = max(int(p.get("cells_total") or 0), 1)
            self.bar.n = min(int(p.get("cell") or 0), self.bar.total)
            self.bar.set_description_str(text, refresh=False)
            self.bar.refresh()
        elif text != self.last:
            print(text, file=self.stream, flush=True)
        self.last = text

    def write(self, text: str, out: TextIO) -> None:
        """Log text to ``out`` without tearing the bar."""
        if self.bar is not None:
            self.bar.write(text, file=out, end="")
        else:
            out.write(text)
        out.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def follow(client: Client, run: dict[str, Any]) -> dict[str, Any]:
    """Stream the run's log to stdout and its progress to stderr until it ends."""
    path, offset = f"runs/{quote(run['id'])}", 0
    progress = Progress(sys.stderr)
    try:
        while True:
            chunk = client.call("GET", f"{path}/log", offset=offset) or {}
            if chunk.get("text"):
                progress.write(chunk["text"], sys.stdout)
            offset = chunk.get("offset", offset)
            run = client.call("GET", path)
            progress.update(run)
            if run.get("status") in TERMINAL and (chunk.get("done") or not chunk.get("text")):
                # read to the end: "done" may come before the last chunk or the final line
                while (tail := client.call("GET", f"{path}/log", offset=offset) or {}).get("text"):
                    progress.write(tail["text"], sys.stdout)
                    offset = tail.get("offset", offset)
                return run
            time.sleep(POLL_S)
    finally:
        progress.close()


# --- subcommands ----------------------------------------------------------------------


def cmd_run(client: Client, args: argparse.Namespace) -> int:
    run = client.call("POST", "runs", run_body(args))
    if not args.follow:
        print(run["id"])
        return OK
    print(
        f"run {run['id']} of {run.get('dt')}: {', '.join(run.get('steps') or [])}", file=sys.stderr
    )
    return follow_and_summarise(client, run)


def follow_and_summarise(client: Client, run: dict[str, Any]) -> int:
    """Follow a run to its end (Ctrl-C cancels it), then print its summary."""
    try:
        run = follow(client, run)
    except KeyboardInterrupt:
        print(f"\ncancelling run {run['id']}", file=sys.stderr)
        try:
            client.call("POST", f"runs/{quote(run['id'])}/cancel")
        except (Refused, Unreachable) as e:
            print(f"dtaas: cancel: {e}", file=sys.stderr)
        return INTERRUPTED
    print(format_summary(run))
    return OK if run.get("status") == "succeeded" else FAILED


def cmd_runs(client: Client, args: argparse.Namespace) -> int:
    data = client.call("GET", "runs", dt=args.dt, limit=args.limit) or {}
    print(format_runs(data.get("runs") or []))
    return OK


def cmd_show(client: Client, args: argparse.Namespace) -> int:
    print(json.dumps(client.call("GET", f"runs/{quote(args.run_id)}"), indent=2))
    return OK


def cmd_cancel(client: Client, args: argparse.Namespace) -> int:
    run = client.call("POST", f"runs/{quote(args.run_id)}/cancel") or {}
    print(f"run {args.run_id}: {run.get('status', 'cancelling')}")
    return OK


# --- arguments ------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the option (then exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    conn = argparse.ArgumentParser(add_help=False)
    conn.add_argument(
        "--url", help="workspace server URL (default $DTAAS_URL, else $JUPYTERHUB_SERVICE_URL)"
    )
    conn.add_argument(
        "--token", help="API token (default $DTAAS_TOKEN, else $JUPYTERHUB_API_TOKEN)"
    )

    parser = Parser(prog="dtaas", description="Run digital twins in your DTaaS workspace.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=[conn], help="start a run of a digital twin")
    run.add_argument("dt", metavar="DT", help="digital twin name")
    run.add_argument(
        "--step",
        dest="steps",
        action="append",
        metavar="S",
        help="lifecycle step, repeatable, run in order (default: execute)",
    )
    run.add_argument("--config", help="named configuration of the DT")
    run.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        type=parse_param,
        metavar="KEY=VALUE",
        help="parameter override, value read as YAML",
    )
    run.add_argument("--profile", help="compute profile (runs on a new server)")
    run.add_argument(
        "--scope",
        type=scope_name,
        help="library of the DT: private, common, group:NAME or user:NAME (shared with you)",
    )
    run.add_argument(
        "--save-after",
        dest="save_after",
        action="append",
        metavar="S",
        help="take a snapshot after this step (repeatable)",
    )
    run.add_argument(
        "--timeout", type=positive_seconds, metavar="SECONDS", help="time limit per step"
    )
    run.add_argument(
        "--follow",
        action="store_true",
        help="show progress and log until the run ends; exit 0 only on success",
    )
    run.set_defaults(func=cmd_run)

    runs = sub.add_parser("runs", parents=[conn], help="list runs, newest first")
    runs.add_argument("--dt", help="only runs of this digital twin")
    runs.add_argument("--limit", type=positive_int, metavar="N", help="at most N runs")
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser("show", parents=[conn], help="print a run record as JSON")
    show.add_argument("run_id", metavar="RUN_ID")
    show.set_defaults(func=cmd_show)

    cancel = sub.add_parser("cancel", parents=[conn], help="cancel a queued or running run")
    cancel.add_argument("run_id", metavar="RUN_ID")
    cancel.set_defaults(func=cmd_cancel)

    add_snapshot_commands(sub, conn, positive_int, positive_seconds, parse_param)
    add_whatif_commands(sub, conn, positive_int)
    add_library_commands(sub, conn)
    add_share_commands(sub, conn, scope_name)
    add_admin_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dtaas`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed
        return e.code if isinstance(e.code, int) else USAGE
    try:
        target = getattr(args, "target", None)  # a command that talks to the hub itself
        try:
            url, api = target(args, os.environ) if target else (None, "dtaas/api/")
        except ValueError as e:
            raise UsageError(str(e)) from None
        url = url or server_url(args.url, os.environ)
        client = Client(url, api_token(args.token, os.environ), api=api)
        return args.func(client, args)
    except UsageError as e:
        print(f"dtaas: {e}", file=sys.stderr)
        return USAGE
    except Refused as e:
        print(
            f"dtaas: {e.lines[0]}",
            *(f"  {line}" for line in e.lines[1:]),
            sep="\n",
            file=sys.stderr,
        )
        return USAGE if e.status < 500 else FAILED
    except Unreachable as e:
        print(f"dtaas: {e}", file=sys.stderr)
        return UNREACHABLE
    except KeyboardInterrupt:
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
