"""An asset's detail as read from disk: manifest, problems and visible files (no web code)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .catalog import part_of_asset
from .manifest import ASSET_MANIFEST, DT_MANIFEST, read_manifest
from .validation import validate_manifest

MAX_TREE = 1000


def read_detail(folder: Path, asset_type: str) -> dict[str, Any]:
    """The parts of an asset's detail read from disk: manifest, problems, files."""
    manifest_name = DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST
    manifest = read_manifest(folder / manifest_name) if folder.is_dir() else None
    problems = [
        {"file": manifest_name, "line": None, "field": "", "message": p}
        for p in (manifest.problems if manifest else [])
    ]
    if manifest and not manifest.problems:
        problems += [p.to_dict() for p in validate_manifest(manifest, asset_type)]
    return {
        "manifest": manifest.data if manifest else {},
        "problems": problems,
        "files": file_tree(folder),
    }


def file_tree(folder: Path) -> list[dict[str, Any]]:
    """The asset's visible files (at most MAX_TREE), for the detail view."""
    if folder.is_file():
        return [{"path": folder.name, "type": "file", "size": folder.stat().st_size}]
    out: list[dict[str, Any]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if part_of_asset(d))
        rel = Path(root).relative_to(folder)
        for d in dirs:
            out.append({"path": str(rel / d), "type": "directory", "size": 0})
        for f in sorted(files):
            if not part_of_asset(f):
                continue
            p = Path(root) / f
            if p.is_symlink():
                continue
            out.append({"path": str(rel / f), "type": "file", "size": p.stat().st_size})
            if len(out) >= MAX_TREE:
                return out
    return out
