"""What a library holds: one entry per asset folder or file, read from disk.

Files are the source of truth; everything here is derived from them and can be
recomputed at any time (the index stores these entries).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .fsutil import read_bytes_bounded
from .manifest import (
    ASSET_MANIFEST,
    DT_MANIFEST,
    README,
    Manifest,
    lifecycle_steps,
    read_manifest,
    readme_summary,
)

ASSET_TYPES = ("digital_twins", "functions", "models", "tools", "data")
MAX_README_CHARS = 64 * 1024
MAX_WALK_ENTRIES = 10_000


@dataclass
class Asset:
    type: str
    name: str
    scope: str  # as the asking workspace sees it: private, group:<name> or common
    path: str  # workspace-relative, opens in Lab as it is
    title: str
    description: str
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    version: str = ""
    steps: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)  # references to other assets (DTs)
    problems: list[str] = field(default_factory=list)
    size: int = 0
    modified: float = 0.0
    readme: str = ""

    def to_dict(self, readme: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not readme:
            data.pop("readme")
        return data


def visible(name: str) -> bool:
    """Hidden and private-by-convention names are not assets."""
    return not name.startswith((".", "_"))


def part_of_asset(name: str) -> bool:
    """Inside an asset, only hidden names and Python's caches are left out: a package's
    ``__init__.py`` or a ``_helpers.py`` belongs to it."""
    return not name.startswith(".") and name != "__pycache__"


def _size_and_mtime(entry: Path) -> tuple[int, float]:
    """Total bytes and newest modification of an asset, bounded for huge folders."""
    st = entry.lstat()
    if not entry.is_dir():
        return st.st_size, st.st_mtime
    size, newest, seen = 0, st.st_mtime, 0
    for root, dirs, files in os.walk(entry):
        dirs[:] = [d for d in dirs if visible(d)]
        for name in files:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                return size, newest
            try:
                fst = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            size += fst.st_size
            newest = max(newest, fst.st_mtime)
    return size, newest


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _readme(entry: Path) -> str:
    path = entry / README
    if not entry.is_dir() or path.is_symlink() or not path.is_file():
        return ""
    try:  # never through a symlink: it could name a file of someone else's
        raw = read_bytes_bounded(path, 4 * MAX_README_CHARS, truncate=True)
    except OSError:
        return ""
    return raw.decode("utf-8", errors="replace")[:MAX_README_CHARS]


def describe(entry: Path, asset_type: str, scope: str, path: str) -> Asset:
    """Build the catalog entry of one asset from its manifest, else its README."""
    manifest_name = DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST
    manifest = read_manifest(entry / manifest_name) if entry.is_dir() else Manifest(path=None)
    data = manifest.data
    problems = list(manifest.problems)
    if asset_type == "digital_twins" and manifest.path is None:
        problems.append(f"{DT_MANIFEST}: missing")
    elif manifest.path is not None and not manifest.problems:
        from .validation import validate_manifest  # late: validation imports this module

        problems += [p.message_line() for p in validate_manifest(manifest, asset_type)]
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        description = readme_summary(entry) if entry.is_dir() else ""
    title = data.get("title") if isinstance(data.get("title"), str) else entry.name
    size, modified = _size_and_mtime(entry)
    uses = []
    for item in data.get("assets") if isinstance(data.get("assets"), list) else []:
        ref = item.get("ref") if isinstance(item, dict) else item
        if isinstance(ref, str) and ref:
            uses.append(ref)
    return Asset(
        type=asset_type,
        name=entry.name,
        scope=scope,
        path=path,
        title=title,
        description=description.strip(),
        tags=_strings(data.get("tags")),
        authors=_strings(data.get("authors")),
        version=str(data.get("version", "")),
        steps=lifecycle_steps(data) if asset_type == "digital_twins" else [],
        uses=uses,
        problems=problems,
        size=size,
        modified=modified,
        readme=_readme(entry),
    )
