"""Twins shared with the user from libraries the workspace does not see.

Another user's twin (``user:<u>``), or a group's when the user is not in the group
(``group:<g>`` with no ``groups/<g>`` link), is read through the library service,
which checks the grant, and copied into the workspace under ``shared/<scope with : as ->/``:
the twin under ``digital_twins/<name>/``, and each asset of its owner's library it
declares (``mine/<type>/<name>``) beside it, so ``dtaas.asset(ref)`` and imports work
as they do for the owner. From there it runs like a common twin: configurations and
state are the user's own (``configs/user-<u>/<dt>/``, ``state/user-<u>/<dt>/``).

The copy is fetched again before each run starts and whenever the twin is opened, so
a twin its owner changed runs as changed, and a twin whose grant was revoked is
refused (the library's 403 or 404) and its copy removed. Every asset is downloaded
into a hidden staging folder, its paths checked and its size and file count bounded,
then renamed into place: nobody sees half a copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from traitlets import Int
from traitlets.config import LoggingConfigurable

from asset_library.catalog import ASSET_TYPES
from asset_library.client import LibraryClient
from asset_library.errors import APIError
from asset_library.fsutil import PathOutsideRoot, confined
from asset_library.manifest import DT_MANIFEST, read_manifest
from asset_library.scopes import ScopeError, parse_ref
from asset_library.sharing.roles import RANK, at_least

from .digital_twins import (
    NAME_RE,
    SHARED_FOLDER,
    STATE_FOLDER,
    RequestError,
    is_fetched,
    scope_root,
)
from .handlers import NAME, DTaaSHandler, DTHandler
from .jsonsafe import shorten

STAGING_PREFIX = ".incoming-"
OLD_PREFIX = ".replaced-"
LEFTOVER_AGE_S = 600  # a staging folder older than this was left by a fetch that died
MAX_PATH = 4096
MAX_PART = 255
DIGEST_RE = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")
REFUSALS = (401, 403, 404)  # the library says the user may not (or no longer) read it
LISTING_LIMIT = 1000  # the library lists at most this many entries of an asset


class FetchError(RequestError):
    """A shared twin that cannot be copied: the library's refusal, or what is at fault."""


def check_relpath(path: Any) -> str:
    """A file path as the library lists it, if it may be written under an asset's folder:
    relative, no ``..`` or ``.``, no hidden part, no backslash or NUL, bounded."""
    if not isinstance(path, str) or not path:
        raise FetchError(502, f"the library listed a file path {shorten(path, 80)!r}", path="")
    shown = shorten(path, 200)
    if len(path) > MAX_PATH or "\x00" in path or "\\" in path:
        raise FetchError(400, f"file path {shown!r} is not a plain path", path=shown)
    if path.startswith("/"):
        raise FetchError(400, f"file path {shown!r} is absolute", path=shown)
    for part in path.split("/"):
        if part in ("", ".", "..") or part.startswith(".") or len(part) > MAX_PART:
            raise FetchError(400, f"file path {shown!r} leaves its folder or is hidden", path=shown)
    return path


def check_asset_name(asset_type: Any, name: Any) -> None:
    if asset_type not in ASSET_TYPES:
        raise FetchError(400, f"{shorten(asset_type, 80)!r} is not an asset type", field="type")
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_PART
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name.startswith(".")
    ):
        raise FetchError(400, f"{shorten(name, 80)!r} is not an asset name", field="name")


@dataclass
class Planned:
    """One asset to copy: where it lies in the library, and what its listing holds."""

    type: str
    name: str
    single_file: bool
    files: list[tuple[str, int, str | None]] = field(default_factory=list)  # path, size, sha256

    @property
    def rel(self) -> str:
        return f"{self.type}/{self.name}"


