"""File-system helpers shared by every package: atomic writes and confined paths."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


class PathOutsideRoot(ValueError):
    """A path escapes the root it must stay in; the message names the path."""


def write_bytes_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` so readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bytes_bounded(path: Path, limit: int, truncate: bool = False) -> bytes | None:
    """At most ``limit`` bytes of a regular file, never through a symlink.

    A file larger than ``limit`` (it may have grown since it was listed) gives None,
    or its first ``limit`` bytes with ``truncate``. Raises OSError when unreadable, a
    symlink or not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        return data[:limit] if truncate else None
    return data


def write_json_atomic(path: Path, data: Any, mode: int | None = None) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2, default=str) + "\n").encode(), mode)


def confined(root: Path, *parts: str) -> Path:
    """Join ``parts`` onto ``root`` and refuse any result that resolves outside it.

    Symlinks are followed, so a link that points elsewhere is refused too.
    """
    rel = "/".join(parts)
    if "\x00" in rel:
        raise PathOutsideRoot(f"path {rel!r} contains a NUL byte")
    if Path(rel).is_absolute():
        raise PathOutsideRoot(f"path {rel!r} is absolute")
    real_root = root.resolve()
    target = (real_root / rel).resolve()
    if target != real_root and real_root not in target.parents:
        raise PathOutsideRoot(f"path {rel!r} is outside its library")
    return target


def own_tree(path: Path, uid: int, gid: int) -> None:
    """Give ``path`` and everything below it (links themselves, not their targets) to uid."""
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for entry in (*dirs, *files):
            p = os.path.join(root, entry)
            st = os.lstat(p)
            if st.st_uid != uid or st.st_gid != gid:
                os.lchown(p, uid, gid)


def own_like(path: Path, reference: Path) -> None:
    """Files this process writes into a workspace belong to the workspace's owner.

    The library service runs as the hub's account (root, when workspaces have
    accounts of their own); a user must be able to edit what it made for them.
    """
    owner = reference.stat()
    if (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()) and os.geteuid() == 0:
        own_tree(path, owner.st_uid, owner.st_gid)
