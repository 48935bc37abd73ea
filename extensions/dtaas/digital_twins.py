"""Finding a digital twin in a workspace and checking a run request against its manifest."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asset_library.errors import APIError
from asset_library.fsutil import PathOutsideRoot, confined
from asset_library.manifest import DT_MANIFEST, read_manifest

from .jsonsafe import dotted, non_finite, shorten

if TYPE_CHECKING:  # jsonschema takes a second to import: kernels that save never need it
    from asset_library.validation import Problem

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
GROUP_SCOPE_RE = re.compile(r"^group:([a-z0-9][a-z0-9._-]{0,63})$")
USER_SCOPE_RE = re.compile(r"^user:([a-z0-9][a-z0-9._-]{0,63})$")
# each scope's library root, relative to the workspace; common/ and groups/<g>/ are
# links to the shared libraries, so each is its own root for path checks
SCOPE_ROOTS = {"private": ".", "common": "common"}
STATE_FOLDER = "state"
# copies of twins shared with the user from libraries the workspace does not see:
# shared/user-<u>/ (another user's), shared/group-<g>/ (a group the user is not in)
SHARED_FOLDER = "shared"


def scope_root(scope: str, workspace: Path | None = None) -> str | None:
    """The library root of ``private``, ``common``, ``group:<g>`` or ``user:<u>``, relative
    to the workspace. Another user's library, and a group's the workspace has no
    ``groups/<g>`` link to (given ``workspace``), are the fetched copies under ``shared/``."""
    if not isinstance(scope, str):
        return None
    if scope in SCOPE_ROOTS:
        return SCOPE_ROOTS[scope]
    if USER_SCOPE_RE.match(scope):
        return f"{SHARED_FOLDER}/{scope.replace(':', '-')}"
    m = GROUP_SCOPE_RE.match(scope)
    if not m:
        return None
    if workspace is not None and not os.path.lexists(workspace / "groups" / m[1]):
        return f"{SHARED_FOLDER}/{scope.replace(':', '-')}"
    return f"groups/{m[1]}"


def is_fetched(workspace: Path, scope: Any) -> bool:
    """Whether a scope's twins run from copies fetched through the library service."""
    root = scope_root(scope, workspace)
    return root is not None and root.startswith(f"{SHARED_FOLDER}/")


def workspace_groups(workspace: Path) -> list[str]:
    """The scopes of the group libraries this workspace sees (``groups/<g>`` links)."""
    try:
        names = sorted(e.name for e in os.scandir(workspace / "groups"))
    except OSError:
        return []
    return [f"group:{n}" for n in names if GROUP_SCOPE_RE.match(f"group:{n}")]


class RequestError(APIError):
    """A request names something missing (404), invalid (400) or out of bounds (403).

    The runtime's one domain error: ``fields`` name what is at fault (``dt``,
    ``field``, ``errors``, ``path``...) and go into the JSON body beside ``status``
    and ``message``; the library's own errors (APIError) render the same way.
    """

    @property
    def status(self) -> int:
        return self.status_code


