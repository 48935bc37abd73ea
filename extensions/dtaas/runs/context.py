"""What a step knows of its twin: folders, declared assets, state, and the kernel's environment.

Built by the runtime for each step and handed to the kernel two ways: ``DTAAS_*``
environment variables and a ``context.json`` in the run folder, which
``dtaas.context()`` reads. The twin's own ``models/`` and ``functions/`` and every
declared model or function asset go on the kernel's ``PYTHONPATH``, so a notebook
written elsewhere imports them unchanged.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asset_library.fsutil import PathOutsideRoot, confined
from asset_library.scopes import ScopeError, parse_ref

from ..digital_twins import STATE_FOLDER, DigitalTwin, RequestError, scope_root
from ..jsonsafe import shorten

CONTEXT_FILE = "context.json"
IMPORTS_FOLDER = ".imports"  # in the run folder: links to declared file assets
IMPORTABLE_TYPES = ("models", "functions")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def asset_refs(dt: DigitalTwin) -> list[str]:
    """The references in the manifest's ``assets:``, as written (string or ``{ref: ...}``)."""
    entries = dt.manifest.get("assets") or []
    refs = []
    for entry in entries if isinstance(entries, list) else []:
        ref = entry.get("ref") if isinstance(entry, dict) else entry
        if isinstance(ref, str):
            refs.append(ref)
    return refs


def _library(workspace: Path, dt: DigitalTwin, scope_token: str) -> tuple[Path, str]:
    """The library a reference's scope names, as the twin sees it, and its workspace prefix.

    ``mine`` is the library the twin was found in (for a shared twin, the fetched copy
    of its owner's library)."""
    if scope_token == "mine":
        prefix = dt.library_prefix
        return workspace / (prefix or "."), prefix
    root = scope_root(scope_token, workspace)
    if root is None:
        raise ScopeError(f"scope {scope_token!r} is not mine, common or group:<name>")
    return workspace / root, "" if root == "." else f"{root}/"


def declared_assets(workspace: Path, dt: DigitalTwin) -> dict[str, Path]:
    """Every declared asset's real path; 400 naming the first reference that is malformed,
    outside its library or missing. ``mine`` is the twin's own library."""
    return {ref: resolve_asset(workspace, dt, ref, "assets") for ref in asset_refs(dt)}


def resolve_asset(workspace: Path, dt: DigitalTwin, ref: Any, field: str) -> Path:
    """An asset reference as the twin sees it (``mine`` is the twin's own library) to its
    real path; 400 naming the reference, with ``field``, when it is malformed, leaves its
    library or does not exist."""
    try:
        parsed = parse_ref(ref)
        libroot, prefix = _library(workspace, dt, parsed.scope)
        path = confined(libroot, parsed.type, parsed.name)
    except (ScopeError, PathOutsideRoot) as e:
        raise RequestError(
            400, f"asset {shorten(ref, 200)!r} of {dt.name!r}: {e}", dt=dt.name, field=field
        ) from None
    if not path.exists():
        where = f"{prefix}{parsed.type}/{parsed.name}"
        raise RequestError(
            400,
            f"asset {ref!r} that {dt.name!r} names does not exist (no {where})",
            dt=dt.name,
            field=field,
            ref=ref,
        )
    return path


def state_dir(workspace: Path, dt: DigitalTwin) -> tuple[Path, str]:
    """The twin's state folder (made if missing) and its path relative to the workspace.

    A private twin keeps it in its own folder; for a twin the user cannot write (common,
    group, shared by another user) it lives in the user's workspace under
    ``state/<scope>/<dt>/``.
    """
    if dt.scope == "private":
        rel = f"digital_twins/{dt.name}/{STATE_FOLDER}"
        parts: tuple[str, ...] = (STATE_FOLDER,)
        root = dt.folder
    else:
        rel = f"{STATE_FOLDER}/{dt.shared_folder}/{dt.name}"
        parts = (STATE_FOLDER, dt.shared_folder, dt.name)
        root = workspace
    try:
        path = confined(root, *parts)
    except PathOutsideRoot:
        raise RequestError(403, f"{rel} is a link out of its folder", path=rel) from None
    path.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or not path.is_dir():
        raise RequestError(403, f"{rel} is not a folder", path=rel)
    return path, rel


@dataclass
class StepContext:
    """One step's context: what ``context.json`` holds, and the kernel's environment."""

    dt: DigitalTwin
    workspace: Path
    run_id: str
    run_dir: Path
    state_dir: Path
    step: str
    parameters: dict[str, Any]
    config: str | None
    assets: dict[str, Path]
    snapshot: str | None = None
    tick: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        return self.run_dir / "outputs"

    def import_paths(self) -> list[Path]:
        """The twin's own models/ and functions/, declared folder assets, the links to
        declared file assets, then the twin's folder (``from models.x import y``)."""
        paths = [self.dt.folder / t for t in IMPORTABLE_TYPES if (self.dt.folder / t).is_dir()]
        for ref, path in self.assets.items():
            if ref.split("/")[1] in IMPORTABLE_TYPES and path.is_dir():
                paths.append(path)
        paths += [self.run_dir / IMPORTS_FOLDER, self.dt.folder]
        return paths

    def link_file_assets(self) -> None:
        """``.imports/<name>`` for each declared model or function that can be imported by
        its name: a ``.py`` file, or a package folder whose name is an identifier."""
        folder = self.run_dir / IMPORTS_FOLDER
        folder.mkdir(exist_ok=True)
        for ref, path in self.assets.items():
            if ref.split("/")[1] not in IMPORTABLE_TYPES:
                continue
            stem = path.name[:-3] if path.suffix == ".py" else path.name
            if not IDENTIFIER.match(stem) or (path.is_dir() and path.suffix):
                continue
            link = folder / path.name
            if not link.is_symlink():
                link.symlink_to(path, target_is_directory=path.is_dir())

    def to_dict(self) -> dict[str, Any]:
        return {
            "dt": self.dt.name,
            "scope": self.dt.scope,
            "step": self.step,
            "run_id": self.run_id,
            "workspace": str(self.workspace),
            "dt_dir": str(self.dt.folder),
            "run_dir": str(self.run_dir),
            "output_dir": str(self.output_dir),
            "state_dir": str(self.state_dir),
            "parameters": self.parameters,
            "config": self.config,
            "snapshot": self.snapshot,
            "tick": self.tick,
            "assets": {ref: str(p) for ref, p in self.assets.items()},
            **self.extra,
        }

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The kernel's environment: ours over the server's, imports first on the path."""
        env = dict(os.environ if base is None else base)
        path = os.pathsep.join(str(p) for p in self.import_paths())
        if env.get("PYTHONPATH"):
            path = f"{path}{os.pathsep}{env['PYTHONPATH']}"
        env.update(
            PYTHONPATH=path,
            DTAAS_DT_DIR=str(self.dt.folder),
            DTAAS_RUN_DIR=str(self.run_dir),
            DTAAS_OUTPUT_DIR=str(self.output_dir),
            DTAAS_STATE_DIR=str(self.state_dir),
            DTAAS_RUN_ID=self.run_id,
            DTAAS_STEP=self.step,
            DTAAS_WORKSPACE=str(self.workspace),
            DTAAS_CONTEXT=str(self.run_dir / CONTEXT_FILE),
        )
        return env
