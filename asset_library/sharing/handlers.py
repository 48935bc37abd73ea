"""The sharing REST API: grants, forks, edits, publishing and the audit log (thin)."""

from __future__ import annotations

from ..auth import LIBRARY_READ, LIBRARY_WRITE
from ..errors import APIError
from ..handlers import AssetHandlerBase, LibraryHandler

ASSET = r"([^/]+)/([^/]+)/([^/]+)"


def _id(text: str, field: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise APIError(404, f"{field} {text[:20]!r} is not an id", field=field)
    return int(text)


class GrantsHandler(AssetHandlerBase):
    """``GET|POST api/assets/<scope>/<type>/<name>/grants``: who has access; grant more."""

    async def get(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_READ)
        found = await self.found(user, scope, asset_type, name)
        self.write_json({"grants": await self.read(self.sharing.grants, self._who, found)})

    async def post(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        found = await self.found(user, scope, asset_type, name)
        grant, created = await self.sharing.add_grant(self._who, found, self.json_body())
        self.write_json(grant, 201 if created else 200)


class GrantHandler(AssetHandlerBase):
    """``PATCH|DELETE api/assets/<scope>/<type>/<name>/grants/<id>``."""

    async def patch(self, scope: str, asset_type: str, name: str, grant: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        found = await self.found(user, scope, asset_type, name)
        body = self.json_body()
        self.write_json(
            await self.sharing.change_grant(self._who, found, _id(grant, "grant"), body)
        )

    async def delete(self, scope: str, asset_type: str, name: str, grant: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        found = await self.found(user, scope, asset_type, name)
        await self.sharing.revoke(self._who, found, _id(grant, "grant"))
        self.set_status(204)
        self.finish()


class ForkHandler(AssetHandlerBase):
    """``POST api/assets/<scope>/<type>/<name>/fork``: a copy in my library, with provenance."""

    async def post(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        found = await self.found(user, scope, asset_type, name, need="fork")
        new_type, new_name = await self.sharing.fork(self._who, found, self.json_body())
        item = await self.read(self.index.get, self._who.key, new_type, new_name)
        self.write_json(self.present(item or {"type": new_type, "name": new_name}, user), 201)


class VersionsHandler(AssetHandlerBase):
    """``GET api/assets/common/<type>/<name>/versions``: what was published, in order."""

    async def get(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_READ)
        found = await self.found(user, scope, asset_type, name)
        self.write_json({"versions": await self.sharing.versions(found)})


class PublishHandler(LibraryHandler):
    """``GET|POST api/publish``: my publish requests (or, for curators, the queue); ask."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        who = await self.who(user)
        queue = self.get_argument("queue", None)
        self.write_json({"requests": await self.sharing.requests(who, queue)})

    async def post(self) -> None:
        user = await self.require(LIBRARY_WRITE)
        who = await self.who(user)
        self.write_json(await self.sharing.publish(who, self.json_body()), 201)


class PublishRequestHandler(LibraryHandler):
    """``GET api/publish/<id>``: a request with its problems and diff."""

    async def get(self, request: str) -> None:
        user = await self.require(LIBRARY_READ)
        who = await self.who(user)
        self.write_json(await self.sharing.request(who, _id(request, "request")))


class DecisionHandler(LibraryHandler):
    """``POST api/publish/<id>/approve|reject``: curators decide."""

    async def post(self, request: str, decision: str) -> None:
        user = await self.require(LIBRARY_READ)
        who = await self.who(user)
        request_id = _id(request, "request")
        if decision == "approve":
            self.write_json(await self.sharing.approve(who, request_id))
        else:
            self.write_json(await self.sharing.reject(who, request_id, self.json_body()))


class AuditHandler(LibraryHandler):
    """``GET api/audit`` (admins) and ``POST api/audit`` (a workspace records a live share)."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        who = await self.who(user)
        args = {k: self.get_argument(k, None) for k in ("limit", "action", "actor", "before")}
        self.write_json({"events": await self.sharing.events(who, args)})

    async def post(self) -> None:
        user = await self.require(LIBRARY_WRITE)
        who = await self.who(user)
        await self.sharing.record(who, self.json_body())
        self.set_status(204)
        self.finish()


ROUTES = [
    (f"assets/{ASSET}/grants", GrantsHandler),
    (f"assets/{ASSET}/grants/([^/]+)", GrantHandler),
    (f"assets/{ASSET}/fork", ForkHandler),
    (f"assets/{ASSET}/versions", VersionsHandler),
    ("publish", PublishHandler),
    ("publish/([^/]+)", PublishRequestHandler),
    ("publish/([^/]+)/(approve|reject)", DecisionHandler),
    ("audit", AuditHandler),
]
