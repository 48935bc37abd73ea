"""The library's REST API: thin tornado handlers over the index, catalog and authoring."""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from tornado import web
from tornado.ioloop import IOLoop

from .auth import LIBRARY_CURATE, LIBRARY_READ, LIBRARY_WRITE, LibraryAuthenticated, has_scope
from .authoring import AuthoringError, create_dt, list_templates
from .catalog import ASSET_TYPES
from .detail import read_detail
from .errors import APIError, dumps, json_object
from .fsutil import PathOutsideRoot, confined
from .manifest import ASSET_MANIFEST, DT_MANIFEST
from .scopes import (
    ScopeError,
    key_for_token,
    library_root,
    parse_ref,
    user_key,
    visible_keys,
)
from .sharing.manager import Found, SharingManager, Who
from .sharing.roles import at_least
from .validation import validate_text

SORTS = ("relevance", "title", "name", "modified", "-modified")
MAX_LIMIT = 200
MAX_NAME = 255
MAX_PATH = 4096
MAX_ASSETS = 200
CHUNK = 64 * 1024
# a downloaded file opened in the browser runs nothing and reaches nothing
FILE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
WORKERS = 4
T = TypeVar("T")


def pool(settings: dict, name: str) -> ThreadPoolExecutor:
    """A bounded thread pool kept in the application's settings, made on first use.

    ``library_pool`` runs the slow work (parsing, validation, file trees, writes,
    rebuilds); ``library_read_pool`` runs index reads, so searches never queue behind
    slow work.
    """
    found = settings.get(name)
    if found is None:
        found = settings[name] = ThreadPoolExecutor(WORKERS, thread_name_prefix=name)
    return found


class LibraryHandler(LibraryAuthenticated, web.RequestHandler):
    """Base handler: JSON in and out, JSON errors that name the field or path at fault."""

    @property
    def data_dir(self) -> Path:
        return self.settings["dtaas_data_dir"]

    @property
    def index(self):
        return self.settings["library_index"]

    def compute_etag(self) -> None:
        """No ETag: answers change with the index, and hashing each one costs time."""
        return None

    def check_xsrf_cookie(self) -> None:
        # API calls carry a token; browser sessions only read (GET)
        if self.request.method != "GET" and "Authorization" not in self.request.headers:
            raise APIError(403, "writes need an Authorization header with a token")

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            shown = value.decode("utf-8", errors="backslashreplace")
            raise APIError(400, f"path {shown!r} is not UTF-8", path=shown) from None

    async def work(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run slow work (files, parsing, validation, writes) off the event loop."""
        return await IOLoop.current().run_in_executor(
            pool(self.settings, "library_pool"), partial(fn, *args, **kwargs)
        )

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an index read off the event loop, beside (not behind) slow work."""
        return await IOLoop.current().run_in_executor(
            pool(self.settings, "library_read_pool"), partial(fn, *args, **kwargs)
        )

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, APIError):
            body = exc.body()
        else:
            body = {"status": status_code, "message": self._reason}
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(body))

    def json_body(self) -> dict[str, Any]:
        return json_object(self.request.body)

    async def send_file(
        self, f: Any, name: str, mime: str | None = None, max_bytes: int | None = None
    ) -> None:
        """Stream an open file (closed here) as a download that runs nothing if opened."""
        try:
            remaining = os.fstat(f.fileno()).st_size  # what is sent, even if it grows
            if max_bytes is not None and remaining > max_bytes:
                raise APIError(413, f"{name!r} is larger than {max_bytes} bytes", path=name)
            kind = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
            self.set_header("Content-Type", kind)
            self.set_header("Content-Length", str(remaining))
            self.set_header("Content-Disposition", attachment(name))
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Content-Security-Policy", FILE_POLICY)
            while remaining > 0 and (chunk := await self.read(f.read, min(CHUNK, remaining))):
                remaining -= len(chunk)
                self.write(chunk)
                await self.flush()
        finally:
            f.close()
        self.finish()

    async def visible_keys(self, user: dict) -> list[str]:
        return visible_keys(user["name"], list((await self.who(user)).groups))

    async def scope_key(self, user: dict, token: str) -> str:
        """A scope from the URL or a filter, as a key the user may read."""
        try:
            key = key_for_token("mine" if token == "private" else token, user["name"])
        except ScopeError as e:
            raise APIError(400, str(e), field="scope", scope=token) from None
        if key not in await self.visible_keys(user):
            raise APIError(404, f"no library {token!r} visible to you", scope=token)
        return key

    @property
    def sharing(self) -> SharingManager:
        return self.settings["library_sharing_manager"]

    async def who(self, user: dict) -> Who:
        """The asking user with their groups and whether they curate; kept per request."""
        if getattr(self, "_who", None) is None or self._who.name != user["name"]:
            groups = await self.settings["library_groups"].of(user["name"])
            self._who = Who(
                name=user["name"],
                groups=tuple(groups),
                curator=bool(user.get("admin"))
                or has_scope(user.get("scopes", []), LIBRARY_CURATE, user["name"]),
                admin=bool(user.get("admin")),
            )
        return self._who

    def present(self, item: dict, user: dict) -> dict:
        """An indexed asset as the asking user sees it: private, group:<g>, common or
        another user's (shared), with the user's role on it."""
        item = dict(item)
        key = item.pop("scope_key", item.get("scope"))
        item["scope"] = "private" if key == user_key(user["name"]) else key
        who = getattr(self, "_who", None)
        if "role" not in item and who is not None:
            item["role"] = self.sharing.listed_role(who, key)
        return item


