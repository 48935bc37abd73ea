"""The results REST API and its HTML page (routes relative to the service prefix).

A run or a snapshot is shared read-only, with chosen users and groups, by its owner;
anyone else is answered 404, as if it did not exist. Every grant and revoke goes to
the audit log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado.escape import xhtml_escape

from ..auth import LIBRARY_READ, LIBRARY_WRITE
from ..errors import APIError
from ..handlers import LibraryHandler
from ..sharing.roles import subject_of
from ..sharing.store import Grant, iso
from . import render
from .store import (
    MAX_FILE_BYTES,
    Result,
    ResultError,
    check_names,
    load,
    mime_of,
    resource,
)

ROLE = "view"
MAX_SUBJECT = 255
MAX_SHOWN = 300
# a file of a result opened in the browser runs nothing and loads nothing
PAGE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
KIND = r"(runs|snapshots)"
PART = r"([^/]+)"
WHAT = {"runs": "run", "snapshots": "snapshot"}


def grant_model(grant: Grant) -> dict[str, Any]:
    kind, _, name = grant.subject.partition(":")
    return {
        "id": grant.id,
        "result": grant.resource,
        "user": name if kind == "user" else None,
        "group": name if kind == "group" else None,
        "role": grant.role,
        "created_by": grant.created_by,
        "created": iso(grant.created),
    }


def shown(value: Any) -> str:
    """A recorded value or parameter as text, cut short."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def size_text(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


class ResultsHandler(LibraryHandler):
    """Finds a result the asking user may read: their own, or one shared with them."""

    @property
    def users_dir(self) -> Path:
        return self.data_dir / "users"

    @property
    def sharing(self):
        return self.settings["library_sharing"]

    @property
    def prefix(self) -> str:
        """The service's URL prefix (its API lies at ``<prefix>api``)."""
        api = self.settings["library_openapi"]["servers"][0]["url"].rstrip("/")
        return api[: -len("api")]

    def location(self, kind: str, owner: str, dt: str, result_id: str) -> str:
        return f"{kind}/{quote(owner, safe='')}/{quote(dt, safe='')}/{quote(result_id, safe='')}"

    def page_url(self, kind: str, owner: str, dt: str, result_id: str) -> str:
        return f"{self.prefix}results/{self.location(kind, owner, dt, result_id)}"

    def api_url(self, kind: str, owner: str, dt: str, result_id: str) -> str:
        return f"{self.prefix}api/results/{self.location(kind, owner, dt, result_id)}"

    async def blocking(self, fn: Any, *args: Any, slow: bool = False) -> Any:
        """Disk work off the event loop; its refusals as API errors."""
        try:
            return await (self.work if slow else self.read)(fn, *args)
        except ResultError as e:
            raise APIError(e.status, e.message, **e.fields) from None

    @staticmethod
    def not_found(kind: str, owner: str, dt: str, result_id: str) -> APIError:
        # the same answer whether it does not exist or is not shared with the asker
        return APIError(
            404,
            f"no {WHAT[kind]} {owner}/{dt}/{result_id} shared with you",
            result=f"{kind}/{owner}/{dt}/{result_id}",
        )

    async def result(
        self, user: dict, kind: str, owner: str, dt: str, result_id: str
    ) -> tuple[Result, str]:
        """The result and the asking user's role on it (owner or view), else 404."""
        try:
            check_names(owner, dt, result_id)
        except ResultError as e:
            raise APIError(e.status, e.message, **e.fields) from None
        role = "owner"
        if owner != user["name"]:
            groups = await self.settings["library_groups"].of(user["name"])
            name = resource(kind, owner, dt, result_id)
            if not await self.read(self.sharing.held, user["name"], groups, [name]):
                raise self.not_found(kind, owner, dt, result_id)
            role = ROLE
        found = await self.work(load, self.users_dir, kind, owner, dt, result_id)
        if found is None:
            raise self.not_found(kind, owner, dt, result_id)
        return found, role

    async def twin_title(self, found: Result) -> str | None:
        key = found.scope_key()
        if key is None:
            return None
        item = await self.read(self.index.get, key, "digital_twins", found.dt)
        return (item or {}).get("title") or None


