"""Who may do what with an asset, and the sharing operations: grants, forks, edits,
publishing to common, and the audit log.

Roles come from where an asset lives (its owner, a group's members and admins,
curators on common) and from grants; a DT granted ``run`` or more also lets the
grantee read the owner's assets it references, so it can run elsewhere.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..catalog import ASSET_TYPES, part_of_asset, visible
from ..detail import read_detail
from ..errors import APIError
from ..fsutil import PathOutsideRoot, confined, own_like, write_bytes_atomic
from ..manifest import ASSET_MANIFEST, DT_MANIFEST, read_manifest
from ..scopes import (
    NAME_RE,
    ScopeError,
    key_for_asset_token,
    library_root,
    parse_ref,
    user_key,
)
from ..validation import validate_text
from . import files
from .roles import RoleError, at_least, best, parse_role, subject_of
from .store import SharingStore

T = TypeVar("T")
MAX_NAME = 255
MAX_PATH = 4096
MAX_FILE_BYTES = 16 << 20
MAX_NOTE = 2000
VERSION_RE = re.compile(r"^\d{1,6}\.\d{1,6}(\.\d{1,6})?$")
RECORDED_BY_WORKSPACES = ("share", "share-revoke", "share-code-use")


@dataclass(frozen=True)
class Who:
    """The asking user as the library sees them."""

    name: str
    groups: tuple[str, ...] = ()
    curator: bool = False
    admin: bool = False

    @property
    def key(self) -> str:
        return user_key(self.name)


@dataclass
class Found:
    """An asset the asking user may see, with their role on it."""

    key: str
    type: str
    name: str
    folder: Path
    item: dict[str, Any]
    role: str
    admins: list[str] = field(default_factory=list)

    @property
    def resource(self) -> str:
        return f"{self.key}/{self.type}/{self.name}"


def resource_of(key: str, asset_type: str, name: str) -> str:
    return f"{key}/{asset_type}/{name}"


class SharingManager:
    """The sharing operations; slow file work runs on its own small thread pool."""

    def __init__(self, data_dir: Path, index: Any, store: SharingStore, directory: Any):
        self.data_dir = data_dir
        self.index = index
        self.store = store
        self.directory = directory  # HubGroups: users, groups, membership
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="library_sharing")

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    # --- roles -------------------------------------------------------------------------

    def listed_role(self, who: Who, key: str) -> str | None:
        """The role that comes from where an asset lives (no grants, no hub calls)."""
        if key == who.key:
            return "owner"
        if key == "common":
            return "owner" if who.curator else "fork"
        if key.startswith("group:") and key[6:] in who.groups:
            return "edit"
        return None

    async def role(self, who: Who, key: str, asset_type: str, name: str) -> tuple[str | None, list]:
        """The user's role on an asset, and the admins of its group (if a group's)."""
        admins: list[str] = []
        role = self.listed_role(who, key)
        if key.startswith("group:"):
            info = await self.directory.group(key[6:])
            admins = info["admins"] if info else []
            if role is not None and who.name in admins:
                role = "owner"
        if role in ("owner", "edit"):
            return role, admins
        held = await self._run(self._granted_role, who, key, asset_type, name)
        return best([role, held]), admins

    def _granted_role(self, who: Who, key: str, asset_type: str, name: str) -> str | None:
        resource = resource_of(key, asset_type, name)
        grants = self.store.held(who.name, who.groups, [resource])
        role = best([g.role for g in grants])
        if role is None and asset_type != "digital_twins" and key != "common":
            # an asset of a DT shared for running is readable by whoever may run the DT
            for dt in self.index.used_by(key, asset_type, name, [key]):
                dt_resource = resource_of(key, "digital_twins", dt["name"])
                dt_role = best(
                    [g.role for g in self.store.held(who.name, who.groups, [dt_resource])]
                )
                if at_least(dt_role, "run"):
                    return "view"
        return role

    async def find(
        self, who: Who, token: str, asset_type: str, name: str, need: str = "view"
    ) -> Found:
        """The asset at ``<token>/<type>/<name>`` if the user may see it (404 otherwise,
        whether or not it exists), and may do ``need`` with it (403)."""
        if asset_type not in ASSET_TYPES:
            raise APIError(
                404, f"type {asset_type!r} is not one of {', '.join(ASSET_TYPES)}", type=asset_type
            )
        if not name or len(name) > MAX_NAME or "\x00" in name or "/" in name or name in ("..", "."):
            raise APIError(400, f"name {name!r} is not an asset name", path=name)
        try:
            key = key_for_asset_token(token, who.name)
            root = library_root(self.data_dir, key)
        except ScopeError as e:
            raise APIError(400, str(e), field="scope", scope=token) from None
        missing = APIError(
            404, f"no asset {token}/{asset_type}/{name}", path=f"{asset_type}/{name}"
        )
        role, admins = await self.role(who, key, asset_type, name)
        if role is None:
            raise missing
        try:
            folder = confined(root, asset_type, name)
        except PathOutsideRoot as e:
            raise APIError(400, str(e), path=name) from None
        item = await self._run(self.index.get, key, asset_type, name)
        if item is None or not (folder.exists() and visible(folder.name)):
            raise missing
        if not at_least(role, need):
            raise APIError(
                403, f"you may {role} {token}/{asset_type}/{name}, not {need} it", role=role
            )
        return Found(key, asset_type, name, folder, item, role, admins)

    # --- grants --------------------------------------------------------------------------

    def _manage(self, who: Who, found: Found) -> None:
        if found.role != "owner":
            raise APIError(
                403,
                "only the owner (or a group admin, or a curator for common) manages its grants",
                role=found.role,
            )

    def grants(self, who: Who, found: Found) -> list[dict[str, Any]]:
        self._manage(who, found)
        return [g.to_dict() for g in self.store.grants(found.resource)]

    async def subject(self, body: dict[str, Any]) -> str:
        """The one subject a grant body names, checked to exist (404 naming it)."""
        named = [k for k in ("user", "group", "organisation") if body.get(k) not in (None, False)]
        if len(named) != 1:
            raise APIError(400, "name exactly one of user, group or organisation", field="user")
        kind = named[0]
        if kind == "organisation":
            if body["organisation"] is not True:
                raise APIError(400, "organisation must be true", field="organisation")
            return subject_of(organisation=True)
        value = body[kind]
        if not isinstance(value, str) or not NAME_RE.match(value):
            raise APIError(400, f"{kind} {str(value)[:80]!r} is not a name", field=kind)
        exists = (
            await self.directory.user_exists(value)
            if kind == "user"
            else await self.directory.group(value) is not None
        )
        if not exists:
            raise APIError(404, f"no {kind} named {value!r}", field=kind, **{kind: value})
        return subject_of(**{kind: value})

    @staticmethod
    def parse_role(body: dict[str, Any]) -> str:
        try:
            return parse_role(body.get("role"))
        except RoleError as e:
            raise APIError(400, str(e), field="role") from None

    async def add_grant(self, who: Who, found: Found, body: dict[str, Any]) -> tuple[dict, bool]:
        self._manage(who, found)
        role = self.parse_role(body)
        subject = await self.subject(body)
        if subject == f"user:{who.name}" or (
            found.key.startswith("user:") and subject == f"user:{found.key[5:]}"
        ):
            raise APIError(400, "the owner holds every role already", field="user")
        grant, created = await self._run(
            self.store.put_grant, found.resource, subject, role, who.name
        )
        action = "grant" if created else "grant-change"
        await self._run(
            self.store.audit, who.name, action, found.resource, subject=subject, role=role
        )
        return grant.to_dict(), created

    async def change_grant(self, who: Who, found: Found, grant_id: int, body: dict) -> dict:
        self._manage(who, found)
        role = self.parse_role(body)
        grant = await self._grant(found, grant_id)
        await self._run(self.store.change_grant, grant.id, role)
        await self._run(
            self.store.audit,
            who.name,
            "grant-change",
            found.resource,
            subject=grant.subject,
            role=role,
        )
        return (await self._grant(found, grant_id)).to_dict()

    async def revoke(self, who: Who, found: Found, grant_id: int) -> None:
        self._manage(who, found)
        grant = await self._grant(found, grant_id)
        await self._run(self.store.revoke, grant.id)
        await self._run(
            self.store.audit,
            who.name,
            "revoke",
            found.resource,
            subject=grant.subject,
            role=grant.role,
        )

    async def _grant(self, found: Found, grant_id: int):
        grant = await self._run(self.store.grant_by_id, found.resource, grant_id)
        if grant is None:
            raise APIError(404, f"no grant {grant_id} on {found.resource}", grant=grant_id)
        return grant

    # --- shared with me --------------------------------------------------------------------

    def shared(
        self, who: Who, q: str | None, types: list[str], tags: list[str], limit: int
    ) -> dict[str, Any]:
        """Assets granted to the user (not their own or their groups'), by title."""
        roles: dict[tuple[str, str, str], str] = {}
        for grant in self.store.shared_with(who.name, who.groups):
            key, _, rest = grant.resource.partition("/")
            asset_type, _, name = rest.partition("/")
            if asset_type not in ASSET_TYPES or self.listed_role(who, key) is not None:
                continue
            at = (key, asset_type, name)
            roles[at] = best([roles.get(at), grant.role])
        words = (q or "").casefold().split()
        wanted_tags = {t.casefold() for t in tags}
        found = []
        for (key, asset_type, name), role in roles.items():
            if types and asset_type not in types:
                continue
            entry = self.index.get(key, asset_type, name)
            if entry is None:
                continue
            entry.pop("readme", None)
            text = " ".join(
                [
                    entry["name"],
                    entry["title"],
                    entry.get("description", ""),
                    *entry.get("tags", []),
                ]
            ).casefold()
            if any(w not in text for w in words):
                continue
            if wanted_tags and not wanted_tags <= {t.casefold() for t in entry.get("tags", [])}:
                continue
            entry["role"] = role
            entry["path"] = f"shared/{key.replace(':', '-')}/{asset_type}/{name}"
            found.append(entry)
        found.sort(key=lambda e: (e["title"].casefold(), e["name"]))
        facets: dict[str, dict[str, int]] = {"type": {}, "tag": {}}
        for e in found:
            facets["type"][e["type"]] = facets["type"].get(e["type"], 0) + 1
            for t in e.get("tags", []):
                facets["tag"][t] = facets["tag"].get(t, 0) + 1
        return {"items": found[:limit], "total": len(found), "next_cursor": None, "facets": facets}

    # --- fork ----------------------------------------------------------------------------------

    async def fork(self, who: Who, found: Found, body: dict[str, Any]) -> tuple[str, str]:
        """Copy into the user's own library; returns (type, new name)."""
        name = body.get("name") or found.name
        if not isinstance(name, str) or not NAME_RE.match(name) or not visible(name):
            raise APIError(
                400, f"name {str(name)[:80]!r} is not a plain lower-case name", field="name"
            )
        version = body.get("version")
        source = found.folder
        if version is not None:
            if (
                found.key != "common"
                or not isinstance(version, str)
                or not VERSION_RE.match(version)
            ):
                raise APIError(
                    400, "version names a published version of a common asset", field="version"
                )
            source = self.version_folder(found.type, found.name, version)
            if not source.exists():
                raise APIError(404, f"no version {version} of {found.resource}", field="version")
        if found.key == who.key and name == found.name:
            raise APIError(409, f"{found.type}/{name} is already in your library", field="name")
        mine = library_root(self.data_dir, who.key)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            await self._run(self._fork, source, mine, found, name, version, at)
        except FileExistsError:
            raise APIError(
                409, f"your library has a {found.type}/{name} already", field="name"
            ) from None
        except files.CopyError as e:
            raise APIError(413, str(e), field="asset") from None
        await self._run(self.index.refresh, [mine / found.type / name])
        await self._run(
            self.store.audit,
            who.name,
            "fork",
            found.resource,
            into=f"{who.key}/{found.type}/{name}",
            version=version,
        )
        return found.type, name

    def _fork(self, source: Path, mine: Path, found: Found, name: str, version, at: str) -> None:
        digest = files.digest(source)
        parent = mine / found.type
        if not parent.is_dir():
            parent.mkdir(parents=True)
            own_like(parent, mine)
        target = parent / name
        files.copy_asset(source, target, mine)
        if target.is_dir():
            manifest = target / (DT_MANIFEST if found.type == "digital_twins" else ASSET_MANIFEST)
            origin = {"asset": found.resource, "digest": digest, "at": at}
            if version:
                origin["version"] = version
            block = yaml.safe_dump({"forked_from": origin}, sort_keys=False)
            if found.type == "digital_twins" and name != found.name:
                files.set_top_level(manifest, "name", yaml.safe_dump({"name": name}))
            files.set_top_level(manifest, "forked_from", block)
            own_like(manifest, mine)

    # --- edits through the library ---------------------------------------------------------------

    async def write_file(self, who: Who, found: Found, path: str, data: bytes) -> dict[str, Any]:
        if not at_least(found.role, "edit"):
            raise APIError(403, f"you may {found.role} this asset, not edit it", role=found.role)
        if len(data) > MAX_FILE_BYTES:
            raise APIError(413, f"a file may hold at most {MAX_FILE_BYTES >> 20} MiB", path=path)
        target = self._editable_path(found, path)
        manifest_name = DT_MANIFEST if found.type == "digital_twins" else ASSET_MANIFEST
        if found.folder.is_dir() and target == found.folder / manifest_name:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise APIError(400, f"{manifest_name} is not UTF-8 text", path=path) from None
            problems = await self._run(validate_text, text, found.type, manifest_name)
            if problems:
                raise APIError(
                    400,
                    f"{manifest_name} would be invalid: {problems[0].message_line()}",
                    path=path,
                    problems=[p.to_dict() for p in problems],
                )
        await self._run(self._write, found, target, data)
        await self._run(self.index.refresh, [found.folder])
        await self._run(
            self.store.audit, who.name, "edit", found.resource, path=path, size=len(data)
        )
        return {"path": path, "size": len(data)}

    def _editable_path(self, found: Found, path: str) -> Path:
        if (
            not path
            or len(path) > MAX_PATH
            or "\x00" in path
            or path.startswith("/")
            or "\\" in path
        ):
            raise APIError(400, f"path {path[:80]!r} is not a relative file path", path=path[:255])
        parts = path.split("/")
        if any(p in ("", ".", "..") or not part_of_asset(p) for p in parts) or (
            parts[0] in files.SKIPPED
        ):
            raise APIError(400, f"path {path!r} leaves its asset or is hidden", path=path)
        if found.folder.is_file():
            if path != found.folder.name:
                raise APIError(400, f"{found.name} is a file asset: write {found.name}", path=path)
            return found.folder
        try:
            target = confined(found.folder, path)
        except PathOutsideRoot:
            raise APIError(403, f"path {path!r} is outside its asset", path=path) from None
        if target.is_dir() or (target.is_symlink()):
            raise APIError(400, f"path {path!r} is not a file", path=path)
        return target

    def _write(self, found: Found, target: Path, data: bytes) -> None:
        root = library_root(self.data_dir, found.key)
        existed = target.exists()
        if not target.parent.exists():
            target.parent.mkdir(parents=True)
            own_like(target.parent, found.folder)
        write_bytes_atomic(target, data, mode=target.stat().st_mode & 0o777 if existed else 0o664)
        own_like(target, root)

    # --- publishing to common ------------------------------------------------------------------

    def version_folder(self, asset_type: str, name: str, version: str) -> Path:
        return self.data_dir / "common" / ".versions" / asset_type / name / version

    def staged(self, request_id: int) -> Path:
        return self.data_dir / "library" / "publish" / str(request_id)

    async def publish(self, who: Who, body: dict[str, Any]) -> dict[str, Any]:
        ref_text = body.get("asset")
        try:
            ref = parse_ref(ref_text)
        except ScopeError as e:
            raise APIError(400, str(e), field="asset") from None
        version = body.get("version")
        if not isinstance(version, str) or not VERSION_RE.match(version):
            raise APIError(
                400, f"version {str(version)[:40]!r} is not N.N or N.N.N", field="version"
            )
        note = body.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise APIError(400, f"note must be text of at most {MAX_NOTE} characters", field="note")
        if ref.scope == "common":
            raise APIError(400, "this asset is in common already", field="asset")
        found = await self.find(who, ref.scope, ref.type, ref.name, need="edit")
        detail = await self._run(_problems, found.folder, found.type)
        if detail:
            raise APIError(
                400,
                f"{ref_text} has {len(detail)} problem(s): fix them before publishing",
                field="asset",
                problems=detail,
            )
        target = f"common/{found.type}/{found.name}"
        taken = {v["version"] for v in await self._run(self.store.versions, target)}
        pending = await self._run(self.store.requests, None, "pending", target)
        if version in taken or any(r["version"] == version for r in pending):
            raise APIError(409, f"{target} has a version {version} already", field="version")
        staging = self.data_dir / "library" / "publish" / f".staging-{secrets.token_hex(6)}"
        try:
            await self._run(
                files.copy_asset, found.folder, staging / found.name, self.data_dir / "library"
            )
        except files.CopyError as e:
            raise APIError(413, str(e), field="asset") from None
        request = await self._run(
            self.store.add_request,
            asset=found.resource,
            target=target,
            requester=who.name,
            version=version,
            note=note,
        )
        await self._run(staging.rename, self.staged(request["id"]))
        await self._run(
            self.store.audit,
            who.name,
            "publish-request",
            found.resource,
            version=version,
            request=request["id"],
        )
        return request

    def _staged_asset(self, request: dict[str, Any]) -> Path:
        name = request["target"].rsplit("/", 1)[1]
        return self.staged(request["id"]) / name

    async def request(self, who: Who, request_id: int, detail: bool = True) -> dict[str, Any]:
        request = await self._run(self.store.request, request_id)
        if request is None or not (who.curator or request["requester"] == who.name):
            raise APIError(404, f"no publish request {request_id}", request=request_id)
        if detail:
            request.update(await self._run(self._review, request))
        return request

    def _review(self, request: dict[str, Any]) -> dict[str, Any]:
        """Problems and the diff against the current common version, for curators."""
        staged = self._staged_asset(request)
        if not staged.exists():
            return {"problems": [], "diff": []}
        asset_type = request["target"].split("/")[1]
        current = self.data_dir / request["target"]
        return {
            "problems": _problems(staged, asset_type),
            "diff": files.diff_trees(staged, current if current.exists() else None),
        }

    async def requests(self, who: Who, queue: str | None) -> list[dict[str, Any]]:
        if queue is None:
            return await self._run(self.store.requests, who.name)
        if queue not in ("pending", "approved", "rejected", "all"):
            raise APIError(400, "queue is one of pending, approved, rejected, all", field="queue")
        if not who.curator:
            raise APIError(403, "only curators see the publish queue")
        found = await self._run(self.store.requests, None, None if queue == "all" else queue)
        if queue == "pending":
            for request in found:
                request.update(await self._run(self._review, request))
        return found

    def _curator(self, who: Who) -> None:
        if not who.curator:
            raise APIError(403, "only curators (the dtaas-curator role) decide publish requests")

    async def approve(self, who: Who, request_id: int) -> dict[str, Any]:
        self._curator(who)
        request = await self.request(who, request_id, detail=False)
        if request["status"] != "pending":
            raise APIError(
                409, f"request {request_id} is {request['status']} already", request=request_id
            )
        staged = self._staged_asset(request)
        if problems := await self._run(_problems, staged, request["target"].split("/")[1]):
            raise APIError(400, "the requested asset has problems", problems=problems)
        if not await self._run(self.store.decide, request_id, "approved", who.name):
            raise APIError(409, f"request {request_id} was decided meanwhile", request=request_id)
        try:
            await self._run(self._install, request, who.name)
        except Exception:
            await self._run(self.store.undecide, request_id)
            raise
        await self._run(self.index.refresh, [self.data_dir / request["target"]])
        await self._run(
            self.store.audit,
            who.name,
            "publish-approve",
            request["target"],
            version=request["version"],
            request=request_id,
            requester=request["requester"],
        )
        return await self.request(who, request_id, detail=False)

    def _install(self, request: dict[str, Any], by: str) -> None:
        """The versioned copy, then the current one; an earlier unversioned common asset
        (seeded) is kept as a version first."""
        _, asset_type, name = request["target"].split("/")
        staged = self._staged_asset(request)
        common = self.data_dir / "common"
        current = common / asset_type / name
        target = request["target"]
        if current.exists() and not self.store.versions(target):
            earlier = _manifest_version(current, asset_type) or "0.0"
            if not VERSION_RE.match(earlier) or earlier == request["version"]:
                earlier = "0.0"
            keep = self.version_folder(asset_type, name, earlier)
            if not keep.exists():
                files.copy_asset(current, keep, common, mode=0o644)
            self.store.add_version(target, earlier, "", "before the first publish", None)
        if staged.is_dir():
            manifest = staged / (DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST)
            files.set_top_level(
                manifest, "version", yaml.safe_dump({"version": request["version"]})
            )
        version_folder = self.version_folder(asset_type, name, request["version"])
        if not version_folder.exists():
            files.copy_asset(staged, version_folder, common, mode=0o644)
        (common / asset_type).mkdir(parents=True, exist_ok=True)
        files.replace_with(version_folder, current, common)
        self.store.add_version(
            target, request["version"], request["requester"], request["note"], request["id"]
        )
        shutil.rmtree(self.staged(request["id"]), ignore_errors=True)

    async def reject(self, who: Who, request_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self._curator(who)
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_NOTE:
            raise APIError(400, "a rejection needs a reason (text)", field="reason")
        request = await self.request(who, request_id, detail=False)
        if not await self._run(self.store.decide, request_id, "rejected", who.name, reason.strip()):
            raise APIError(
                409, f"request {request_id} is {request['status']} already", request=request_id
            )
        await self._run(shutil.rmtree, self.staged(request_id), True)
        await self._run(
            self.store.audit,
            who.name,
            "publish-reject",
            request["target"],
            version=request["version"],
            request=request_id,
            reason=reason.strip(),
            requester=request["requester"],
        )
        return await self.request(who, request_id, detail=False)

    async def versions(self, found: Found) -> list[dict[str, Any]]:
        if found.key != "common":
            raise APIError(404, "only common assets have published versions", scope=found.key)
        return await self._run(self.store.versions, f"common/{found.type}/{found.name}")

    # --- audit ------------------------------------------------------------------------

    async def events(self, who: Who, args: dict[str, str | None]) -> list[dict[str, Any]]:
        if not who.admin:
            raise APIError(403, "only admins read the audit log")
        limit = args.get("limit") or "100"
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise APIError(400, "limit must be 1..1000", field="limit")
        before = args.get("before")
        if before is not None and not before.isdigit():
            raise APIError(400, "before must be an event id", field="before")
        return await self._run(
            self.store.events,
            int(limit),
            args.get("action"),
            args.get("actor"),
            int(before) if before else None,
        )

    async def record(self, who: Who, body: dict[str, Any]) -> None:
        """An event a workspace saw for its own user (live shares are made at the hub)."""
        action = body.get("action")
        if action not in RECORDED_BY_WORKSPACES:
            raise APIError(
                400, f"action must be one of {', '.join(RECORDED_BY_WORKSPACES)}", field="action"
            )
        target = body.get("target")
        detail = body.get("detail") or {}
        if not isinstance(target, str) or not target or len(target) > 500:
            raise APIError(400, "target must name what was shared", field="target")
        if not isinstance(detail, dict) or len(str(detail)) > 4000:
            raise APIError(400, "detail must be a small object", field="detail")
        await self._run(self.store.audit, who.name, action, target, **detail)


def _problems(folder: Path, asset_type: str) -> list[dict[str, Any]]:
    """What is wrong with an asset's manifest, as the detail view lists it."""
    return read_detail(folder, asset_type)["problems"] if folder.exists() else []


def _manifest_version(folder: Path, asset_type: str) -> str | None:
    if not folder.is_dir():
        return None
    manifest = read_manifest(
        folder / (DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST)
    )
    value = manifest.data.get("version") if not manifest.problems else None
    return str(value) if value is not None else None
