"""Live sharing: a running workspace or run server shared with users, groups or by link.

JupyterHub's sharing API does the work (shares and share codes, ``/hub/api/shares``
and ``/hub/api/share-codes``); this manager calls it with the server's own token,
as its user, and names what it refuses in the runtime's errors. A share grants
``access:servers!server=<user>/<server>`` and nothing else. Every share and revoke
is recorded in the library's audit log (a missing audit endpoint is only a warning).

Anyone a server is shared with can act in it as its owner (JupyterHub's own caveat):
share only with people you would let use your account on that server.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable

from asset_library.errors import HUB_UNREACHABLE

from .digital_twins import RequestError

DEFAULT = "default"  # the default server ("") in URLs
SERVER_RE = re.compile(r"^[a-z0-9-]{1,30}$")
CODE_ID_RE = re.compile(r"^sc_[0-9]{1,18}$")
SUBJECT_RE = re.compile(r"^[^/\s]{1,255}$")
KINDS = ("user", "group")
# the hub's own bounds of a share code's life: a minute to a year
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 365 * 24 * 3600
PAGE = 200

Audit = Callable[[str, str, dict[str, Any]], Awaitable[None]]


def server_name(segment: str) -> str:
    """A server as named in a URL (``default`` or a named server) as the hub names it."""
    if segment == DEFAULT:
        return ""
    if not SERVER_RE.match(segment):
        raise RequestError(400, f"{segment!r} is not a server name", field="server")
    return segment


def server_id(name: str) -> str:
    return name or DEFAULT


def server_kind(name: str) -> str:
    if not name:
        return "workspace"
    return "run" if name.startswith("run-") else "server"


def subject(body: dict[str, Any]) -> tuple[str, str]:
    """Whom a share is for: ``("user", "bob")`` or ``("group", "lab")``, exactly one."""
    given = [k for k in KINDS if k in body]
    if len(given) != 1:
        raise RequestError(400, "give exactly one of 'user' or 'group'", field="user")
    kind = given[0]
    name = body[kind]
    if not isinstance(name, str) or not SUBJECT_RE.match(name):
        raise RequestError(400, f"{kind} must be a name", field=kind)
    return kind, name


def expiry(body: dict[str, Any]) -> int:
    value = body.get("expires_in", 86400)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(400, "expires_in must be a number of seconds", field="expires_in")
    if not MIN_EXPIRES_IN <= value <= MAX_EXPIRES_IN:
        raise RequestError(
            400,
            f"expires_in must be between {MIN_EXPIRES_IN} s and {MAX_EXPIRES_IN} s (a year)",
            field="expires_in",
        )
    return value


def share_model(share: dict[str, Any]) -> dict[str, Any]:
    kind = share.get("kind") or ("group" if share.get("group") else "user")
    return {
        "kind": kind,
        "name": (share.get(kind) or {}).get("name", ""),
        "scopes": share.get("scopes") or [],
        "created": share.get("created_at"),
    }


def code_model(code: dict[str, Any]) -> dict[str, Any]:
    model = {
        "id": code["id"],
        "scopes": code.get("scopes") or [],
        "created": code.get("created_at"),
        "expires_at": code.get("expires_at"),
        "exchange_count": code.get("exchange_count", 0),
        "last_exchanged_at": code.get("last_exchanged_at"),
    }
    if code.get("code"):  # only in the answer that made it: the hub keeps a hash
        model["code"] = code["code"]
        model["accept_url"] = code.get("accept_url")
    return model


class LiveShareManager(LoggingConfigurable):
    """The user's servers, their shares and share codes, through the hub's REST API."""

    hub_api_url = Unicode(config=True, help="The hub's REST API ($JUPYTERHUB_API_URL).")
    token = Unicode(config=True, help="The server's token ($JUPYTERHUB_API_TOKEN).")
    user = Unicode(config=True, help="The server's owner ($JUPYTERHUB_USER).")
    timeout = Float(20, config=True, help="Seconds a call to the hub may take.")

    @default("hub_api_url")
    def _hub_api(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "")

    @default("token")
    def _token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("user")
    def _user(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    def __init__(self, audit: Audit | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._audit = audit

    # --- HTTP -----------------------------------------------------------------

    async def _hub(self, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
        if not (self.hub_api_url and self.token and self.user):
            raise RequestError(503, "live sharing needs a server started by JupyterHub")
        url = self.hub_api_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
        request = HTTPRequest(
            url,
            method=method,
            headers={
                "Authorization": f"token {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/jupyterhub-pagination+json",
            },
            body=None if body is None else json.dumps(body),
            allow_nonstandard_methods=True,
            request_timeout=self.timeout,
        )
        try:
            resp = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            raise self._refusal(e.code, e.response.body if e.response else b"") from None
        except OSError:
            raise RequestError(503, HUB_UNREACHABLE) from None
        return resp.code, json.loads(resp.body) if resp.body else None

    @staticmethod
    def _refusal(code: int, body: bytes) -> RequestError:
        message = f"the hub answered {code}"
        try:
            data = json.loads(body)
            message = str(data.get("message") or message)
        except (ValueError, AttributeError):
            pass
        if code == 599:
            return RequestError(503, HUB_UNREACHABLE)
        if code >= 500:
            return RequestError(502, message)
        found = re.match(r"No such (user|group): (.*)", message)
        if found:  # the hub answers 400 for a name it does not know
            kind, name = found.groups()
            return RequestError(404, f"there is no {kind} {name!r}", field=kind)
        if "No such server" in message:
            return RequestError(404, message, field="server")
        return RequestError(code, message)

    async def _all(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        items: list[dict[str, Any]] = []
        while True:
            _, page = await self._hub("GET", path, offset=len(items), limit=PAGE)
            if isinstance(page, list):  # an unpaginated answer
                return page
            items.extend(page.get("items") or [])
            if not (page.get("_pagination") or {}).get("next") or not page.get("items"):
                return items

    def _server_url(self, server: str) -> str:
        user = quote(self.user, safe="")
        return f"/user/{user}/{quote(server)}/" if server else f"/user/{user}/"

    def _path(self, kind: str, server: str) -> str:
        return f"/{kind}/{quote(self.user, safe='')}/{quote(server, safe='')}"

    async def _record(self, action: str, server: str, detail: dict[str, Any]) -> None:
        if self._audit is not None:
            await self._audit(action, f"servers/{self.user}/{server_id(server)}", detail)

    # --- reading --------------------------------------------------------------

    async def servers(self) -> list[dict[str, Any]]:
        """The user's servers (the default one first, then named ones: run servers
        among them), each with its shares and its share codes that have not expired."""
        user_path = f"/users/{quote(self.user, safe='')}"
        _, model = await self._hub("GET", user_path, include_stopped_servers=1)
        shares = await self._all(f"/shares/{quote(self.user, safe='')}")
        codes = await self._all(f"/share-codes/{quote(self.user, safe='')}")
        found: dict[str, dict[str, Any]] = {"": {}}
        found.update((model or {}).get("servers") or {})
        for item in [*shares, *codes]:
            found.setdefault((item.get("server") or {}).get("name", ""), {})

        def of(items: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
            return [i for i in items if (i.get("server") or {}).get("name") == name]

        listed = []
        for name in sorted(found, key=lambda n: (n != "", n)):
            srv = found[name] or {}
            listed.append(
                {
                    "id": server_id(name),
                    "name": name,
                    "kind": server_kind(name),
                    "url": srv.get("url") or self._server_url(name),
                    "ready": bool(srv.get("ready")),
                    "shares": [share_model(s) for s in of(shares, name)],
                    "codes": [code_model(c) for c in of(codes, name)],
                }
            )
        return listed

    async def shares(self, server: str) -> list[dict[str, Any]]:
        return [share_model(s) for s in await self._all(self._path("shares", server))]

    # --- changing -------------------------------------------------------------

    async def share(self, server: str, body: dict[str, Any]) -> dict[str, Any]:
        """Share ``server`` with ``{"user": ..}`` or ``{"group": ..}``: access to it, no more."""
        kind, name = subject(body)
        if kind == "user" and name == self.user:
            raise RequestError(400, "a server is not shared with its own user", field="user")
        scopes = [f"access:servers!server={self.user}/{server}"]
        _, share = await self._hub(
            "POST", self._path("shares", server), {kind: name, "scopes": scopes}
        )
        await self._record("share", server, {kind: name, "scopes": scopes})
        return share_model(share)

    async def revoke(self, server: str, kind: str, name: str) -> None:
        """End the share of ``server`` with a user or group; 404 when there is none."""
        if kind not in KINDS:
            raise RequestError(404, f"no kind of share {kind!r}: user or group", field="kind")
        if not any(s["kind"] == kind and s["name"] == name for s in await self.shares(server)):
            raise RequestError(
                404, f"server {server_id(server)!r} is not shared with {kind} {name!r}", field=kind
            )
        await self._hub("PATCH", self._path("shares", server), {kind: name})
        await self._record("share-revoke", server, {kind: name})

    async def create_code(self, server: str, body: dict[str, Any]) -> dict[str, Any]:
        """A share code (a link anyone logged in may accept) that expires in ``expires_in`` s."""
        expires_in = expiry(body)
        scopes = [f"access:servers!server={self.user}/{server}"]
        _, code = await self._hub(
            "POST",
            self._path("share-codes", server),
            {"expires_in": expires_in, "scopes": scopes},
        )
        await self._record(
            "share",
            server,
            {"code": code["id"], "expires_at": code.get("expires_at"), "scopes": scopes},
        )
        return code_model(code)

    async def revoke_code(self, server: str, code_id: str) -> None:
        if not CODE_ID_RE.match(code_id):
            raise RequestError(404, f"no share code {code_id!r}", field="code")
        try:
            await self._hub("DELETE", self._path("share-codes", server) + f"?id={code_id}")
        except RequestError as e:
            if e.status == 404 and e.fields.get("field") != "server":
                raise RequestError(404, f"no share code {code_id!r}", field="code") from None
            raise
        await self._record("share-revoke", server, {"code": code_id})
