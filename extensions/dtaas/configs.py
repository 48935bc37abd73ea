"""Named configurations of a digital twin: ``configs/<name>.yaml``.

A private DT keeps them in its own folder. The common library is read-only, so
its shipped configurations are read-only and the user's own ones for a common DT
live in the workspace under ``configs/common/<dt>/``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from asset_library.fsutil import write_bytes_atomic
from asset_library.manifest import read_manifest

from .digital_twins import DigitalTwin, RequestError, resolve_parameters

CONFIG_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SUFFIX = ".yaml"


@dataclass
class Config:
    name: str
    readonly: bool
    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not CONFIG_NAME_RE.match(name) or name.endswith(SUFFIX):
        raise RequestError(
            400, f"configuration name {name!r} is not a plain name", field="name", name=name
        )
    return name


class ConfigStore:
    """Reads and writes a workspace's named configurations."""

    def __init__(self, workspace: Path):
        self.workspace = workspace

    def _own_dir(self, dt: DigitalTwin) -> Path:
        if dt.scope == "private":
            return dt.folder / "configs"
        return self.workspace / "configs" / "common" / dt.name

    def _shipped_dir(self, dt: DigitalTwin) -> Path | None:
        return dt.folder / "configs" if dt.scope != "private" else None

    def _read(self, path: Path, readonly: bool) -> Config:
        manifest = read_manifest(path)
        if manifest.problems:
            raise RequestError(400, "; ".join(manifest.problems), config=path.stem)
        return Config(name=path.stem, readonly=readonly, values=manifest.data)

    def list(self, dt: DigitalTwin) -> list[Config]:
        found: dict[str, Config] = {}
        shipped = self._shipped_dir(dt)
        for folder, readonly in ((shipped, True), (self._own_dir(dt), False)):
            if folder is None or not folder.is_dir():
                continue
            for path in sorted(folder.glob(f"*{SUFFIX}")):
                if CONFIG_NAME_RE.match(path.stem):
                    try:
                        found[path.stem] = self._read(path, readonly)
                    except RequestError:
                        continue
        return sorted(found.values(), key=lambda c: c.name)

    def get(self, dt: DigitalTwin, name: Any) -> Config:
        name = check_name(name)
        own = self._own_dir(dt) / f"{name}{SUFFIX}"
        if own.is_file():
            return self._read(own, readonly=False)
        shipped = self._shipped_dir(dt)
        if shipped is not None and (shipped / f"{name}{SUFFIX}").is_file():
            return self._read(shipped / f"{name}{SUFFIX}", readonly=True)
        raise RequestError(
            404, f"digital twin {dt.name!r} has no configuration {name!r}", config=name
        )

    def put(self, dt: DigitalTwin, name: Any, values: Any) -> Config:
        """Validate first, then write atomically; an invalid configuration writes nothing."""
        name = check_name(name)
        resolve_parameters(dt, values)
        text = yaml.safe_dump(values, sort_keys=False, allow_unicode=True)
        write_bytes_atomic(self._own_dir(dt) / f"{name}{SUFFIX}", text.encode())
        return Config(name=name, readonly=False, values=values)

    def delete(self, dt: DigitalTwin, name: Any) -> None:
        config = self.get(dt, name)
        if config.readonly:
            raise RequestError(
                403, f"configuration {config.name!r} belongs to the common library", config=name
            )
        (self._own_dir(dt) / f"{config.name}{SUFFIX}").unlink()
