"""The runtime's REST API under ``/dtaas/api/``: thin handlers over the managers."""

from __future__ import annotations

import json
import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from asset_library.client import LibraryClient
from asset_library.errors import APIError

from .digital_twins import NAME_RE, RequestError
from .runs.manager import RunManager

RUN_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")


class DTaaSHandler(APIHandler):
    """Jupyter's auth and XSRF, JSON errors that name the field at fault."""

    auth_resource = "dtaas"

    @property
    def runs(self) -> RunManager:
        return self.settings["dtaas_run_manager"]

    @property
    def library(self) -> LibraryClient:
        return self.settings["dtaas_library_client"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, APIError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(exc.body()))
            return
        super().write_error(status_code, **kwargs)

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise APIError(400, "request body is not valid JSON", field="body") from None
        if not isinstance(body, dict):
            raise APIError(400, "request body must be a JSON object", field="body")
        return body


class LibraryProxyHandler(DTaaSHandler):
    """``GET /dtaas/api/library``: the library as the library service shows it to this user."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish({"assets": await self.library.assets()})


class RunsHandler(DTaaSHandler):
    """``GET`` lists runs (``?dt=`` filters); ``POST {dt, step, parameters, scope}`` starts one."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        dt = self.get_argument("dt", None)
        if dt is not None and not NAME_RE.match(dt):
            raise APIError(400, f"dt {dt!r} is not a valid digital twin name", dt=dt)
        self.finish({"runs": [r.to_dict() for r in self.runs.store.all(dt)]})

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        for key in ("dt", "step"):
            if key not in body:
                raise APIError(400, f"missing field {key!r}", field=key)
        try:
            record = self.runs.submit(
                body["dt"], body["step"], body.get("parameters"), body.get("scope")
            )
        except RequestError as e:
            raise APIError(e.status, e.message, **e.fields) from None
        self.set_status(201)
        self.finish(record.to_dict())


class RunHandler(DTaaSHandler):
    """``GET /dtaas/api/runs/<id>``: one run record."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        record = self.runs.store.get(run_id) if RUN_ID_RE.match(run_id) else None
        if record is None:
            raise APIError(404, f"no run with id {run_id!r}", run=run_id)
        self.finish(record.to_dict())


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/dtaas/api/library", LibraryProxyHandler),
        (r"/dtaas/api/runs", RunsHandler),
        (r"/dtaas/api/runs/([^/]+)", RunHandler),
    ]
