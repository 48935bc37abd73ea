"""The runtime's REST API under ``/dtaas/api/``: thin handlers over the managers."""

from __future__ import annotations

import asyncio
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPHeaders
from tornado.iostream import StreamClosedError

from asset_library.client import LibraryClient
from asset_library.errors import APIError, dumps, json_object

from .configs import ConfigStore
from .digital_twins import NAME_RE, DigitalTwin, RequestError, find_dt, resolve_parameters
from .jsonsafe import short_strings
from .liveshares import LiveShareManager, server_name
from .runs.manager import RunManager
from .runs.model import RunRecord
from .runs.outputs import CHUNK, MAX_LISTED
from .runs.store import RUN_ID_RE

SCOPE = r"(private|common|(?:group|user)(?::|%3[Aa])[a-z0-9][a-z0-9._-]{0,63})"
NAME = r"([^/]+)"


class DTaaSHandler(APIHandler):
    """Jupyter's auth and XSRF; errors become JSON that names the field at fault.

    Every error the runtime raises is an APIError (RequestError is one), rendered
    here, in ``write_error``, as ``{"status", "message", ...fields}``; tornado
    logs it as a warning with its status. Every JSON answer is strict JSON: a
    NaN or infinity in a record or a manifest goes out as null.
    """

    auth_resource = "dtaas"

    @property
    def runs(self) -> RunManager:
        return self.settings["dtaas_run_manager"]

    @property
    def configs(self) -> ConfigStore:
        return self.runs.configs

    @property
    def library(self) -> LibraryClient:
        return self.settings["dtaas_library_client"]

    def write(self, chunk: str | bytes | dict) -> None:
        if isinstance(chunk, dict):
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            chunk = dumps(chunk)
        super().write(chunk)

    def write_json(self, data: Any) -> None:
        """Any JSON value (a list too), strict."""
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        super().write(dumps(data))

    def error_body(self, error: APIError) -> dict[str, Any]:
        """An error's JSON body; no string in it quotes more than a short prefix of its input."""
        return short_strings(error.body())

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, APIError):
            self.finish(self.error_body(exc))
            return
        super().write_error(status_code, **kwargs)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object: the library's one parser, with its limits."""
        return json_object(self.request.body)

    def dt(self, scope: str, name: str) -> DigitalTwin:
        return find_dt(self.runs.workspace, name, scope)

    def run_record(self, run_id: str) -> RunRecord:
        record = self.runs.store.get(run_id) if RUN_ID_RE.match(run_id) else None
        if record is None:
            raise RequestError(404, f"no run with id {run_id!r}", run=run_id)
        return record

    def values_of(self, body: dict[str, Any]) -> Any:
        values = body.get("values", {})
        if not isinstance(values, dict):
            raise RequestError(400, "values must be an object", field="values")
        return values


class LibraryProxyHandler(DTaaSHandler):
    """``/dtaas/api/library[/<endpoint>]``: the library service, asked as this user.

    The browser talks to its own server only; the server calls the library with
    the workspace's token, so the library always knows who is asking.
    """

    @web.authenticated
    @authorized
    async def get(self, endpoint: str | None = None) -> None:
        if not endpoint:
            self.finish({"assets": await self.library.assets()})
            return
        passed: dict[str, Any] = {}

        def start(status: int, headers: HTTPHeaders) -> None:
            self.set_status(status)
            for name, value in headers.get_all():
                self.set_header(name, value)
            if "Content-Disposition" not in headers:
                self.set_header("Content-Disposition", "attachment")
            self.set_header("X-Content-Type-Options", "nosniff")
            passed["type"] = headers.get("Content-Type", "application/octet-stream")

        def write(chunk: bytes) -> None:
            self.write(chunk)
            # not awaited (the upstream callback is synchronous); a closed client is no error
            self.flush().add_done_callback(lambda f: f.cancelled() or f.exception())

        try:
            answer = await self.library.stream(endpoint, self.request.query, start, write)
        except ConnectionError as e:  # the file broke off after it started: end it short
            self.log.warning("%s", e)
            if self.request.connection is not None:
                self.request.connection.close()
            return
        if answer is None:
            self.finish(set_content_type=passed["type"])
            return
        self.write_json(answer[1])
        self.finish()

    @web.authenticated
    @authorized
    async def post(self, endpoint: str | None = None) -> None:
        await self._pass("POST", endpoint, self.json_body())

    @web.authenticated
    @authorized
    async def patch(self, endpoint: str | None = None) -> None:
        await self._pass("PATCH", endpoint, self.json_body())

    @web.authenticated
    @authorized
    async def delete(self, endpoint: str | None = None) -> None:
        await self._pass("DELETE", endpoint, None)

    @web.authenticated
    @authorized
    async def put(self, endpoint: str | None = None) -> None:
        """A file's new bytes, passed on unparsed (the library checks them)."""
        await self._pass("PUT", endpoint, bytes(self.request.body or b""))

    async def _pass(self, method: str, endpoint: str | None, body: Any) -> None:
        status, data = await self.library.request(method, endpoint or "", body=body)
        self.set_status(status)
        if status != 204:
            self.write_json(data)
        self.finish()