@dataclass(frozen=True)
class DigitalTwin:
    name: str
    scope: str
    folder: Path
    manifest: dict[str, Any]
    # what is wrong with the parameter schema; a run, a validation or a save is refused
    problems: tuple[Problem, ...] = ()
    # the library's root relative to the workspace, as found (None: the scope's usual one)
    root: str | None = None

    @property
    def library_prefix(self) -> str:
        """Where the twin's library sits in the workspace: '', 'common/', 'groups/<g>/' or
        'shared/<owner>/'."""
        root = self.root if self.root is not None else scope_root(self.scope) or "."
        return "" if root == "." else f"{root}/"

    @property
    def shared_folder(self) -> str:
        """The user's own folder name for what they keep of a twin they cannot write:
        ``common``, ``group-<g>`` or ``user-<u>`` (under ``configs/`` and ``state/`` of the
        workspace)."""
        return self.scope.replace(":", "-")

    @property
    def path(self) -> str:
        """The twin's folder relative to the workspace."""
        return f"{self.library_prefix}digital_twins/{self.name}"

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
        for rel in sorted(_plain_files(self.folder)):
            if rel.parts[0] == STATE_FOLDER:  # what runs keep there is not the twin's version
                continue
            try:
                fd = os.open(self.folder / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    continue
                digest.update(str(rel).encode() + b"\0")
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                digest.update(b"\0")
        return f"sha256:{digest.hexdigest()}"

    def describe_steps(self) -> list[dict[str, str]]:
        out = []
        lifecycle = self.manifest.get("lifecycle")
        for name, entry in (lifecycle if isinstance(lifecycle, dict) else {}).items():
            desc = entry.get("description", "") if isinstance(entry, dict) else ""
            out.append({"name": str(name), "description": str(desc)})
        return out

    def notebook(self, step: str) -> Path:
        """The step's notebook, kept inside the DT's folder."""
        if not self.steps:
            raise RequestError(
                400,
                f"digital twin {self.name!r} declares no lifecycle steps in {DT_MANIFEST}",
                dt=self.name,
                field="lifecycle",
                step=shorten(step, 80),
            )
        if step not in self.steps:
            raise RequestError(
                400,
                f"digital twin {self.name!r} has no step {shorten(step, 80)!r};"
                f" it has {', '.join(self.steps)}",
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


def _plain_files(folder: Path) -> list[Path]:
    """Files under ``folder`` (relative), not hidden, never through a link."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = Path(dirpath).relative_to(folder)
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".") or path.is_symlink():
                continue
            found.append(base / name)
    return found


def schema_problems(manifest: dict[str, Any], text: str = "") -> list[Problem]:
    """What is wrong with a DT's parameter schema, each problem naming its field."""
    from asset_library.validation import Problem, parameter_schema_problems

    schema = manifest.get("parameters")
    if schema is None:
        return []
    if not isinstance(schema, dict):
        return [Problem(DT_MANIFEST, None, "parameters", "must be a JSON Schema object")]
    problems = parameter_schema_problems(schema, file=DT_MANIFEST, text=text)
    where = non_finite(schema)
    if where is not None:
        problems.append(
            Problem(
                DT_MANIFEST,
                None,
                dotted(["parameters", *where]),
                "is not a finite number (NaN and infinity are not JSON)",
            )
        )
    return problems


def find_dt(workspace: Path, name: Any, scope: Any = None) -> DigitalTwin:
    """Locate DT ``name`` in the private library, else the common one (or the given scope)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        name = shorten(name, 80)
        raise RequestError(400, f"dt {name!r} is not a valid digital twin name", dt=name)
    if scope is not None and scope_root(scope) is None:
        scope = shorten(scope, 80)
        raise RequestError(
            400,
            f"scope {scope!r} is not private, common, group:<name> or user:<name>",
            scope=scope,
        )
    candidates = [scope] if scope else [*SCOPE_ROOTS, *workspace_groups(workspace)]
    for candidate in candidates:
        root = scope_root(candidate, workspace)
        try:
            libroot = confined(workspace / root, "digital_twins")
            folder = confined(libroot, name)
            manifest_path = confined(folder, DT_MANIFEST)
        except PathOutsideRoot:
            continue  # a link out of its library is no DT of this workspace
        if folder.parent != libroot or not manifest_path.is_file():
            continue
        manifest = read_manifest(manifest_path)
        if manifest.problems:
            raise RequestError(400, "; ".join(manifest.problems), dt=name, file=DT_MANIFEST)
        try:
            text = manifest_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        return DigitalTwin(
            name=name,
            scope=candidate,
            folder=folder,
            manifest=manifest.data,
            problems=tuple(schema_problems(manifest.data, text)),
            root=root,
        )
    raise RequestError(404, f"no digital twin named {name!r}", dt=name)


def _default_params(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    return {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}


def check_schema(dt: DigitalTwin) -> None:
    """Refuse to use a parameter schema with problems: 400 naming the first field."""
    if not dt.problems:
        return
    first = dt.problems[0]
    raise RequestError(
        400,
        f"digital twin {dt.name!r} has an invalid parameter schema: {first.message_line()}",
        dt=dt.name,
        field=first.field,
        file=first.file,
        line=first.line,
        problems=[p.to_dict() for p in dt.problems],
    )


def resolve_parameters(dt: DigitalTwin, given: Any) -> dict[str, Any]:
    """Defaults overlaid with ``given``, validated against the DT's schema.

    Every problem is reported at once, each naming its parameter.
    """
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise RequestError(400, "parameters must be an object", field="parameters")
    from asset_library.validation import parameter_validator

    check_schema(dt)
    schema = dt.parameter_schema
    params = {**_default_params(schema), **given}
    errors = []
    for key, value in params.items():
        where = non_finite(value)
        if where is not None:
            errors.append(
                {
                    "parameter": key,
                    "pointer": "/" + "/".join(str(p) for p in [key, *where]),
                    "message": "is not a finite number (NaN and infinity are not allowed)",
                }
            )
    if errors:  # the schema would let NaN through every bound: refuse it first
        raise _invalid(dt, errors)
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    if schema.get("additionalProperties", True) is False:
        for key in given:
            if key not in props:
                errors.append(
                    {"parameter": key, "pointer": f"/{key}", "message": "unknown parameter"}
                )
    try:
        found = list(parameter_validator(schema).iter_errors(params))
    except Exception as e:  # noqa: BLE001 (whatever the schema check missed is the DT's fault)
        raise RequestError(
            400,
            shorten(f"the parameter schema of {dt.name!r} cannot be applied: {e}"),
            dt=dt.name,
            field="parameters",
        ) from None
    for err in found:
        if err.validator == "additionalProperties":
            continue
        path = list(err.absolute_path)
        name = str(path[0]) if path else ""
        errors.append(
            {
                "parameter": shorten(name, 80),
                "pointer": shorten("/" + "/".join(str(p) for p in path), 200),
                "message": shorten(err.message),
            }
        )
    if errors:
        raise _invalid(dt, errors)
    return params


def _invalid(dt: DigitalTwin, errors: list[dict[str, str]]) -> RequestError:
    names = ", ".join(sorted({e["parameter"] for e in errors if e["parameter"]}))
    return RequestError(
        400,
        shorten(f"invalid parameters for {dt.name!r}: {names or 'see errors'}"),
        dt=dt.name,
        errors=errors,
    )
