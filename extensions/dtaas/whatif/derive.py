"""A new twin from a scenario or a calibration: a copy of the source with new defaults.

The copy is the source's folder without its ``state/``, hidden files or links, with the
chosen values as the ``default``s of its parameter schema and a ``provenance:`` block in
``dt.yaml`` (source twin, sweep or calibration, scenario, data hash). It is built in a
hidden folder beside the target and renamed into place, so nobody sees half a twin.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from asset_library.authoring import DT_NAME_RE
from asset_library.fsutil import write_bytes_atomic
from asset_library.manifest import DT_MANIFEST, load_yaml, read_manifest

from ..digital_twins import STATE_FOLDER, RequestError
from ..jsonsafe import dotted, non_finite, shorten

CONFIGS_FOLDER = "configs"
_COPY_BLOCK = 1 << 20
SKIPPED = frozenset({"__pycache__"})  # made by Python from the copied sources, stale in a copy


def _copy_tree(source: Path, target: Path) -> None:
    """Copy regular files and folders, never through a link; ``target`` exists already.

    Each file is opened with O_NOFOLLOW and checked to be a regular file after opening,
    so a file swapped for a link (or a FIFO) while the copy runs is skipped, not read.
    """
    stack = [(source, target, True)]
    while stack:
        src, dst, top = stack.pop()
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name in SKIPPED or entry.is_symlink():
                    continue
                if top and entry.name == STATE_FOLDER:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(dst / entry.name, 0o755)
                    stack.append((Path(entry.path), dst / entry.name, False))
                elif entry.is_file(follow_symlinks=False):
                    _copy_file(Path(entry.path), dst / entry.name)


def _copy_file(src: Path, dst: Path) -> None:
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return  # it became a link or went away meanwhile
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return
        with open(dst, "xb") as out:
            shutil.copyfileobj(f, out, _COPY_BLOCK)
        os.chmod(dst, stat.S_IMODE(info.st_mode) & 0o777)


def _check_values(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` checked against the parameter schema, integers kept integers."""
    from asset_library.validation import parameter_validator

    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    out = {}
    for name, value in values.items():
        prop = props.get(name)
        if not isinstance(prop, dict):
            raise RequestError(
                400,
                f"{shorten(name, 80)!r} is not a parameter of the twin",
                field="values",
                parameter=shorten(name, 80),
            )
        if non_finite(value) is not None:
            raise RequestError(
                400, f"value of {name!r} is not a finite number", field="values", parameter=name
            )
        if prop.get("type") == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    defaults = {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}
    for err in parameter_validator(schema).iter_errors({**defaults, **out}):
        path = list(err.absolute_path)
        if path and path[0] in out:
            raise RequestError(
                400,
                shorten(f"value of {path[0]!r}: {err.message}"),
                field="values",
                parameter=str(path[0]),
            )
    return out


def _check_provenance(provenance: Any) -> dict[str, Any]:
    if not isinstance(provenance, dict) or not isinstance(provenance.get("source"), str):
        raise RequestError(
            400, "provenance must be a mapping naming its source twin", field="provenance"
        )
    where = non_finite(provenance)
    if where is not None:
        raise RequestError(
            400,
            f"provenance.{dotted(where)} is not a finite number",
            field=f"provenance.{dotted(where)}",
        )
    try:  # plain YAML only: no Python objects in a manifest
        yaml.safe_dump(provenance)
    except yaml.YAMLError:
        raise RequestError(400, "provenance must hold plain values", field="provenance") from None
    return provenance


def _update_configs(folder: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    """In the copied configurations, a value that restated the old default becomes the
    new one; a value chosen on purpose (different from the old default) is kept."""
    configs = folder / CONFIGS_FOLDER
    if not configs.is_dir() or configs.is_symlink():
        return
    for path in sorted(configs.glob("*.yaml")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        changed = False
        for name, value in new.items():
            if name in data and name in old and _same(data[name], old[name]):
                data[name] = value
                changed = True
        if changed:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
            write_bytes_atomic(path, text.encode())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not isinstance(a, bool) and not isinstance(b, bool) and math.isclose(a, b)
    return a == b


def derive_twin(
    source_folder: Path,
    target_folder: Path,
    values: dict[str, Any],
    provenance: dict[str, Any],
    title: str | None = None,
) -> None:
    """Write a new twin at ``target_folder``: the source with ``values`` as its defaults.

    ``provenance`` names the ``source`` twin ref and what the values come from (a
    ``sweep`` id and ``scenario``, or a ``calibration`` id with its ``data`` ref and
    ``data_sha256``); a ``created`` time is added, and the source's own provenance,
    if it was derived too, is kept under ``derived_from``. The new twin's name is the
    target folder's; ``title`` defaults to the source's with the name beside it.
    Refuses (409) a target that exists, and (400) values its schema does not allow.
    """
    source_folder, target_folder = Path(source_folder), Path(target_folder)
    name = target_folder.name
    if not DT_NAME_RE.match(name):
        raise RequestError(400, f"name {name!r} is not a plain lower-case name", field="name")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise RequestError(400, "title must be text", field="title")
    if source_folder.is_symlink() or not source_folder.is_dir():
        raise RequestError(404, f"no twin folder {source_folder.name!r}", field="source")
    source = read_manifest(source_folder / DT_MANIFEST)
    if source.path is None or source.problems or (source_folder / DT_MANIFEST).is_symlink():
        why = "; ".join(source.problems) or f"it has no {DT_MANIFEST}"
        raise RequestError(400, f"source twin {source_folder.name!r}: {why}", field="source")
    if not isinstance(values, dict) or not values:
        raise RequestError(400, "name at least one value to set", field="values")
    manifest = dict(source.data)
    schema = manifest.get("parameters")
    if not isinstance(schema, dict):
        raise RequestError(400, "the source twin has no parameter schema", field="source")
    values = _check_values(schema, values)
    provenance = _check_provenance(provenance)
    parent = target_folder.parent
    if target_folder.exists() or target_folder.is_symlink():
        raise RequestError(
            409, f"a digital twin named {name!r} exists already", field="name", dt=name
        )
    if parent.is_symlink():
        raise RequestError(400, f"the library folder {parent.name!r} is a link", field="name")
    parent.mkdir(parents=True, exist_ok=True)

    props = {k: dict(v) for k, v in schema["properties"].items()}
    old = {k: v["default"] for k, v in props.items() if "default" in v}
    for key, value in values.items():
        props[key]["default"] = value
    manifest["parameters"] = {**schema, "properties": props}
    manifest["name"] = name
    source_title = manifest.get("title", source_folder.name)
    manifest["title"] = title.strip() if title else f"{source_title} ({name})"
    block = {**provenance}
    block.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if isinstance(source.data.get("provenance"), dict):
        block["derived_from"] = source.data["provenance"]
    manifest["provenance"] = block

    from asset_library.validation import validate_data

    problems = validate_data(manifest, "digital_twins", DT_MANIFEST)
    if problems:
        first = problems[0]
        raise RequestError(400, first.message_line(), field=first.field or "name")
    staging = parent / f".deriving-{name}-{secrets.token_hex(4)}"
    os.mkdir(staging, 0o755)
    try:
        _copy_tree(source_folder, staging)
        text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
        write_bytes_atomic(staging / DT_MANIFEST, text.encode())
        _update_configs(staging, old, values)
        try:
            # a twin that appeared meanwhile is not replaced (rename refuses a folder that
            # is not empty; an empty one made meanwhile holds nothing to lose)
            os.rename(staging, target_folder)
        except OSError:
            raise RequestError(
                409, f"a digital twin named {name!r} exists already", field="name", dt=name
            ) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
