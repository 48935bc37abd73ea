"""A user's workspace on disk: their private library with the shared ones beside it."""

from __future__ import annotations

import os
from pathlib import Path

from asset_library.catalog import ASSET_TYPES

LIBRARY_FOLDERS = ASSET_TYPES
COMMON_LINK = "common"
GROUPS_FOLDER = "groups"


def _link(link: Path, target_dir: Path) -> None:
    """A relative symlink at ``link`` to ``target_dir``, replacing a stale one."""
    target = os.path.relpath(target_dir, link.parent)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.is_symlink():
        if link.exists():
            raise ValueError(f"{link} exists and is not a link to a library")
        link.symlink_to(target, target_is_directory=True)


def link_groups(home: Path, groups_dir: Path, groups: list[str]) -> None:
    """``groups/<g>`` in the workspace for each group the user is in, and no others."""
    folder = home / GROUPS_FOLDER
    folder.mkdir(exist_ok=True)
    wanted = set()
    for group in groups:
        if group in ("", ".", "..") or "/" in group or "\x00" in group:
            continue
        (groups_dir / group).mkdir(parents=True, exist_ok=True)
        _link(folder / group, groups_dir / group)
        wanted.add(group)
    for entry in folder.iterdir():
        if entry.is_symlink() and entry.name not in wanted:
            entry.unlink()


def lay_out_workspace(
    users_dir: Path,
    username: str,
    common_dir: Path,
    groups_dir: Path | None = None,
    groups: list[str] = (),
) -> Path:
    """Create ``users/<name>/`` with the five library folders, ``common/`` and ``groups/``.

    Idempotent: an existing workspace keeps its files; a missing folder comes back.
    """
    home = users_dir / username
    if home.resolve().parent != users_dir.resolve():
        raise ValueError(f"user name {username!r} is not a plain folder name")
    for folder in (*LIBRARY_FOLDERS, "runs"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    common_dir.mkdir(parents=True, exist_ok=True)
    _link(home / COMMON_LINK, common_dir)
    if groups_dir is not None:
        link_groups(home, groups_dir, list(groups))
    return home
