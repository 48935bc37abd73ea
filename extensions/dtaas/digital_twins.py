"""Finding a digital twin in a workspace and checking a run request against its manifest."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from asset_library.fsutil import PathOutsideRoot, confined
from asset_library.manifest import DT_MANIFEST, read_manifest

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# each scope's library root, relative to the workspace; common/ is a link to the
# organisation's library, so it is its own root for path checks
SCOPE_ROOTS = {"private": ".", "common": "common"}


class RequestError(ValueError):
    """A request names something missing (404) or invalid (400); ``fields`` say which."""

    def __init__(self, status: int, message: str, **fields: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


@dataclass(frozen=True)
class DigitalTwin:
    name: str
    scope: str
    folder: Path
    manifest: dict[str, Any]

    @property
    def steps(self) -> list[str]:
        lifecycle = self.manifest.get("lifecycle") or {}
        return list(lifecycle) if isinstance(lifecycle, dict) else []

    @property
    def parameter_schema(self) -> dict[str, Any]:
        schema = self.manifest.get("parameters") or {"type": "object"}
        return schema if isinstance(schema, dict) else {"type": "object"}

    def content_hash(self) -> str:
        """sha256 over the DT's files (paths and bytes), to tell which version ran."""
        digest = hashlib.sha256()
        for path in sorted(self.folder.rglob("*")):
            rel = path.relative_to(self.folder)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            digest.update(str(rel).encode() + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return f"sha256:{digest.hexdigest()}"

    def describe_steps(self) -> list[dict[str, str]]:
        out = []
        for name, entry in (self.manifest.get("lifecycle") or {}).items():
            desc = entry.get("description", "") if isinstance(entry, dict) else ""
            out.append({"name": str(name), "description": str(desc)})
        return out

    def notebook(self, step: str) -> Path:
        """The step's notebook, kept inside the DT's folder."""
        if step not in self.steps:
            raise RequestError(
                400,
                f"digital twin {self.name!r} has no step {step!r}; it has {', '.join(self.steps)}",
                dt=self.name,
                step=step,
            )
        entry = self.manifest["lifecycle"][step]
        rel = entry.get("notebook") if isinstance(entry, dict) else entry
        if not isinstance(rel, str):
            raise RequestError(400, f"step {step!r} names no notebook", dt=self.name, step=step)
        try:
            path = confined(self.folder, rel)
        except PathOutsideRoot as e:
            raise RequestError(400, str(e), dt=self.name, step=step) from None
        if not path.is_file():
            raise RequestError(404, f"notebook {rel!r} of step {step!r} is missing", step=step)
        return path


def find_dt(workspace: Path, name: Any, scope: Any = None) -> DigitalTwin:
    """Locate DT ``name`` in the private library, else the common one (or the given scope)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise RequestError(400, f"dt {name!r} is not a valid digital twin name", dt=name)
    if scope is not None and scope not in SCOPE_ROOTS:
        raise RequestError(
            400, f"scope {scope!r} is not one of {', '.join(SCOPE_ROOTS)}", scope=scope
        )
    for candidate in [scope] if scope else list(SCOPE_ROOTS):
        try:
            libroot = confined(workspace / SCOPE_ROOTS[candidate], "digital_twins")
            folder = confined(libroot, name)
        except PathOutsideRoot:
            continue
        if folder.parent != libroot or not (folder / DT_MANIFEST).is_file():
            continue
        manifest = read_manifest(folder / DT_MANIFEST)
        if manifest.problems:
            raise RequestError(400, "; ".join(manifest.problems), dt=name)
        return DigitalTwin(name=name, scope=candidate, folder=folder, manifest=manifest.data)
    raise RequestError(404, f"no digital twin named {name!r}", dt=name)


def _default_params(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}


def resolve_parameters(dt: DigitalTwin, given: Any) -> dict[str, Any]:
    """Defaults overlaid with ``given``, validated against the DT's schema.

    Every problem is reported at once, each naming its parameter.
    """
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise RequestError(400, "parameters must be an object", field="parameters")
    schema = dt.parameter_schema
    params = {**_default_params(schema), **given}
    errors = []
    props = schema.get("properties") or {}
    if schema.get("additionalProperties", True) is False:
        for key in given:
            if key not in props:
                errors.append(
                    {"parameter": key, "pointer": f"/{key}", "message": "unknown parameter"}
                )
    validator = jsonschema.Draft202012Validator(schema)
    for err in validator.iter_errors(params):
        if err.validator == "additionalProperties":
            continue
        path = list(err.absolute_path)
        name = str(path[0]) if path else ""
        errors.append(
            {
                "parameter": name,
                "pointer": "/" + "/".join(str(p) for p in path),
                "message": err.message,
            }
        )
    if errors:
        names = ", ".join(sorted({e["parameter"] for e in errors if e["parameter"]}))
        raise RequestError(
            400,
            f"invalid parameters for {dt.name!r}: {names or 'see errors'}",
            dt=dt.name,
            errors=errors,
        )
    return params
