"""Where library content lives on disk, and which asset a changed path belongs to."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..catalog import ASSET_TYPES, visible
from ..manifest import ASSET_MANIFEST, DT_MANIFEST, README
from ..scopes import ScopeError, library_root, path_prefix

COMMON = "common"


@dataclass(frozen=True)
class Folder:
    """One type folder of one library: the unit a listing, a facet count and a scan share."""

    scope_key: str
    type: str
    dir: Path
    prefix: str  # the library's root as seen from a workspace

    def rel(self, name: str) -> str:
        return f"{self.prefix}{self.type}/{name}"


@dataclass(frozen=True)
class Target:
    """What a changed path asks to re-read: one asset, or everything under a scope/type."""

    scope_key: str | None = None  # None: every library
    type: str | None = None
    name: str | None = None


def real_dir(path: Path) -> bool:
    """A directory that is not a symlink: links could lead out of a library."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def scope_root(data_dir: Path, scope_key: str) -> tuple[Path, str] | None:
    """A scope key's library folder and its workspace-relative prefix."""
    try:
        return library_root(data_dir, scope_key), path_prefix(scope_key)
    except ScopeError:
        return None


def scope_keys(data_dir: Path) -> Iterator[str]:
    """Every library present on disk."""
    if real_dir(data_dir / COMMON):
        yield COMMON
    for parent, kind in (("groups", "group"), ("users", "user")):
        if not real_dir(data_dir / parent):
            continue
        with os.scandir(data_dir / parent) as it:
            names = sorted(
                e.name
                for e in it
                if visible(e.name) and e.is_dir(follow_symlinks=False) and storable(e.name)
            )
        for name in names:
            yield f"{kind}:{name}"


def folder(data_dir: Path, scope_key: str, asset_type: str) -> Folder | None:
    root = scope_root(data_dir, scope_key)
    if root is None or asset_type not in ASSET_TYPES:
        return None
    return Folder(scope_key, asset_type, root[0] / asset_type, root[1])


def folders(data_dir: Path, scope_key: str | None = None) -> Iterator[Folder]:
    """The type folders present on disk, of one library or of all."""
    keys = [scope_key] if scope_key else scope_keys(data_dir)
    for key in keys:
        root = scope_root(data_dir, key)
        if root is None or not real_dir(root[0]) or not real_dir(root[0].parent):
            continue
        for asset_type in ASSET_TYPES:
            f = Folder(key, asset_type, root[0] / asset_type, root[1])
            if real_dir(f.dir):
                yield f


def storable(name: str) -> bool:
    """A name that is valid text: file names that are not UTF-8 cannot be indexed."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def entries(f: Folder) -> list[str]:
    """Names of the assets in a type folder; symlinked entries are skipped (security)."""
    try:
        with os.scandir(f.dir) as it:
            return sorted(
                e.name for e in it if visible(e.name) and not e.is_symlink() and storable(e.name)
            )
    except OSError:
        return []


def is_asset(f: Folder, name: str) -> bool:
    """Whether ``name`` is (still) an asset of folder ``f``."""
    if not visible(name) or "/" in name or not storable(name):
        return False
    if not real_dir(f.dir) or not real_dir(f.dir.parent) or not real_dir(f.dir.parent.parent):
        return False
    try:
        return not stat.S_ISLNK(os.lstat(f.dir / name).st_mode)
    except OSError:
        return False


def manifest_name(asset_type: str) -> str:
    return DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST


def _stamp(path: Path) -> str:
    try:
        st = os.lstat(path)
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}.{st.st_size}"


def signature(f: Folder, name: str) -> str:
    """Stat stamps of an asset and of the files its entry is read from.

    Cheap enough to check for every asset at start; a changed stamp means re-describe.
    """
    entry = f.dir / name
    try:
        st = os.lstat(entry)
    except OSError:
        return "-"
    parts = [f"{st.st_mtime_ns}.{st.st_size}.{st.st_ino}"]
    if stat.S_ISDIR(st.st_mode):
        parts += [_stamp(entry / manifest_name(f.type)), _stamp(entry / README)]
    return "|".join(parts)


def locate(data_dir: Path, path: Path) -> Target | None:
    """The asset (or library subtree) a changed path belongs to; None if not library content.

    Workspace aliases (``users/<u>/common/...``, ``users/<u>/groups/<g>/...``) map to the
    library they lead to.
    """
    path = Path(os.path.normpath(data_dir / path))
    try:
        parts = path.relative_to(data_dir).parts
    except ValueError:
        return None
    if not parts:
        return Target()
    if parts[0] == "users" and len(parts) >= 3 and parts[2] in (COMMON, "groups"):
        parts = parts[2:]  # a user's link to the common or group libraries
    head = parts[0]
    if head == COMMON:
        scope_key, rest = COMMON, parts[1:]
    elif head in ("users", "groups"):
        if len(parts) == 1:
            return Target()  # a whole set of libraries: re-check all of them
        if not visible(parts[1]):
            return None
        scope_key = f"{'user' if head == 'users' else 'group'}:{parts[1]}"
        rest = parts[2:]
    else:
        return None
    if not rest:
        return Target(scope_key)
    if rest[0] not in ASSET_TYPES:
        return None  # runs/, configs/ and the like are not library content
    if len(rest) == 1:
        return Target(scope_key, rest[0])
    if not visible(rest[1]):
        return None
    return Target(scope_key, rest[0], rest[1])


def normalize(targets: Iterable[Target]) -> list[Target]:
    """Drop targets that a wider one already covers (a whole library covers its assets)."""
    found = set(targets)
    if Target() in found:
        return [Target()]
    scopes = {t.scope_key for t in found if t.type is None}
    folders_ = {(t.scope_key, t.type) for t in found if t.type and t.name is None}
    folders_ = {f for f in folders_ if f[0] not in scopes}
    assets = {
        t
        for t in found
        if t.name and t.scope_key not in scopes and (t.scope_key, t.type) not in folders_
    }
    return (
        [Target(s) for s in sorted(scopes)]  # type: ignore[arg-type]
        + [Target(s, t) for s, t in sorted(folders_)]
        + sorted(assets, key=lambda t: (t.scope_key, t.type, t.name))
    )
