"""A user's workspace on disk: their private library with the shared ones beside it."""

from __future__ import annotations

import os
from pathlib import Path

from asset_library.catalog import ASSET_TYPES

LIBRARY_FOLDERS = ASSET_TYPES
COMMON_LINK = "common"


def lay_out_workspace(users_dir: Path, username: str, common_dir: Path) -> Path:
    """Create ``users/<name>/`` with the five library folders and ``common/``.

    Idempotent: an existing workspace keeps its files; a missing folder comes back.
    """
    home = users_dir / username
    if home.resolve().parent != users_dir.resolve():
        raise ValueError(f"user name {username!r} is not a plain folder name")
    for folder in (*LIBRARY_FOLDERS, "runs"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    common_dir.mkdir(parents=True, exist_ok=True)
    link = home / COMMON_LINK
    target = os.path.relpath(common_dir, home)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.is_symlink():
        if link.exists():
            raise ValueError(f"{link} exists and is not the link to the common library")
        link.symlink_to(target, target_is_directory=True)
    return home