class DTHandler(DTaaSHandler):
    """``GET /dtaas/api/dts/<scope>/<dt>``: what the Configure form needs."""

    @web.authenticated
    @authorized
    def get(self, scope: str, name: str) -> None:
        dt = self.dt(scope, name)
        m = dt.manifest
        self.finish(
            {
                "name": dt.name,
                "scope": dt.scope,
                "title": m.get("title") if isinstance(m.get("title"), str) else dt.name,
                "description": m.get("description") or "",
                "path": dt.path,
                "parameters": dt.parameter_schema,
                "steps": dt.describe_steps(),
                "records": m.get("records") if isinstance(m.get("records"), dict) else {},
                "configs": [c.to_dict() for c in self.configs.list(dt)],
                "problems": [p.to_dict() for p in dt.problems],
            }
        )


class ConfigHandler(DTaaSHandler):
    """``GET|PUT|DELETE /dtaas/api/dts/<scope>/<dt>/configs/<name>``."""

    @web.authenticated
    @authorized
    def get(self, scope: str, name: str, config: str) -> None:
        self.finish(self.configs.get(self.dt(scope, name), config).to_dict())

    @web.authenticated
    @authorized
    def put(self, scope: str, name: str, config: str) -> None:
        dt = self.dt(scope, name)
        values = self.values_of(self.json_body())
        self.finish(self.configs.put(dt, config, values).to_dict())

    @web.authenticated
    @authorized
    def delete(self, scope: str, name: str, config: str) -> None:
        self.configs.delete(self.dt(scope, name), config)
        self.set_status(204)
        self.finish()


class ValidateHandler(DTaaSHandler):
    """``POST /dtaas/api/dts/<scope>/<dt>/validate``: check values without running."""

    @web.authenticated
    @authorized
    def post(self, scope: str, name: str) -> None:
        dt = self.dt(scope, name)
        values = self.values_of(self.json_body())
        try:
            params = resolve_parameters(dt, values)
        except RequestError as e:
            self.set_status(e.status)
            self.finish({"valid": False, **self.error_body(e)})
            return
        self.finish({"valid": True, "parameters": params})


