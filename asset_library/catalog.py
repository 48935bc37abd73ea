"""What a library holds: one entry per asset folder or file, read from disk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .manifest import (
    ASSET_MANIFEST,
    DT_MANIFEST,
    Manifest,
    lifecycle_steps,
    read_manifest,
    readme_summary,
)

ASSET_TYPES = ("digital_twins", "functions", "models", "tools", "data")
SCOPES = ("private", "common")


@dataclass
class Asset:
    type: str
    name: str
    scope: str
    path: str
    title: str
    description: str
    tags: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _visible(entry: Path) -> bool:
    return not entry.name.startswith((".", "_"))


def describe(entry: Path, asset_type: str, scope: str, path: str) -> Asset:
    """Build the catalog entry of one asset from its manifest, else its README."""
    manifest_name = DT_MANIFEST if asset_type == "digital_twins" else ASSET_MANIFEST
    manifest = read_manifest(entry / manifest_name) if entry.is_dir() else Manifest(path=None)
    data = manifest.data
    problems = list(manifest.problems)
    if asset_type == "digital_twins" and manifest.path is None:
        problems.append(f"{DT_MANIFEST}: missing")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        description = readme_summary(entry) if entry.is_dir() else ""
    title = data.get("title") if isinstance(data.get("title"), str) else entry.name
    tags = [str(t) for t in data.get("tags", [])] if isinstance(data.get("tags"), list) else []
    return Asset(
        type=asset_type,
        name=entry.name,
        scope=scope,
        path=path,
        title=title,
        description=description.strip(),
        tags=tags,
        steps=lifecycle_steps(data) if asset_type == "digital_twins" else [],
        problems=problems,
    )


def list_library(root: Path, scope: str, prefix: str = "") -> list[Asset]:
    """Every asset under ``root``'s five type folders.

    ``prefix`` is ``root`` as seen from a workspace, so paths open in Lab as they are.
    """
    assets: list[Asset] = []
    for asset_type in ASSET_TYPES:
        folder = root / asset_type
        if not folder.is_dir() or folder.is_symlink():
            continue
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not _visible(entry) or entry.is_symlink():
                continue
            path = f"{prefix}{asset_type}/{entry.name}"
            assets.append(describe(entry, asset_type, scope, path))
    return assets