@dataclass
class Fetched:
    """What a fetch copied: the twin's folder (workspace-relative) and its assets."""

    role: str | None  # the user's role on the twin, as the library says
    scope: str
    dt: str
    path: str
    assets: list[str]
    files: int
    bytes: int
    downloaded: int  # files read from the library (the rest were unchanged)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sha256_of(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plan(detail: Any, asset_type: str, name: str) -> Planned:
    """An asset's files from its library detail, every path checked; the twin's own
    ``state/`` (its owner's runs) is left out."""
    files = detail.get("files") if isinstance(detail, dict) else None
    if not isinstance(files, list):
        raise FetchError(502, f"the library gave no files for {asset_type}/{name}")
    if len(files) >= LISTING_LIMIT:
        raise FetchError(
            413,
            f"{asset_type}/{name} lists {len(files)} entries: more than the library lists whole",
            limit=LISTING_LIMIT,
        )
    entries = [f for f in files if isinstance(f, dict) and f.get("type", "file") == "file"]
    dirs = [f for f in files if isinstance(f, dict) and f.get("type") == "directory"]
    single = not dirs and len(entries) == 1 and entries[0].get("path") == name
    if asset_type == "digital_twins":
        single = False
    out = Planned(asset_type, name, single)
    for entry in entries:
        path = check_relpath(entry.get("path"))
        if asset_type == "digital_twins" and path.split("/", 1)[0] == STATE_FOLDER:
            continue
        size = entry.get("size")
        size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0
        digest = entry.get("digest") or entry.get("sha256")
        m = DIGEST_RE.match(digest) if isinstance(digest, str) else None
        out.files.append((path, size, m[1] if m else None))
    return out


def owner_refs(manifest: Any, scope: str) -> list[tuple[str, str]]:
    """The ``(type, name)`` of the assets a twin declares from its owner's own library:
    ``mine/...``, or the twin's group named as such."""
    entries = manifest.get("assets") if isinstance(manifest, dict) else None
    found: list[tuple[str, str]] = []
    for entry in entries if isinstance(entries, list) else []:
        ref = entry.get("ref") if isinstance(entry, dict) else entry
        try:
            parsed = parse_ref(ref)
        except ScopeError:
            continue  # the run refuses it, naming the reference
        if parsed.scope == "mine" or parsed.scope == scope:
            item = (parsed.type, parsed.name)
            if item not in found:
                found.append(item)
    return found


