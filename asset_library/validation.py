"""Manifest validation: every problem at once, each with file, line and field path.

A DT's ``parameters`` is itself a JSON Schema written by a user: it is checked against
the Draft 2020-12 meta-schema, and its references must stay inside the document
(``parameter_validator`` never fetches anything, whatever the schema says).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .fsutil import read_bytes_bounded
from .manifest import MAX_MANIFEST_BYTES, Manifest, compose_yaml, parse_yaml, yaml_problem

SCHEMAS = Path(__file__).parent / "schemas"
SCHEMA_FILES = {"digital_twins": "dt.schema.json"}
MAX_PROBLEMS = 1000  # beyond this, one more problem says there are more
MAX_MESSAGE = 300
MAX_FIELD = 200
Lines = dict[tuple, int]

# where a JSON Schema (2020-12) holds subschemas; everything else is not a schema
_SCHEMA_KEYWORDS = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains"}
    | {"propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems"}
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_REF_KEYWORDS = ("$ref", "$dynamicRef")


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _problem(file: str, lines: Lines, path: tuple, message: str) -> Problem:
    """A problem at ``path``, on the line of the path or of its nearest written parent."""
    line = None
    for n in range(len(path), -1, -1):
        line = lines.get(path[:n])
        if line is not None:
            break
    field = shorten(".".join(str(p) for p in path), MAX_FIELD)
    return Problem(file, line, field, shorten(message, MAX_MESSAGE))


def _refuse(uri: str):
    """A ``referencing`` retrieve function that fetches nothing, ever."""
    raise NoSuchResource(ref=uri)


@cache
def schema_for(asset_type: str) -> dict[str, Any]:
    """The JSON Schema of a manifest for assets of this type."""
    name = SCHEMA_FILES.get(asset_type, "asset.schema.json")
    return json.loads((SCHEMAS / name).read_text())


@cache
def _manifest_validator(asset_type: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema_for(asset_type), registry=Registry(retrieve=_refuse)
    )


@cache
def _meta_validator() -> jsonschema.Draft202012Validator:
    # what Draft202012Validator.check_schema does, keeping every error
    cls = jsonschema.Draft202012Validator
    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)


def _lines(source: str | yaml.Node | None) -> Lines:
    """Map each path in a YAML document to the 1-based line where its value starts.

    Each node is visited once: a value used again through an alias keeps the path of
    the place it is written, and aliases are never expanded.
    """
    if isinstance(source, str):
        try:
            source = compose_yaml(source)
        except yaml.YAMLError:
            return {}
    found: Lines = {}
    if source is None:
        return found
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(source, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                if not isinstance(key, yaml.ScalarNode):
                    continue
                found[(*path, key.value, "__key__")] = key.start_mark.line + 1
                stack.append((value, (*path, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(node.value))))
    return found


def _schema_errors(
    validator: jsonschema.Draft202012Validator,
    instance: Any,
    file: str,
    lines: Callable[[], Lines],
    prefix: tuple = (),
) -> list[Problem]:
    """The validator's errors on ``instance`` as problems (at most MAX_PROBLEMS and one).

    ``lines`` is called only when there is a problem to place.
    """
    try:
        errors = list(islice(validator.iter_errors(instance), MAX_PROBLEMS + 1))
    except RecursionError:
        return [_problem(file, lines(), prefix, "nested too deeply to check")]
    problems = []
    for err in errors[:MAX_PROBLEMS]:
        if err.context:  # oneOf/anyOf: the alternative that got deepest says most
            err = max(err.context, key=lambda e: len(e.absolute_path))
        path = (*prefix, *err.absolute_path)
        message = err.message
        key_line = None
        if "propertyNames" in err.schema_path:
            # the offending key is not in the path; name it and point at its line
            key = err.instance
            key_line = lines().get((*path, key, "__key__"))
            path = (*path, key)
            message = f"{shorten(repr(key), 80)} is not an allowed name here ({message})"
        problem = _problem(file, lines(), path, message)
        problems.append(replace(problem, line=key_line) if key_line else problem)
    if len(errors) > MAX_PROBLEMS:
        problems.append(
            Problem(file, None, "", f"more than {MAX_PROBLEMS} problems; only the first shown")
        )
    return problems


def parameter_validator(schema: Any) -> jsonschema.Draft202012Validator:
    """A validator for values of a DT's ``parameters`` schema that never fetches a
    reference: only references inside the schema resolve, any other is Unresolvable."""
    return jsonschema.Draft202012Validator(schema, registry=Registry(retrieve=_refuse))


def _reference_problems(schema: Any, file: str, lines: Callable[[], Lines]) -> list[Problem]:
    """Every ``$ref``/``$dynamicRef`` that leaves the document or resolves nowhere."""
    if not isinstance(schema, dict):
        return []
    try:
        root = Registry(retrieve=_refuse).resolver_with_root(DRAFT202012.create_resource(schema))
    except Exception:  # noqa: BLE001 (a schema the meta-schema check reports already)
        return []
    problems = []
    stack: list[tuple[Any, tuple, Any]] = [(schema, ("parameters",), root)]
    while stack:
        node, path, resolver = stack.pop()
        if not isinstance(node, dict):
            continue
        if node is not schema and isinstance(node.get("$id"), str):
            with suppress(Exception):  # a bad $id: the meta-schema check reports it
                resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if not isinstance(ref, str):
                continue
            at = (*path, keyword)
            if not ref.startswith("#"):
                message = (
                    f"remote reference {shorten(repr(ref), 120)} is not allowed; "
                    "only local references (#/...) are resolved"
                )
                problems.append(_problem(file, lines(), at, message))
                continue
            try:
                resolver.lookup(ref)
            except (Unresolvable, LookupError, TypeError, ValueError):
                message = f"reference {shorten(repr(ref), 120)} does not resolve inside the schema"
                problems.append(_problem(file, lines(), at, message))
        for key, value in node.items():
            if key in _SCHEMA_KEYWORDS:
                stack.append((value, (*path, key), resolver))
            elif key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
                stack.extend((v, (*path, key, i), resolver) for i, v in enumerate(value))
            elif key in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
                stack.extend((v, (*path, key, k), resolver) for k, v in value.items())
    return problems


def _parameter_problems(schema: Any, file: str, lines: Callable[[], Lines]) -> list[Problem]:
    problems = _schema_errors(_meta_validator(), schema, file, lines, ("parameters",))
    refs = _reference_problems(schema, file, lines)
    return problems + refs


def parameter_schema_problems(schema: Any, file: str = "dt.yaml", text: str = "") -> list[Problem]:
    """Problems of a DT's ``parameters`` schema: the Draft 2020-12 meta-schema (formats
    included, so a bad ``pattern`` regex is one), references that leave the document
    (never fetched) and local references that resolve nowhere.

    Fields are ``parameters.<path>``; ``text`` is the manifest's text, for line numbers.
    """
    return sorted(_parameter_problems(schema, file, _lazy_lines(text, None)), key=_order)


def _order(p: Problem) -> tuple:
    return (p.line or 0, p.field)


def _lazy_lines(text: str, node: yaml.Node | None) -> Callable[[], Lines]:
    """Line numbers of a document, parsed on first use only (most manifests are fine)."""
    found: list[Lines] = []

    def get() -> Lines:
        if not found:
            found.append(_lines(node) if node is not None else _lines(text) if text else {})
        return found[0]

    return get


def validate_data(
    data: Any, asset_type: str, file: str, text: str = "", node: yaml.Node | None = None
) -> list[Problem]:
    """Check a parsed manifest against its schema; ``text`` (or its composed ``node``)
    gives line numbers."""
    lines = _lazy_lines(text, node)
    problems = _schema_errors(_manifest_validator(asset_type), data, file, lines)
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if asset_type == "digital_twins" and isinstance(parameters, dict):
        taken = {p.field for p in problems}  # a problem both schemas see is told once
        problems += [
            p for p in _parameter_problems(parameters, file, lines) if p.field not in taken
        ]
    return sorted(problems, key=_order)


def validate_manifest(manifest: Manifest, asset_type: str) -> list[Problem]:
    """Validate a manifest read with ``read_manifest`` (which already caught bad YAML)."""
    if manifest.path is None:
        return []
    text = manifest.text
    if not text and manifest.data:
        try:
            raw = read_bytes_bounded(manifest.path, MAX_MANIFEST_BYTES)
            text = raw.decode("utf-8") if raw is not None else ""
        except (OSError, UnicodeDecodeError):
            text = ""
    return validate_data(manifest.data, asset_type, manifest.path.name, text)


def validate_text(text: str, asset_type: str, file: str) -> list[Problem]:
    """Validate manifest text as a user is about to save it: YAML errors included."""
    try:
        data, node = parse_yaml(text)
    except yaml.YAMLError as e:
        line, message = yaml_problem(e)
        return [Problem(file, line, "", shorten(message, MAX_MESSAGE))]
    if not isinstance(data, dict):
        return [Problem(file, 1, "", "the top level must be a mapping")]
    return validate_data(data, asset_type, file, text, node)