class IndexHandler(LibraryHandler):
    """``GET /services/library/``: what this service is; no data, no login needed."""

    def get(self) -> None:
        self.write_json({"name": "library", "api": self.request.path.rstrip("/") + "/api/"})


class WhoAmIHandler(LibraryHandler):
    """``GET api/me``: who the library thinks is asking, with scopes and libraries."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        scopes = sorted(s for s in user.get("scopes", []) if s.startswith("custom:library"))
        keys = await self.visible_keys(user)
        self.write_json({"name": user["name"], "scopes": scopes, "libraries": keys})


class SearchHandler(LibraryHandler):
    """``GET api/search``: text, filters, sort, cursor pagination and facets."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        q = self.get_argument("q", None)
        if q is not None and len(q) > 500:
            raise APIError(400, "q is longer than 500 characters", field="q")
        types = self.get_arguments("type")
        for t in types:
            if t not in ASSET_TYPES:
                raise APIError(
                    400, f"type {t!r} is not one of {', '.join(ASSET_TYPES)}", field="type"
                )
        scope = self.get_argument("scope", None)
        if scope == "shared":
            await self.shared(user, q, types)
            return
        scope_key = await self.scope_key(user, scope) if scope else None
        sort = self.get_argument("sort", "relevance" if q else "title")
        if sort not in SORTS:
            raise APIError(400, f"sort {sort!r} is not one of {', '.join(SORTS)}", field="sort")
        limit_arg = self.get_argument("limit", "50")
        if not limit_arg.isdigit() or not 1 <= int(limit_arg) <= MAX_LIMIT:
            raise APIError(400, f"limit must be 1..{MAX_LIMIT}", field="limit")
        keys = await self.visible_keys(user)
        asked = dict(
            q=q or None,
            types=types,
            scope=scope_key,
            tags=self.get_arguments("tag"),
            author=self.get_argument("author", None),
            sort=sort,
            cursor=self.get_argument("cursor", None),
            limit=int(limit_arg),
        )
        try:
            # a search answered a moment ago costs no worker thread
            result = self.index.search(keys, cached_only=True, **asked)
            if result is None:
                result = await self.read(self.index.search, keys, **asked)
        except ValueError:
            raise APIError(400, "cursor is not one this service gave out", field="cursor") from None
        result["items"] = [self.present(i, user) for i in result["items"]]
        self.write_json(result)

    async def shared(self, user: dict, q: str | None, types: list[str]) -> None:
        """``scope=shared``: what others granted the user, by title (one page)."""
        limit_arg = self.get_argument("limit", "50")
        if not limit_arg.isdigit() or not 1 <= int(limit_arg) <= MAX_LIMIT:
            raise APIError(400, f"limit must be 1..{MAX_LIMIT}", field="limit")
        who = await self.who(user)
        result = await self.read(
            self.sharing.shared, who, q, types, self.get_arguments("tag"), int(limit_arg)
        )
        result["items"] = [self.present(i, user) for i in result["items"]]
        self.write_json(result)


class AssetsHandler(LibraryHandler):
    """``GET api/assets``: the first page of everything the user may read, by title."""

    async def get(self) -> None:
        user = await self.require(LIBRARY_READ)
        keys = await self.visible_keys(user)
        result = await self.read(self.index.search, keys, sort="title", limit=MAX_LIMIT)
        self.write_json({"assets": [self.present(i, user) for i in result["items"]]})