class SharedTwins(LoggingConfigurable):
    """Fetches shared twins into ``shared/`` and keeps those copies current."""

    max_bytes = Int(
        256 << 20,
        config=True,
        help="Largest shared twin copied into the workspace, its assets included, in bytes.",
    )
    max_files = Int(
        999, config=True, help="Most files of one asset of a shared twin copied in one fetch."
    )
    max_assets = Int(50, config=True, help="Most assets of its owner a shared twin may declare.")

    def __init__(self, workspace: Path, client: LibraryClient | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.workspace = workspace
        self.client = client
        self._locks: dict[str, asyncio.Lock] = {}

    # --- where copies live ------------------------------------------------------

    def applies(self, scope: Any) -> bool:
        return is_fetched(self.workspace, scope)

    def root(self, scope: str) -> Path:
        """``shared/<scope-folder>`` inside the workspace (made if missing)."""
        rel = scope_root(scope, self.workspace)
        if rel is None or not rel.startswith(f"{SHARED_FOLDER}/"):
            raise FetchError(400, f"scope {shorten(scope, 80)!r} is not shared", scope=scope)
        try:
            path = confined(self.workspace, rel)
        except PathOutsideRoot:
            raise FetchError(403, f"{rel} is a link out of the workspace", path=rel) from None
        path.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or not path.is_dir():
            raise FetchError(403, f"{rel} is not a folder", path=rel)
        return path

    # --- fetching ------------------------------------------------------------------

    async def prepare(self, scope: Any, name: Any, need: str = "view") -> Fetched | None:
        """Before a twin of ``scope`` is used: fetch it if it is a shared one; otherwise
        nothing. A request that names no valid twin is left to the usual checks."""
        if not isinstance(name, str) or not NAME_RE.match(name) or not self.applies(scope):
            return None
        return await self.fetch(scope, name, need)

    async def fetch(self, scope: str, name: str, need: str = "view") -> Fetched:
        """Copy the twin and the owner's assets it declares; 403/404 (the library's) when
        the user may no longer read it, and then the local copy is gone. 403 when the
        user's role on it (the library's ``role``) is below ``need`` (``run`` to run it);
        the copy is made all the same, for what the role allows."""
        if self.client is None:
            raise FetchError(503, "the library service is not configured for this server")
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:
            root = self.root(scope)
            await asyncio.to_thread(self._clean_leftovers, root)
            try:
                detail = await self.client.get(self._endpoint(scope, "digital_twins", name))
            except APIError as e:
                if e.status_code in REFUSALS:
                    await asyncio.to_thread(self.remove, scope, name)
                    self.log.info("shared twin %s/%s: %s; local copy removed", scope, name, e)
                fields = {**e.fields, "dt": name, "scope": scope}
                raise FetchError(e.status_code, e.message, **fields) from None
            role = detail.get("role") if isinstance(detail, dict) else None
            plans = [plan(detail, "digital_twins", name)]
            refs = owner_refs(detail.get("manifest"), scope)
            if len(refs) > self.max_assets:
                raise FetchError(
                    400,
                    f"shared twin {name!r} declares {len(refs)} assets of its owner, more than "
                    f"{self.max_assets}",
                    dt=name,
                    field="assets",
                )
            refused: list[tuple[str, str]] = []
            for asset_type, asset_name in refs:
                try:
                    check_asset_name(asset_type, asset_name)
                    asset = await self.client.get(self._endpoint(scope, asset_type, asset_name))
                except (APIError, FetchError) as e:
                    if isinstance(e, APIError) and e.status_code in REFUSALS:
                        refused.append((asset_type, asset_name))  # its old copy goes
                    # left out: the run refuses it as missing, naming the reference
                    self.log.info(
                        "shared twin %s/%s: asset %s/%s left out: %s",
                        scope,
                        name,
                        asset_type,
                        asset_name,
                        e,
                    )
                    continue
                plans.append(plan(asset, asset_type, asset_name))
            self._check_bounds(name, plans)
            staging = root / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
            staging.mkdir()
            try:
                downloaded, budget = 0, self.max_bytes
                for p in plans:
                    count, budget = await self._download(scope, root, staging, p, budget)
                    downloaded += count
                await asyncio.to_thread(self._install, root, staging, plans)
                for asset_type, asset_name in refused:
                    await asyncio.to_thread(self._remove_entry, root / asset_type / asset_name)
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)
            await asyncio.to_thread(self._prune, root)
        if isinstance(role, str) and role in RANK and not at_least(role, need):
            raise FetchError(
                403,
                f"you may {role} {scope}/digital_twins/{name}, not {need} it",
                dt=name,
                scope=scope,
                role=role,
            )
        rel_root = scope_root(scope, self.workspace)
        return Fetched(
            role=role if isinstance(role, str) else None,
            scope=scope,
            dt=name,
            path=f"{rel_root}/digital_twins/{name}",
            assets=[f"{rel_root}/{p.rel}" for p in plans[1:]],
            files=sum(len(p.files) for p in plans),
            bytes=sum(s for p in plans for _, s, _ in p.files),
            downloaded=downloaded,
        )

    @staticmethod
    def _endpoint(scope: str, asset_type: str, name: str, path: str | None = None) -> str:
        """The library endpoint of an asset or one of its files (the client quotes it)."""
        return f"assets/{scope}/{asset_type}/{name}" + (f"/files/{path}" if path else "")

    def _check_bounds(self, name: str, plans: list[Planned]) -> None:
        total = 0
        for p in plans:
            if len(p.files) > self.max_files:
                raise FetchError(
                    413,
                    f"{p.rel} of shared twin {name!r} holds {len(p.files)} files, more than "
                    f"{self.max_files} (SharedTwins.max_files)",
                    dt=name,
                    limit=self.max_files,
                )
            total += sum(size for _, size, _ in p.files)
        if total > self.max_bytes:
            raise FetchError(
                413,
                f"shared twin {name!r} and its assets are {total} bytes, more than "
                f"{self.max_bytes} (SharedTwins.max_bytes)",
                dt=name,
                limit=self.max_bytes,
            )

    async def _download(
        self, scope: str, root: Path, staging: Path, p: Planned, budget: int
    ) -> tuple[int, int]:
        """The asset's files into ``staging/<type>/<name>``, at most ``budget`` bytes; a
        file whose digest the library gives and the current copy matches is copied
        locally. Returns how many files were downloaded, and the bytes left."""
        base = staging / p.type
        base.mkdir(exist_ok=True)
        downloaded = 0
        for path, _size, digest in p.files:
            if p.single_file:
                target = confined(base, p.name)
                current = root / p.type / p.name
            else:
                (base / p.name).mkdir(exist_ok=True)
                try:
                    target = confined(base / p.name, path)
                except PathOutsideRoot as e:
                    raise FetchError(400, str(e), path=shorten(path, 200)) from None
                current = root / p.type / p.name / path
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise FetchError(
                    502, f"cannot copy {p.rel}/{shorten(path, 200)}: {e.strerror}", path=path
                ) from None
            if digest is not None and await asyncio.to_thread(sha256_of, current) == digest:
                await asyncio.to_thread(shutil.copyfile, current, target, follow_symlinks=False)
                budget -= target.stat().st_size
                continue
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            except OSError as e:  # listed twice, or as a file and a folder
                raise FetchError(
                    502, f"cannot copy {p.rel}/{shorten(path, 200)}: {e.strerror}", path=path
                ) from None
            with os.fdopen(fd, "wb") as f:
                try:
                    budget -= await self.client.download(
                        self._endpoint(scope, p.type, p.name, path), f.write, max(budget, 0)
                    )
                except APIError as e:
                    raise FetchError(
                        e.status_code,
                        f"{p.rel}/{shorten(path, 200)}: {e.message}",
                        path=shorten(path, 200),
                    ) from None
            downloaded += 1
            if budget < 0:
                raise FetchError(413, f"the shared twin grew past {self.max_bytes} bytes")
        if not p.files and not p.single_file:
            (base / p.name).mkdir(exist_ok=True)
        return downloaded, budget

    @staticmethod
    def _install(root: Path, staging: Path, plans: list[Planned]) -> None:
        """Each staged asset renamed into place, replacing its previous copy."""
        for p in plans:
            staged = staging / p.type / p.name
            (root / p.type).mkdir(exist_ok=True)
            target = root / p.type / p.name
            if os.path.lexists(target):
                old = root / f"{OLD_PREFIX}{secrets.token_hex(6)}"
                os.rename(target, old)
                os.rename(staged, target)
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    old.unlink(missing_ok=True)
            else:
                os.rename(staged, target)

    @staticmethod
    def _clean_leftovers(root: Path) -> None:
        """Staging and replaced folders a fetch that died left behind."""
        now = time.time()
        for entry in os.scandir(root):
            if not entry.name.startswith((STAGING_PREFIX, OLD_PREFIX)):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AGE_S:
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)

    # --- removing ---------------------------------------------------------------------

    def remove(self, scope: str, name: str) -> bool:
        """Remove the local copy of a shared twin (and the assets no other copy declares);
        whether there was one. The user's own configurations and state stay."""
        rel = scope_root(scope, self.workspace)
        if rel is None or not rel.startswith(f"{SHARED_FOLDER}/") or not NAME_RE.match(name):
            return False
        try:
            root = confined(self.workspace, rel)
            folder = confined(root, "digital_twins", name)
        except PathOutsideRoot:
            return False
        if folder.parent != root / "digital_twins" or not os.path.lexists(folder):
            return False
        self._remove_entry(folder)
        self._prune(root)
        return True

    @staticmethod
    def _remove_entry(path: Path) -> None:
        """A copied asset, folder or file (a link itself, never what it points to)."""
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            path.unlink(missing_ok=True)

    def _prune(self, root: Path) -> None:
        """Assets of the owner that no remaining copy of their twins declares; then the
        owner's folder itself when nothing is left in it."""
        scope = self._scope_of(root)
        wanted: set[tuple[str, str]] = set()
        twins = root / "digital_twins"
        with contextlib.suppress(OSError):
            for entry in os.scandir(twins):
                manifest = read_manifest(Path(entry.path) / DT_MANIFEST)
                wanted.update(owner_refs(manifest.data if not manifest.problems else {}, scope))
        for asset_type in ASSET_TYPES:
            if asset_type == "digital_twins":
                continue
            folder = root / asset_type
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    if (asset_type, entry.name) in wanted or entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        with contextlib.suppress(OSError):
            twins.rmdir()
        with contextlib.suppress(OSError):
            root.rmdir()

    @staticmethod
    def _scope_of(root: Path) -> str:
        """``shared/user-alice`` → ``user:alice``."""
        kind, _, name = root.name.partition("-")
        return f"{kind}:{name}"


