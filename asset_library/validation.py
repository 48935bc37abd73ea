"""Manifest validation: every problem at once, each with file, line and field path."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .manifest import Manifest, SafeLoader

SCHEMAS = Path(__file__).parent / "schemas"
SCHEMA_FILES = {"digital_twins": "dt.schema.json"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str  # dotted path into the manifest; "" for the whole file
    message: str

    def message_line(self) -> str:
        where = f":{self.line}" if self.line else ""
        at = f" {self.field}:" if self.field else ""
        return f"{self.file}{where}:{at} {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def schema_for(asset_type: str) -> dict[str, Any]:
    """The JSON Schema of a manifest for assets of this type."""
    name = SCHEMA_FILES.get(asset_type, "asset.schema.json")
    return json.loads((SCHEMAS / name).read_text())


def _lines(text: str) -> dict[tuple, int]:
    """Map each path in a YAML document to the 1-based line where its value starts."""
    try:
        root = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        found[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value
                found[(*path, k, "__key__")] = key.start_mark.line + 1
                walk(value, (*path, k))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return found


def validate_data(data: Any, asset_type: str, file: str, text: str = "") -> list[Problem]:
    """Check a parsed manifest against its schema; ``text`` gives line numbers."""
    validator = jsonschema.Draft202012Validator(schema_for(asset_type))
    errors = list(validator.iter_errors(data))
    lines = _lines(text) if text and errors else {}  # parse for lines only when needed
    problems = []
    for err in errors:
        if err.context:  # oneOf/anyOf: the alternative that got deepest says most
            err = max(err.context, key=lambda e: len(e.absolute_path))
        path = tuple(err.absolute_path)
        line = lines.get(path)
        message = err.message
        if "propertyNames" in err.schema_path:
            # the offending key is not in the path; name it and point at its line
            key = err.instance
            line = lines.get((*path, key, "__key__"), line)
            path = (*path, key)
            message = f"{key!r} is not an allowed name here ({err.message})"
        problems.append(
            Problem(
                file=file,
                line=line,
                field=".".join(str(p) for p in path),
                message=message if len(message) < 300 else message[:297] + "...",
            )
        )
    return sorted(problems, key=lambda p: (p.line or 0, p.field))


def validate_manifest(manifest: Manifest, asset_type: str) -> list[Problem]:
    """Validate a manifest read with ``read_manifest`` (which already caught bad YAML)."""
    if manifest.path is None:
        return []
    try:
        text = manifest.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    return validate_data(manifest.data, asset_type, manifest.path.name, text)


def validate_text(text: str, asset_type: str, file: str) -> list[Problem]:
    """Validate manifest text as a user is about to save it: YAML errors included."""
    try:
        data = yaml.load(text, Loader=SafeLoader)  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or "invalid YAML"
        return [Problem(file, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}")]
    if not isinstance(data, dict):
        return [Problem(file, 1, "", "the top level must be a mapping")]
    return validate_data(data, asset_type, file, text)
