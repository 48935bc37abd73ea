"""The runtime's REST API under ``/dtaas/api/``: thin handlers over the managers."""

from __future__ import annotations

import json
import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from asset_library.client import LibraryClient
from asset_library.errors import APIError, json_object

from .configs import ConfigStore
from .digital_twins import NAME_RE, DigitalTwin, RequestError, find_dt, resolve_parameters
from .runs.manager import RunManager
from .runs.model import RunRecord

RUN_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
SCOPE = r"(private|common)"
NAME = r"([^/]+)"


class DTaaSHandler(APIHandler):
    """Jupyter's auth and XSRF; domain errors become JSON that names the field at fault."""

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

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RequestError):
            self.set_status(exc.status)
            exc = APIError(exc.status, exc.message, **exc.fields)
        if isinstance(exc, APIError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(exc.body()))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, RequestError):
            self.log.warning("%d %s: %s", value.status, self.request.path, value.message)
            return
        super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RequestError):
            status_code = exc.status
        super().send_error(status_code, **kwargs)

    def json_body(self) -> dict[str, Any]:
        return json_object(self.request.body)

    def dt(self, scope: str, name: str) -> DigitalTwin:
        return find_dt(self.runs.workspace, name, scope)

    def run_record(self, run_id: str) -> RunRecord:
        record = self.runs.store.get(run_id) if RUN_ID_RE.match(run_id) else None
        if record is None:
            raise APIError(404, f"no run with id {run_id!r}", run=run_id)
        return record

    def values_of(self, body: dict[str, Any]) -> Any:
        values = body.get("values", {})
        if not isinstance(values, dict):
            raise APIError(400, "values must be an object", field="values")
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
        _, data = await self.library.request("GET", endpoint, self.request.query)
        self.finish(json.dumps(data))

    @web.authenticated
    @authorized
    async def post(self, endpoint: str | None = None) -> None:
        status, data = await self.library.request("POST", endpoint or "", body=self.json_body())
        self.set_status(status)
        self.finish(json.dumps(data))


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
                "path": f"{'' if dt.scope == 'private' else 'common/'}digital_twins/{dt.name}",
                "parameters": dt.parameter_schema,
                "steps": dt.describe_steps(),
                "records": m.get("records") if isinstance(m.get("records"), dict) else {},
                "configs": [c.to_dict() for c in self.configs.list(dt)],
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
            self.set_status(400)
            self.finish({"valid": False, "status": 400, "message": e.message, **e.fields})
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
    def get(self) -> None:
        dt = self.get_argument("dt", None)
        if dt is not None and not NAME_RE.match(dt):
            raise APIError(400, f"dt {dt!r} is not a valid digital twin name", dt=dt)
        limit = self.get_argument("limit", None)
        if limit is not None and (not limit.isdigit() or int(limit) < 1):
            raise APIError(400, f"limit {limit!r} is not a positive integer", field="limit")
        records = self.runs.store.all(dt, int(limit) if limit else None)
        self.finish({"runs": [r.to_dict() for r in records]})

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        if "dt" not in body:
            raise APIError(400, "missing field 'dt'", field="dt")
        record = self.runs.submit(body)
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
            raise APIError(400, f"offset {offset!r} is not a byte offset", field="offset")
        text, new_offset = self.runs.store.read_log(record, int(offset))
        at_end = new_offset >= self.runs.store.log_size(record)
        self.finish({"text": text, "offset": new_offset, "done": record.done and at_end})


class RunCancelHandler(DTaaSHandler):
    """``POST /dtaas/api/runs/<id>/cancel``: stop a queued or running run."""

    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.run_record(run_id)
        record = self.runs.cancel(run_id)
        self.set_status(202)
        self.finish(record.to_dict())


def handlers() -> list[tuple[str, type]]:
    return [
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
    ]