# --- REST ---------------------------------------------------------------------------------

# the colon as sent, or escaped as a browser's encodeURIComponent leaves it (tornado
# matches the raw path, then unescapes what it captured)
SHARED_SCOPE = r"((?:user|group)(?::|%3[Aa])[a-z0-9][a-z0-9._-]{0,63})"


class SharedDTHandler(DTHandler):
    """``GET /dtaas/api/dts/<user:u or group:g>/<dt>``: a shared twin is fetched first
    (the library's 403 or 404 when it is no longer shared), then described as any twin."""

    @web.authenticated
    @authorized
    async def get(self, scope: str, name: str) -> None:
        await self.runs.shared.prepare(scope, name)
        described = super().get(scope, name)  # jupyter_server's authorized makes it async
        if inspect.isawaitable(described):
            await described


class SharedFetchHandler(DTaaSHandler):
    """``POST /dtaas/api/shared/<scope>/<dt>/fetch``: copy a shared twin now."""

    @web.authenticated
    @authorized
    async def post(self, scope: str, name: str) -> None:
        if not NAME_RE.match(name):
            raise RequestError(400, f"dt {shorten(name, 80)!r} is not a valid name", dt=name)
        if not self.runs.shared.applies(scope):
            raise RequestError(
                400,
                f"scope {scope!r} is a library this workspace sees: nothing to fetch",
                scope=scope,
            )
        fetched = await self.runs.shared.fetch(scope, name)
        self.finish(fetched.to_dict())


class SharedCopyHandler(DTaaSHandler):
    """``DELETE /dtaas/api/shared/<scope>/<dt>``: remove the local copy (204; 404 if none)."""

    @web.authenticated
    @authorized
    async def delete(self, scope: str, name: str) -> None:
        if not await asyncio.to_thread(self.runs.shared.remove, scope, name):
            raise RequestError(404, f"no copy of {scope}/{shorten(name, 80)}", dt=name)
        self.set_status(204)
        self.finish()


def handlers() -> list[tuple[str, type]]:
    """Routes matched before the runtime's own (a shared twin's description fetches it)."""
    return [
        (rf"/dtaas/api/dts/{SHARED_SCOPE}/{NAME}", SharedDTHandler),
        (rf"/dtaas/api/shared/{SHARED_SCOPE}/{NAME}/fetch", SharedFetchHandler),
        (rf"/dtaas/api/shared/{SHARED_SCOPE}/{NAME}", SharedCopyHandler),
    ]