class AssetHandlerBase(LibraryHandler):
    """Resolves ``<scope>/<type>/<name>`` to an asset the user may see, with their role."""

    async def asset(
        self, user: dict, scope: str, asset_type: str, name: str, need: str = "view"
    ) -> tuple:
        found = await self.found(user, scope, asset_type, name, need)
        return found.key, found.folder, found.item

    async def found(
        self, user: dict, scope: str, asset_type: str, name: str, need: str = "view"
    ) -> Found:
        return await self.sharing.find(await self.who(user), scope, asset_type, name, need)


class AssetDetailHandler(AssetHandlerBase):
    """``GET api/assets/<scope>/<type>/<name>``: manifest, README, files, problems, relations."""

    async def get(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_READ)
        found = await self.found(user, scope, asset_type, name)
        key, folder = found.key, found.folder
        detail = self.present(found.item | {"role": found.role}, user)
        detail.update(await self.work(read_detail, folder, asset_type))
        detail["relations"] = await relations(self, user, key, asset_type, name, detail)
        self.write_json(detail)


class RelationsHandler(AssetHandlerBase):
    """``GET api/assets/<scope>/<type>/<name>/relations``: uses (resolved) and used by."""

    async def get(self, scope: str, asset_type: str, name: str) -> None:
        user = await self.require(LIBRARY_READ)
        found = await self.found(user, scope, asset_type, name)
        item = found.item | {"role": found.role}
        self.write_json(await relations(self, user, found.key, asset_type, name, item))


class FileHandler(AssetHandlerBase):
    """``GET|PUT api/assets/<scope>/<type>/<name>/files/<path>``: one file, streamed, or
    written through the library by an editor."""

    async def put(self, scope: str, asset_type: str, name: str, path: str) -> None:
        """A file's new bytes, for those who may edit the asset (a manifest is validated)."""
        user = await self.require(LIBRARY_WRITE)
        found = await self.found(user, scope, asset_type, name, need="edit")
        self.write_json(await self.sharing.write_file(self._who, found, path, self.request.body))

    async def get(self, scope: str, asset_type: str, name: str, path: str) -> None:
        user = await self.require(LIBRARY_READ)
        _, folder, _ = await self.asset(user, scope, asset_type, name)
        if len(path) > MAX_PATH or any(len(p) > MAX_NAME for p in path.split("/")):
            raise APIError(400, f"path {path[:80]!r}... is too long", path=path[:255])
        if "\x00" in path:
            raise APIError(400, f"path {path!r} contains a NUL byte", path=path)
        if path.startswith("/") or "\\" in path:
            raise APIError(400, f"path {path!r} is absolute", path=path)
        if folder.is_file():
            if path not in ("", folder.name):
                raise APIError(404, f"no file {path!r} in {name}", path=path)
            target = folder
        else:
            parts = path.split("/")
            if any(p in ("..", ".") or (p.startswith(".") and p != "") for p in parts):
                raise APIError(400, f"path {path!r} leaves its asset or is hidden", path=path)
            try:
                target = confined(folder, path)
            except PathOutsideRoot:
                raise APIError(403, f"path {path!r} is outside its asset", path=path) from None
        try:
            f = await self.read(open_regular, target)
        except OSError:
            raise APIError(404, f"no file {path!r} in {name}", path=path) from None
        await self.send_file(f, target.name)


class ValidateHandler(LibraryHandler):
    """``POST api/validate`` with ``{type, text, file}``: problems of a manifest being edited."""

    async def post(self) -> None:
        await self.require(LIBRARY_READ)
        body = self.json_body()
        asset_type = body.get("type", "digital_twins")
        if asset_type not in ASSET_TYPES:
            raise APIError(400, f"type {asset_type!r} is not an asset type", field="type")
        text = body.get("text")
        if not isinstance(text, str):
            raise APIError(400, "text must be the manifest's text", field="text")
        if len(text) > 1 << 20:
            raise APIError(413, "manifest larger than 1 MiB", field="text")
        default = DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST
        file = body.get("file") or default
        if not isinstance(file, str) or len(file) > MAX_NAME:
            raise APIError(400, "file must be a file name", field="file")
        problems = await self.work(validate_text, text, asset_type, file)
        self.write_json({"valid": not problems, "problems": [p.to_dict() for p in problems]})