class ProfilesHandler(DTaaSHandler):
    """``GET /dtaas/api/profiles``: the compute a run may ask for."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.finish({"profiles": self.runs.remote.profiles})


class RunsHandler(DTaaSHandler):
    """``GET`` lists runs (``?dt=``, ``?limit=``); ``POST`` starts one."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        dt = self.get_argument("dt", None)
        if dt is not None and not NAME_RE.match(dt):
            raise RequestError(400, f"dt {dt!r} is not a valid digital twin name", dt=dt)
        limit = self.get_argument("limit", None)
        if limit is not None and (not limit.isdigit() or int(limit) < 1):
            raise RequestError(400, f"limit {limit!r} is not a positive integer", field="limit")
        # every run.json is read: off the event loop
        records = await asyncio.to_thread(self.runs.store.all, dt, int(limit) if limit else None)
        self.finish({"runs": [r.to_dict() for r in records]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        if "dt" not in body and body.get("snapshot") is None:
            raise RequestError(400, "missing field 'dt'", field="dt")
        record = await self.runs.start(body)
        self.set_status(201)
        self.finish(record.to_dict())


class RunHandler(DTaaSHandler):
    """``GET /dtaas/api/runs/<id>``: one run record."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.finish(self.run_record(run_id).to_dict())


class RunLogHandler(DTaaSHandler):
    """``GET /dtaas/api/runs/<id>/log?offset=N``: the log as it grows."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        record = self.run_record(run_id)
        offset = self.get_argument("offset", "0")
        if not offset.isdigit():
            raise RequestError(400, f"offset {offset!r} is not a byte offset", field="offset")
        text, new_offset = self.runs.store.read_log(record, int(offset))
        at_end = new_offset >= self.runs.store.log_size(record)
        self.finish({"text": text, "offset": new_offset, "done": record.done and at_end})


class RunOutputsHandler(DTaaSHandler):
    """``GET /dtaas/api/runs/<id>/outputs``: the run's output files, for the Explore page."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        record = self.run_record(run_id)
        # a folder of any size is walked: off the event loop
        files, truncated = await asyncio.to_thread(self.runs.store.outputs, record, MAX_LISTED)
        self.finish(
            {"run": record.id, "files": [f.to_dict() for f in files], "truncated": truncated}
        )


class RunOutputsZipHandler(DTaaSHandler):
    """``GET /dtaas/api/runs/<id>/outputs.zip``: outputs, executed notebooks and log.

    The zip is built in a worker thread into a temporary file, then sent in chunks,
    each awaited, so neither the zip nor the client's pace holds memory.
    """

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        record = self.run_record(run_id)
        archive = await asyncio.to_thread(self.runs.outputs_zip, record)
        try:
            self.set_header("Content-Type", "application/zip")
            self.set_header(
                "Content-Disposition", f'attachment; filename="{record.dt}-{record.id}.zip"'
            )
            self.set_header("Content-Length", os.fstat(archive.fileno()).st_size)
            self.set_header("X-Content-Type-Options", "nosniff")
            while chunk := await asyncio.to_thread(archive.read, CHUNK):
                self.write(chunk)
                await self.flush()
        except StreamClosedError:  # the client went away: nothing more to send
            return
        finally:
            archive.close()
        self.finish(set_content_type="application/zip")


class RunCancelHandler(DTaaSHandler):
    """``POST /dtaas/api/runs/<id>/cancel``: stop a queued or running run."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_record(run_id)
        record = self.runs.cancel(run_id)
        self.set_status(202)
        self.finish(record.to_dict())


class RunStopHandler(DTaaSHandler):
    """``POST /dtaas/api/runs/<id>/stop``: end a live loop after its tick, then terminate."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_record(run_id)
        record = self.runs.stop(run_id)
        self.set_status(202)
        self.finish(record.to_dict())


class RunSaveHandler(DTaaSHandler):
    """``POST /dtaas/api/runs/<id>/save``: a snapshot now (201), or when the step ends (202)."""

    @web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        self.run_record(run_id)
        body = self.json_body() if self.request.body else {}
        saved = await self.runs.save(run_id, body)
        self.set_status(202 if isinstance(saved, RunRecord) else 201)
        self.finish(saved.to_dict())


def library_audit(library: LibraryClient, log: Any) -> Any:
    """Records an event in the library's audit log as this user; a refusal is a warning."""

    async def audit(action: str, target: str, detail: dict[str, Any]) -> None:
        body = {"action": action, "target": target, "detail": detail}
        try:
            await library.request("POST", "audit", body=body)
        except APIError as e:  # the share stands; the server's log says what was not recorded
            log.warning("audit of %s %s not recorded: %s", action, target, e.message)

    return audit


class LiveSharesHandler(DTaaSHandler):
    """Live sharing of this user's servers (see ``liveshares``); their owner only."""

    @property
    def live_shares(self) -> LiveShareManager:
        """The manager, to its owner alone: someone the server is shared with, or an
        admin, does not share it on."""
        manager = self.settings.get("dtaas_live_shares")
        if manager is None:
            manager = LiveShareManager(
                audit=library_audit(self.library, self.log),
                parent=self.settings.get("serverapp"),
                log=self.log,
            )
            self.settings["dtaas_live_shares"] = manager
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None)
        if manager.user and name != manager.user:
            raise RequestError(403, f"only {manager.user} shares {manager.user}'s servers")
        return manager


class SharesHandler(LiveSharesHandler):
    """``GET /dtaas/api/shares``: the user's servers with their shares and share codes."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish({"user": self.live_shares.user, "servers": await self.live_shares.servers()})


class ServerSharesHandler(LiveSharesHandler):
    """``GET|POST /dtaas/api/shares/<server>``: a server's shares; share it with a user or group."""

    @web.authenticated
    @authorized
    async def get(self, server: str) -> None:
        self.finish({"shares": await self.live_shares.shares(server_name(server))})

    @web.authenticated
    @authorized
    async def post(self, server: str) -> None:
        share = await self.live_shares.share(server_name(server), self.json_body())
        self.set_status(201)
        self.finish(share)


class ServerShareHandler(LiveSharesHandler):
    """``DELETE /dtaas/api/shares/<server>/<user|group>/<name>``: revoke a share."""

    @web.authenticated
    @authorized
    async def delete(self, server: str, kind: str, name: str) -> None:
        await self.live_shares.revoke(server_name(server), kind, name)
        self.set_status(204)
        self.finish()


class ShareCodesHandler(LiveSharesHandler):
    """``POST /dtaas/api/shares/<server>/codes`` ``{"expires_in": s}``: a share link."""

    @web.authenticated
    @authorized
    async def post(self, server: str) -> None:
        code = await self.live_shares.create_code(server_name(server), self.json_body())
        self.set_status(201)
        self.finish(code)


class ShareCodeHandler(LiveSharesHandler):
    """``DELETE /dtaas/api/shares/<server>/codes/<id>``: revoke a share link."""

    @web.authenticated
    @authorized
    async def delete(self, server: str, code_id: str) -> None:
        await self.live_shares.revoke_code(server_name(server), code_id)
        self.set_status(204)
        self.finish()


OPENAPI = Path(__file__).with_name("openapi.yaml")


@cache
def openapi_document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text())


