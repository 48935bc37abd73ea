"""Reading ``dt.yaml`` and ``asset.yaml``: never raises on bad files, reports problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DT_MANIFEST = "dt.yaml"
ASSET_MANIFEST = "asset.yaml"
README = "README.md"
MAX_MANIFEST_BYTES = 1 << 20
# libyaml's loader where present: the index parses every manifest it meets
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Manifest:
    """A parsed manifest; ``data`` is empty when the file is missing or broken."""

    path: Path | None
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> Manifest:
    """Parse a YAML manifest into a mapping, turning every failure into a problem."""
    if not path.is_file():
        return Manifest(path=None)
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        return Manifest(path, problems=[f"{path.name}: larger than {MAX_MANIFEST_BYTES} bytes"])
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
    except UnicodeDecodeError:
        return Manifest(path, problems=[f"{path.name}: not UTF-8 text"])
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        return Manifest(path, problems=[f"{path.name}:{where} invalid YAML"])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return Manifest(path, problems=[f"{path.name}: top level must be a mapping"])
    return Manifest(path, data=data)


def readme_summary(folder: Path, limit: int = 500) -> str:
    """The first paragraph of a README that is not a heading, for a description."""
    readme = folder / README
    if not readme.is_file():
        return ""
    try:
        text = readme.read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return ""
    for block in text.split("\n\n"):
        block = block.strip()
        if block and not block.startswith("#"):
            return " ".join(block.split())[:limit]
    return ""


def lifecycle_steps(data: dict[str, Any]) -> list[str]:
    """The lifecycle step names a DT declares, in their order."""
    lifecycle = data.get("lifecycle")
    if isinstance(lifecycle, dict):
        return [str(k) for k in lifecycle]
    return []