class TemplatesHandler(LibraryHandler):
    """``GET api/templates``: what a new DT can start from."""

    async def get(self) -> None:
        await self.require(LIBRARY_READ)
        templates = await self.work(list_templates, self.data_dir / "common" / "templates")
        self.write_json({"templates": templates})


class CreateDTHandler(LibraryHandler):
    """``POST api/digital_twins``: a new DT in the user's library, from a template and assets."""

    async def post(self) -> None:
        user = await self.require(LIBRARY_WRITE)
        body = self.json_body()
        keys = await self.visible_keys(user)
        assets = body.get("assets") or []
        if not isinstance(assets, list) or len(assets) > MAX_ASSETS:
            raise APIError(
                400, f"assets must be a list of at most {MAX_ASSETS} references", field="assets"
            )
        for text in assets:
            try:
                ref = parse_ref(text)
            except ValueError as e:
                raise APIError(400, str(e), field="assets") from None
            key = key_for_token(ref.scope, user["name"])
            if key not in keys or await self.read(self.index.get, key, ref.type, ref.name) is None:
                raise APIError(
                    400,
                    f"asset {text!r} is not in a library you can read",
                    field="assets",
                    ref=text,
                )
        root = library_root(self.data_dir, user_key(user["name"]))
        try:
            folder = await self.work(
                create_dt,
                root,
                self.data_dir / "common" / "templates",
                body.get("name"),
                title=body.get("title"),
                description=body.get("description"),
                template=body.get("template"),
                assets=assets,
            )
        except AuthoringError as e:
            raise APIError(e.status, e.message, field=e.field) from None
        await self.work(self.index.refresh, [folder])
        item = await self.read(self.index.get, user_key(user["name"]), "digital_twins", folder.name)
        self.write_json(self.present(item, user) if item else {"name": folder.name}, 201)


class ReindexHandler(LibraryHandler):
    """``POST api/reindex``: rebuild the index from the files (admins only)."""

    async def post(self) -> None:
        user = await self.require(LIBRARY_READ)
        if not user.get("admin"):
            raise APIError(403, "only admins may rebuild the index")
        self.write_json({"assets": await self.work(self.index.rebuild)})


class OpenAPIHandler(LibraryHandler):
    """``GET api/openapi.json``: the API's description; public like the service index."""

    def get(self) -> None:
        self.write_json(self.settings["library_openapi"])


class NotFoundHandler(LibraryHandler):
    def prepare(self) -> None:
        raise APIError(404, f"no such endpoint: {self.request.path}")


def open_regular(path: Path):
    """A regular file opened for reading (OSError for anything else)."""
    f = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise IsADirectoryError(str(path))
    return f


def attachment(name: str) -> str:
    """A Content-Disposition for any file name: UTF-8 form, then a plain ASCII one."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename*=UTF-8''{quote(name, safe='')}; filename=\"{plain}\""


async def relations(
    handler: LibraryHandler, user: dict, key: str, asset_type: str, name: str, item: dict
) -> dict[str, Any]:
    """A DT's assets, resolved (missing ones flagged), and the DTs that use this asset."""
    keys = await handler.visible_keys(user)
    # a shared DT's references resolve in its own library for those who may run it (they
    # may read those assets); what uses an asset is only listed from the libraries the
    # user sees (never the owner's other assets)
    role = item.get("role")
    resolvable = keys if key in keys or not at_least(role, "run") else [*keys, key]
    return await handler.read(
        _relations, handler, user, keys, resolvable, key, asset_type, name, item
    )


def _relations(
    handler: LibraryHandler,
    user: dict,
    keys: list[str],
    resolvable: list[str],
    key: str,
    asset_type: str,
    name: str,
    item: dict,
) -> dict[str, Any]:
    owner = key[5:] if key.startswith("user:") else user["name"]
    uses = []
    for text in item.get("uses") or []:
        entry: dict[str, Any] = {"ref": text, "missing": True, "asset": None}
        try:
            ref = parse_ref(text)
            ref_key = key_for_token(ref.scope, owner)
        except ValueError as e:
            entry["problem"] = str(e)
            uses.append(entry)
            continue
        if ref_key in resolvable:
            found = handler.index.get(ref_key, ref.type, ref.name)
            if found:
                entry.update(missing=False, asset=handler.present(found, user))
        elif ref_key == key:
            # in the owner's library, which this role does not open: not described
            entry.update(missing=False, problem="not shared with you")
        uses.append(entry)
    used_by = handler.index.used_by(key, asset_type, name, keys)
    return {"uses": uses, "used_by": [handler.present(i, user) for i in used_by]}