class OpenAPIHandler(DTaaSHandler):
    """``GET /dtaas/api/openapi.json``: this API's description, at this server's URL."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        doc = dict(openapi_document())
        doc["servers"] = [{"url": url_path_join(self.base_url, "dtaas", "api")}]
        self.finish(doc)


def handlers() -> list[tuple[str, type]]:
    from .snapshots.handlers import handlers as snapshot_handlers
    from .whatif.handlers import handlers as sweep_handlers

    return [
        *snapshot_handlers(),
        *sweep_handlers(),
        (r"/dtaas/api/openapi.json", OpenAPIHandler),
        (r"/dtaas/api/library", LibraryProxyHandler),
        (r"/dtaas/api/library/(.+)", LibraryProxyHandler),
        (r"/dtaas/api/profiles", ProfilesHandler),
        (rf"/dtaas/api/dts/{SCOPE}/{NAME}", DTHandler),
        (rf"/dtaas/api/dts/{SCOPE}/{NAME}/validate", ValidateHandler),
        (rf"/dtaas/api/dts/{SCOPE}/{NAME}/configs/{NAME}", ConfigHandler),
        (r"/dtaas/api/runs", RunsHandler),
        (rf"/dtaas/api/runs/{NAME}", RunHandler),
        (rf"/dtaas/api/runs/{NAME}/log", RunLogHandler),
        (rf"/dtaas/api/runs/{NAME}/cancel", RunCancelHandler),
        (rf"/dtaas/api/runs/{NAME}/stop", RunStopHandler),
        (rf"/dtaas/api/runs/{NAME}/save", RunSaveHandler),
        (rf"/dtaas/api/runs/{NAME}/outputs", RunOutputsHandler),
        (rf"/dtaas/api/runs/{NAME}/outputs\.zip", RunOutputsZipHandler),
        (r"/dtaas/api/shares", SharesHandler),
        (rf"/dtaas/api/shares/{NAME}", ServerSharesHandler),
        (rf"/dtaas/api/shares/{NAME}/codes/{NAME}", ShareCodeHandler),
        (rf"/dtaas/api/shares/{NAME}/codes", ShareCodesHandler),
        (rf"/dtaas/api/shares/{NAME}/{NAME}/{NAME}", ServerShareHandler),
    ]