class GrantsHandler(ResultsHandler):
    """``GET|POST api/results/<kind>/<dt>/<id>/grants``: who the asking user's own run or
    snapshot is shared with; share it with one more user or group."""

    async def get(self, kind: str, dt: str, result_id: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, _ = await self.result(user, kind, user["name"], dt, result_id)
        grants = await self.read(self.sharing.grants, found.resource)
        self.write_json({"grants": [grant_model(g) for g in grants]})

    async def post(self, kind: str, dt: str, result_id: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        found, _ = await self.result(user, kind, user["name"], dt, result_id)
        subject = await self.subject(self.json_body(), user["name"])
        grant, created = await self.work(
            self.sharing.put_grant, found.resource, subject, ROLE, user["name"]
        )
        if created:
            await self.work(
                self.sharing.audit,
                user["name"],
                "result-grant",
                found.resource,
                subject=subject,
                grant=grant.id,
                role=ROLE,
            )
        self.write_json(grant_model(grant), 201 if created else 200)

    async def subject(self, body: dict[str, Any], owner: str) -> str:
        """``user:<u>`` or ``group:<g>`` from the body; 404 naming one the hub does not know."""
        role = body.get("role", ROLE)
        if role != ROLE:
            raise APIError(400, f"a result is shared to view only, not {role!r}", field="role")
        user, group = body.get("user"), body.get("group")
        if (user is None) == (group is None):
            raise APIError(400, "give either a user or a group to share with", field="user")
        hub = self.settings["library_groups"]
        if user is not None:
            if not isinstance(user, str) or not user or len(user) > MAX_SUBJECT:
                raise APIError(400, "user must be a user name", field="user")
            if user == owner:
                raise APIError(400, "it is yours: share it with someone else", field="user")
            if not await hub.user_exists(user):
                raise APIError(404, f"no user named {user!r}", field="user", user=user)
            return subject_of(user=user)
        if not isinstance(group, str) or not group or len(group) > MAX_SUBJECT:
            raise APIError(400, "group must be a group name", field="group")
        if await hub.group(group) is None:
            raise APIError(404, f"no group named {group!r}", field="group", group=group)
        return subject_of(group=group)


class GrantHandler(ResultsHandler):
    """``DELETE api/results/<kind>/<dt>/<id>/grants/<gid>``: no longer shared with them."""

    async def delete(self, kind: str, dt: str, result_id: str, grant_id: str) -> None:
        user = await self.require(LIBRARY_WRITE)
        try:
            check_names(user["name"], dt, result_id)
        except ResultError as e:
            raise APIError(e.status, e.message, **e.fields) from None
        # the owner may revoke even once the result is gone: only their own grants are reached
        name = resource(kind, user["name"], dt, result_id)
        grant = None
        if grant_id.isdigit() and len(grant_id) <= 18:
            grant = await self.read(self.sharing.grant_by_id, name, int(grant_id))
        if grant is None:
            raise APIError(404, f"no grant {grant_id[:20]!r} on {name}", field="grant")
        await self.work(self.sharing.revoke, grant.id)
        await self.work(
            self.sharing.audit,
            user["name"],
            "result-revoke",
            name,
            subject=grant.subject,
            grant=grant.id,
        )
        self.set_status(204)
        self.finish()


class SharedHandler(ResultsHandler):
    """``GET api/results/shared``: the runs and snapshots others shared with me."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        groups = await self.settings["library_groups"].of(user["name"])
        grants: list[Grant] = []
        for kind in ("runs", "snapshots"):
            grants += await self.read(self.sharing.shared_with, user["name"], groups, f"{kind}/")
        first: dict[str, Grant] = {}
        for grant in sorted(grants, key=lambda g: g.created):
            first.setdefault(grant.resource, grant)
        found = await self.work(self._load_all, list(first))
        results = []
        for res in found:
            grant = first[res.resource]
            results.append(
                {
                    "kind": res.kind,
                    "owner": res.owner,
                    "dt": res.dt,
                    "id": res.id,
                    "title": res.title(await self.twin_title(res)),
                    "created": res.record.get("created"),
                    "url": self.page_url(res.kind, res.owner, res.dt, res.id),
                    "api": self.api_url(res.kind, res.owner, res.dt, res.id),
                    "shared": iso(grant.created),
                    "shared_by": grant.created_by,
                }
            )
        results.sort(key=lambda r: r["shared"] or "", reverse=True)
        self.write_json({"results": results})

    def _load_all(self, names: list[str]) -> list[Result]:
        out = []
        for name in names:
            parts = name.split("/")
            if len(parts) == 4:
                found = load(self.users_dir, *parts)
                if found is not None:
                    out.append(found)
        return out


class RecordHandler(ResultsHandler):
    """``GET api/results/<kind>/<owner>/<dt>/<id>``: the run's record (recorded values
    included) or the snapshot's, with ``result``: what can be opened of it."""

    async def get(self, kind: str, owner: str, dt: str, result_id: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, role = await self.result(user, kind, owner, dt, result_id)
        api = self.api_url(kind, owner, dt, result_id)
        record = dict(found.record)
        record["result"] = {
            "kind": kind,
            "owner": owner,
            "dt": dt,
            "id": result_id,
            "role": role,
            "title": found.title(await self.twin_title(found)),
            "url": self.page_url(kind, owner, dt, result_id),
            "files": found.files,
            "more_files": found.more_files,
            "notebooks": [
                {"name": n, "url": f"{api}/notebooks/{quote(n, safe='')}.html"}
                for n in found.notebooks
            ],
        }
        self.write_json(record)


class ResultFileHandler(ResultsHandler):
    """``GET api/results/<kind>/<owner>/<dt>/<id>/files/<path>``: a run's output, executed
    notebook or log; a snapshot's file (from its blob)."""

    async def get(self, kind: str, owner: str, dt: str, result_id: str, path: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, _ = await self.result(user, kind, owner, dt, result_id)
        f = await self.blocking(found.open_file, path)
        await self.send_file(f, path.rsplit("/", 1)[-1], mime_of(path), MAX_FILE_BYTES)


class BlobHandler(ResultsHandler):
    """``GET api/results/snapshots/<owner>/<dt>/<id>/blobs/<sha256>``: one blob of the
    snapshot's manifest (what an import fetches and checks)."""

    async def get(self, kind: str, owner: str, dt: str, result_id: str, sha: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, _ = await self.result(user, kind, owner, dt, result_id)
        f = await self.blocking(found.open_blob, sha)
        await self.send_file(f, sha, "application/octet-stream", MAX_FILE_BYTES)


class NotebookHandler(ResultsHandler):
    """``GET api/results/<kind>/<owner>/<dt>/<id>/notebooks/<name>.html``: an executed
    notebook rendered as a page, sanitised, under a policy that runs no script."""

    async def get(self, kind: str, owner: str, dt: str, result_id: str, name: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, _ = await self.result(user, kind, owner, dt, result_id)
        data = await self.blocking(found.notebook_bytes, name, render.MAX_NOTEBOOK_BYTES, slow=True)
        try:
            page = await self.work(render.notebook_html, data)
        except render.NotANotebook as e:
            raise APIError(422, f"{name}.ipynb is not a notebook: {e}", path=name) from None
        except render.TooLarge as e:
            raise APIError(413, str(e), path=name) from None
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Content-Security-Policy", render.PAGE_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(page)


class ResultPageHandler(ResultsHandler):
    """``results/<kind>/<owner>/<dt>/<id>``: the page a person opens from a shared link.

    Plain HTML: what the run was given and recorded, its outputs (images shown), links
    to its notebooks; a browser with no session is sent to log in first.
    """

    def get_template_path(self) -> str:
        return str(Path(__file__).parent)

    async def get(self, kind: str, owner: str, dt: str, result_id: str) -> None:
        user = await self.require(LIBRARY_READ)
        found, role = await self.result(user, kind, owner, dt, result_id)
        api = self.api_url(kind, owner, dt, result_id)
        record = found.record
        files = [
            {**f, "url": f"{api}/files/{quote(f['path'])}", "size_text": size_text(f["size"])}
            for f in found.files
        ]
        params = record.get("parameters")
        recorded = record.get("recorded")
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.render(
            "page.html",
            kind=kind,
            what=WHAT[kind],
            owner=owner,
            dt=dt,
            result_id=result_id,
            role=role,
            title=found.title(await self.twin_title(found)),
            record=record,
            parameters=sorted(params.items()) if isinstance(params, dict) else [],
            recorded=sorted(recorded.items()) if isinstance(recorded, dict) else [],
            files=files,
            more_files=found.more_files,
            notebooks=[(n, f"{api}/notebooks/{quote(n, safe='')}.html") for n in found.notebooks],
            shown=shown,
            api=api,
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, APIError) else self._reason
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.finish(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{status_code}</title></head><body><h1>{status_code}</h1>"
            f"<p>{xhtml_escape(message)}</p></body></html>"
        )


# (path relative to the service prefix, handler class); app.py mounts each under it
ROUTES: list[tuple[str, type]] = [
    ("api/results/shared", SharedHandler),
    (rf"api/results/{KIND}/{PART}/{PART}/grants", GrantsHandler),
    (rf"api/results/{KIND}/{PART}/{PART}/grants/{PART}", GrantHandler),
    (rf"api/results/{KIND}/{PART}/{PART}/{PART}", RecordHandler),
    (rf"api/results/{KIND}/{PART}/{PART}/{PART}/files/(.*)", ResultFileHandler),
    (r"api/results/(snapshots)/([^/]+)/([^/]+)/([^/]+)/blobs/([^/]+)", BlobHandler),
    (rf"api/results/{KIND}/{PART}/{PART}/{PART}/notebooks/([^/]+)\.html", NotebookHandler),
    (rf"results/{KIND}/{PART}/{PART}/{PART}", ResultPageHandler),
]
