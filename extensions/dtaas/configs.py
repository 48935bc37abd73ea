"""Named configurations of a digital twin: ``configs/<name>.yaml``.

A private DT keeps them in its own folder. The common library is read-only, so
its shipped configurations are read-only and the user's own ones for a common DT
live in the workspace under ``configs/common/<dt>/`` (``configs/group-<g>/<dt>/`` for a
group's twin).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from asset_library.fsutil import PathOutsideRoot, confined, write_bytes_atomic
from asset_library.manifest import read_manifest

from .digital_twins import DigitalTwin, RequestError, resolve_parameters
from .jsonsafe import dotted, non_finite, shorten

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
        name = shorten(name, 80)
        raise RequestError(
            400, f"configuration name {name!r} is not a plain name", field="name", name=name
        )
    return name


class ConfigStore:
    """Reads and writes a workspace's named configurations.

    Each folder of configurations stays inside its root: a private DT's
    ``configs/`` inside the DT's folder, ``configs/common/<dt>/`` inside the
    workspace. A folder or a file that is a link out of its root is not listed,
    and reading, writing or deleting it is refused (403).
    """

    def __init__(self, workspace: Path):
        self.workspace = workspace

    def _own_dir(self, dt: DigitalTwin) -> tuple[Path, str]:
        """The folder of the user's own configurations, resolved, and its name for messages."""
        if dt.scope == "private":
            return self._confined(dt.folder, "configs"), f"digital_twins/{dt.name}/configs"
        rel = f"configs/{dt.shared_folder}/{dt.name}"
        return self._confined(self.workspace, "configs", dt.shared_folder, dt.name), rel

    def _shipped_dir(self, dt: DigitalTwin) -> tuple[Path, str] | None:
        if dt.scope == "private":
            return None
        return self._confined(dt.folder, "configs"), f"{dt.path}/configs"

    @staticmethod
    def _confined(root: Path, *parts: str) -> Path:
        try:
            return confined(root, *parts)
        except PathOutsideRoot as e:
            raise RequestError(403, str(e), path="/".join(parts)) from None

    @staticmethod
    def _file(folder: tuple[Path, str], name: str) -> Path:
        """``<folder>/<name>.yaml`` inside the folder, or 403 naming the configuration."""
        path, rel = folder
        try:
            return confined(path, f"{name}{SUFFIX}")
        except PathOutsideRoot:
            raise RequestError(
                403,
                f"configuration {name!r} ({rel}/{name}{SUFFIX}) is a link out of its folder",
                config=name,
                path=f"{rel}/{name}{SUFFIX}",
            ) from None

    def _read(self, path: Path, readonly: bool, name: str) -> Config:
        manifest = read_manifest(path)
        if manifest.problems:
            raise RequestError(400, "; ".join(manifest.problems), config=name)
        where = non_finite(manifest.data)
        if where is not None:
            field = dotted(where)
            raise RequestError(
                400,
                f"configuration {name!r}: {field} is not a finite number"
                " (NaN and infinity are not allowed)",
                config=name,
                field=field,
                file=f"{name}{SUFFIX}",
            )
        return Config(name=name, readonly=readonly, values=manifest.data)

    def _folders(self, dt: DigitalTwin) -> list[tuple[tuple[Path, str], bool]]:
        """The configuration folders that stay inside their roots, shipped ones first."""
        found = []
        for get, readonly in ((self._shipped_dir, True), (self._own_dir, False)):
            try:
                folder = get(dt)
            except RequestError:
                continue
            if folder is not None:
                found.append((folder, readonly))
        return found

    def list(self, dt: DigitalTwin) -> list[Config]:
        found: dict[str, Config] = {}
        for folder, readonly in self._folders(dt):
            if not folder[0].is_dir():
                continue
            for path in sorted(folder[0].glob(f"*{SUFFIX}")):
                if not CONFIG_NAME_RE.match(path.stem):
                    continue
                try:
                    found[path.stem] = self._read(
                        self._file(folder, path.stem), readonly, path.stem
                    )
                except RequestError:
                    continue
        return sorted(found.values(), key=lambda c: c.name)

    def get(self, dt: DigitalTwin, name: Any) -> Config:
        name = check_name(name)
        own = self._file(self._own_dir(dt), name)
        if own.is_file():
            return self._read(own, False, name)
        shipped_dir = self._shipped_dir(dt)
        if shipped_dir is not None:
            shipped = self._file(shipped_dir, name)
            if shipped.is_file():
                return self._read(shipped, True, name)
        raise RequestError(
            404, f"digital twin {dt.name!r} has no configuration {name!r}", config=name
        )

    def put(self, dt: DigitalTwin, name: Any, values: Any) -> Config:
        """Validate first, then write atomically; an invalid configuration writes nothing."""
        name = check_name(name)
        path = self._file(self._own_dir(dt), name)
        resolve_parameters(dt, values)
        text = yaml.safe_dump(values, sort_keys=False, allow_unicode=True)
        write_bytes_atomic(path, text.encode())
        return Config(name=name, readonly=False, values=values)

    def delete(self, dt: DigitalTwin, name: Any) -> None:
        config = self.get(dt, name)
        if config.readonly:
            raise RequestError(
                403, f"configuration {config.name!r} belongs to the common library", config=name
            )
        self._file(self._own_dir(dt), config.name).unlink()
