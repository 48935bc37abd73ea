"""Creating a digital twin from a template or from assets picked in the library.

The new DT is built in a hidden folder beside its final place and renamed into
place, so nobody ever sees half a DT.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import yaml

from .fsutil import own_like, write_bytes_atomic
from .manifest import DT_MANIFEST, README, read_manifest
from .scopes import Ref, parse_ref
from .validation import validate_data

DT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DEFAULT_TEMPLATE = "blank"


class AuthoringError(ValueError):
    """A create request that cannot be honoured; ``field`` names the culprit."""

    def __init__(self, status: int, message: str, field: str):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _links_and_hidden(folder: str, names: list[str]) -> set[str]:
    """A template's symlinks and hidden files are never copied into a new DT."""
    return {n for n in names if n.startswith(".") or os.path.islink(os.path.join(folder, n))}


def list_templates(templates_dir: Path) -> list[dict[str, Any]]:
    """The templates on offer, with their manifests' title and description."""
    out = []
    if not templates_dir.is_dir():
        return out
    for folder in sorted(templates_dir.iterdir()):
        manifest = read_manifest(folder / DT_MANIFEST)
        if folder.name.startswith(".") or manifest.path is None or manifest.problems:
            continue
        out.append(
            {
                "name": folder.name,
                "title": str(manifest.data.get("title", folder.name)),
                "description": str(manifest.data.get("description", "")),
                "steps": list(manifest.data.get("lifecycle") or {}),
            }
        )
    return out


def create_dt(
    library_root: Path,
    templates_dir: Path,
    name: Any,
    title: Any = None,
    description: Any = None,
    template: Any = None,
    assets: Any = (),
) -> Path:
    """Write ``digital_twins/<name>`` into ``library_root``; returns the new folder."""
    if not isinstance(name, str) or not DT_NAME_RE.match(name):
        raise AuthoringError(400, f"name {name!r} is not a plain lower-case name", "name")
    template = template or DEFAULT_TEMPLATE
    source = templates_dir / str(template)
    if not isinstance(template, str) or "/" in template or not (source / DT_MANIFEST).is_file():
        raise AuthoringError(404, f"no template named {template!r}", "template")
    if not isinstance(assets, (list, tuple)):
        raise AuthoringError(400, "assets must be a list of references", "assets")
    refs: list[Ref] = []
    for text in assets:
        try:
            refs.append(parse_ref(text))
        except ValueError as e:
            raise AuthoringError(400, str(e), "assets") from None
    for key, value in (("title", title), ("description", description)):
        if value is not None and not isinstance(value, str):
            raise AuthoringError(400, f"{key} must be text", key)

    parent = library_root / "digital_twins"
    if not parent.is_dir():
        parent.mkdir(parents=True)
        own_like(parent, library_root)
    final = parent / name
    if final.exists() or final.is_symlink():
        raise AuthoringError(409, f"a digital twin named {name!r} exists already", "name")
    staging = parent / f".creating-{name}-{secrets.token_hex(4)}"
    try:
        shutil.copytree(source, staging, ignore=_links_and_hidden)
        template_manifest = read_manifest(staging / DT_MANIFEST)
        if template_manifest.problems:
            raise AuthoringError(
                400, f"template {template!r}: {template_manifest.problems[0]}", "template"
            )
        manifest = dict(template_manifest.data)
        manifest["name"] = name
        manifest["title"] = title or name.replace("-", " ").capitalize()
        if description is not None:
            manifest["description"] = description
        manifest["assets"] = [str(r) for r in refs]
        manifest["tags"] = [t for t in manifest.get("tags") or [] if t != "template"]
        problems = validate_data(manifest, "digital_twins", DT_MANIFEST)
        if problems:
            raise AuthoringError(400, problems[0].message_line(), problems[0].field or "name")
        text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
        write_bytes_atomic(staging / DT_MANIFEST, text.encode())
        readme = f"# {manifest['title']}\n\n{manifest.get('description', '')}\n"
        if refs:
            readme += "\n## Assets\n\n" + "".join(f"- `{r}`\n" for r in refs)
        write_bytes_atomic(staging / README, readme.encode())
        own_like(staging, library_root)
        try:
            os.rename(staging, final)  # fails if the name was taken meanwhile
        except OSError:
            raise AuthoringError(
                409, f"a digital twin named {name!r} exists already", "name"
            ) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final
