"""The library's REST API: thin tornado handlers over ``catalog``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tornado import web

from .auth import LIBRARY_READ, LibraryAuthenticated
from .catalog import list_library
from .errors import APIError
from .fsutil import PathOutsideRoot, confined


class LibraryHandler(LibraryAuthenticated, web.RequestHandler):
    """Base handler: JSON in and out, JSON errors."""

    @property
    def data_dir(self) -> Path:
        return self.settings["dtaas_data_dir"]

    def check_xsrf_cookie(self) -> None:
        # token-authenticated API; browser sessions are read-only here
        return

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, APIError):
            body = exc.body()
        else:
            body = {"status": status_code, "message": self._reason}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def user_root(self, name: str) -> Path | None:
        """The user's private library, or None before their first spawn."""
        try:
            root = confined(self.data_dir / "users", name)
        except PathOutsideRoot:
            raise APIError(403, f"user name {name!r} has no library") from None
        return root if root.is_dir() else None


class AssetsHandler(LibraryHandler):
    """``GET api/assets``: the asking user's private assets and the common ones."""

    def get(self) -> None:
        user = self.require(LIBRARY_READ)
        assets = []
        root = self.user_root(user["name"])
        if root is not None:
            assets += list_library(root, "private")
        assets += list_library(self.data_dir / "common", "common", prefix="common/")
        self.write_json({"assets": [a.to_dict() for a in assets]})


class WhoAmIHandler(LibraryHandler):
    """``GET api/me``: who the library thinks is asking, and with which library scopes."""

    def get(self) -> None:
        user = self.require(LIBRARY_READ)
        scopes = sorted(s for s in user.get("scopes", []) if s.startswith("custom:library"))
        self.write_json({"name": user["name"], "scopes": scopes})


class IndexHandler(LibraryHandler):
    """``GET /services/library/``: what this service is; no data, no login needed."""

    def get(self) -> None:
        self.write_json({"name": "library", "api": self.request.path.rstrip("/") + "/api/"})


class NotFoundHandler(LibraryHandler):
    def prepare(self) -> None:
        raise APIError(404, f"no such endpoint: {self.request.path}")
