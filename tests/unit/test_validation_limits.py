"""Limits on hostile input, checked on the pure functions: YAML alias bombs, deep
nesting, parameter schemas with references, JSON bodies, error sizes, scope filters."""

from __future__ import annotations

import json

import jsonschema
import pytest
import referencing.exceptions
import yaml

from asset_library.auth import has_scope
from asset_library.errors import APIError, json_object
from asset_library.manifest import (
    MAX_MANIFEST_BYTES,
    YAMLLimitError,
    compose_yaml,
    load_yaml,
    read_manifest,
)
from asset_library.validation import (
    _lines,
    parameter_schema_problems,
    parameter_validator,
    validate_data,
    validate_text,
)
from tests.attacks import CountingHost, alias_bomb

# --- YAML -------------------------------------------------------------------------------


def test_alias_bomb_is_refused_without_expanding_it():
    text = alias_bomb()
    assert len(text) < 400
    with pytest.raises(YAMLLimitError) as e:
        load_yaml(text)
    assert "expand" in str(e.value) and e.value.line is not None
    with pytest.raises(YAMLLimitError):
        compose_yaml(text)
    problems = validate_text(text, "digital_twins", "dt.yaml")
    assert len(problems) == 1 and problems[0].file == "dt.yaml"
    assert "expand" in problems[0].message and problems[0].line
    assert _lines(text) == {}


def test_alias_bomb_in_a_file_is_a_problem_naming_it(tmp_path):
    (tmp_path / "dt.yaml").write_text(alias_bomb())
    manifest = read_manifest(tmp_path / "dt.yaml")
    assert manifest.data == {}
    assert len(manifest.problems) == 1 and manifest.problems[0].startswith("dt.yaml:")
    assert "expand" in manifest.problems[0]


def test_aliases_of_long_text_are_refused():
    # 100 aliases of 500 kB: 50 MB once expanded (in a response, in the index)
    text = "title: t\ns: &s " + "x" * 500_000 + "\nl: [" + ",".join(["*s"] * 100) + "]\n"
    with pytest.raises(YAMLLimitError, match="characters") as e:
        load_yaml(text)
    assert e.value.line == 3
    assert load_yaml(text.replace(",".join(["*s"] * 100), "*s, *s"))["l"][1] == "x" * 500_000


def test_too_many_aliases_and_recursive_aliases_are_refused():
    many = (
        "title: t\nlifecycle: {execute: x.ipynb}\nv: &v 1\nl: [" + ",".join(["*v"] * 1001) + "]\n"
    )
    with pytest.raises(YAMLLimitError, match="aliases"):
        load_yaml(many)
    few = "v: &v 1\nl: [" + ",".join(["*v"] * 10) + "]\n"
    assert load_yaml(few)["l"] == [1] * 10
    with pytest.raises(YAMLLimitError, match="itself"):
        load_yaml("a: &a [*a]\n")
    problems = validate_text("a: &a {b: *a}\n", "digital_twins", "my.yaml")
    assert problems and problems[0].file == "my.yaml"


def test_deep_nesting_is_refused_everywhere():
    deep = "title: t\nx: " + "[" * 200 + "]" * 200 + "\n"
    with pytest.raises(YAMLLimitError, match="nested"):
        load_yaml(deep)
    assert "nested" in validate_text(deep, "digital_twins", "dt.yaml")[0].message
    # deeper than the parser itself allows: still a problem, never a crash
    deeper = "x: " + "- " * 5000 + "1\n"
    assert validate_text(deeper, "models", "asset.yaml")[0].file == "asset.yaml"
    # shared values count at their deepest use
    inner = "[" * 40 + "1" + "]" * 40
    shared = f"a: &a {inner}\nb: {'[' * 40}*a{']' * 40}\n"
    with pytest.raises(YAMLLimitError, match="nested"):
        load_yaml(shared)


def test_lines_visit_each_node_once():
    # 900 aliases of a 100-value list: 90,000 values when expanded, 1,000 nodes written
    text = "title: t\nv: &v [" + ",".join(["1"] * 100) + "]\nl: [" + ",".join(["*v"] * 900) + "]\n"
    lines = _lines(text)
    assert len(lines) < 1500
    assert lines[("v",)] == 2 and lines[("l",)] == 3
    assert ("l", 0) not in lines  # an alias is not walked again
    assert len(load_yaml(text)["l"]) == 900


def test_document_size_is_checked_before_parsing(tmp_path):
    big = "title: x\n" + "#" * MAX_MANIFEST_BYTES
    problems = validate_text(big, "digital_twins", "dt.yaml")
    assert len(problems) == 1 and "larger than" in problems[0].message
    with pytest.raises(YAMLLimitError, match="larger than"):
        load_yaml(big)
    # multi-byte characters count as bytes
    wide = "title: " + "é" * (MAX_MANIFEST_BYTES // 2 + 10) + "\n"
    assert "larger than" in validate_text(wide, "models", "asset.yaml")[0].message


def test_manifest_swapped_for_a_huge_file_is_not_read_whole(tmp_path):
    path = tmp_path / "asset.yaml"
    path.write_bytes(b"title: x\n" + b"#" * (2 * MAX_MANIFEST_BYTES))
    manifest = read_manifest(path)
    assert "larger than" in manifest.problems[0] and manifest.text == ""


def test_symlinked_manifest_is_not_followed(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("title: private\n")
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "asset.yaml").symlink_to(secret)
    manifest = read_manifest(folder / "asset.yaml")
    assert manifest.data == {} and "symbolic link" in manifest.problems[0]


def test_yaml_nan_and_infinity_parse_but_are_plain_floats():
    data = load_yaml("a: .nan\nb: -.inf\n")
    assert data["a"] != data["a"] and data["b"] == float("-inf")


# --- parameter schemas ------------------------------------------------------------------


@pytest.fixture
def schema_server():
    """A real loopback server that serves a schema and counts every request."""
    host = CountingHost()
    yield host.url, host.hits
    host.close()


def test_remote_references_are_reported_and_never_fetched(schema_server):
    base, hits = schema_server
    schema = {
        "type": "object",
        "properties": {
            "x": {"$ref": f"{base}/x.json"},
            "y": {"items": {"$dynamicRef": f"{base}/y.json#meta"}},
            "z": {"$ref": "other.json"},
            "w": {"$ref": "#/$defs/ok"},
        },
        "$defs": {"ok": {"type": "number"}},
    }
    problems = parameter_schema_problems(schema)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {
        "parameters.properties.x.$ref",
        "parameters.properties.y.items.$dynamicRef",
        "parameters.properties.z.$ref",
    }
    assert "remote reference" in by_field["parameters.properties.x.$ref"].message
    assert (
        "only local references (#/...) are resolved"
        in by_field["parameters.properties.x.$ref"].message
    )
    assert all(p.file == "dt.yaml" for p in problems)
    # the validator refuses to fetch even when asked to resolve
    validator = parameter_validator(schema)
    assert isinstance(validator, jsonschema.Draft202012Validator)
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.validate({"x": "a"})
    assert list(parameter_validator(schema).iter_errors({"w": "no"}))
    assert hits == []


def test_remote_id_base_is_never_fetched_either(schema_server):
    base, hits = schema_server
    schema = {
        "type": "object",
        "properties": {
            "x": {
                "$id": f"{base}/sub.json",
                "$ref": "#/$defs/here",
                "$defs": {"here": {"type": "string"}},
            }
        },
    }
    assert parameter_schema_problems(schema) == []
    assert not parameter_validator(schema).is_valid({"x": 3})
    assert parameter_validator(schema).is_valid({"x": "s"})
    assert hits == []


@pytest.mark.parametrize(
    ("schema", "field", "words"),
    [
        (
            {"type": "object", "properties": {"x": {"type": "numbr"}}},
            "parameters.properties.x.type",
            "numbr",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string", "pattern": "[a-"}}},
            "parameters.properties.x.pattern",
            "regex",
        ),
        (
            {"type": "object", "properties": {"x": {"$ref": "#/$defs/nowhere"}}},
            "parameters.properties.x.$ref",
            "does not resolve",
        ),
        (
            {"type": "object", "properties": {"x": {"$ref": "#nowhere"}}},
            "parameters.properties.x.$ref",
            "does not resolve",
        ),
        (
            {"type": "object", "patternProperties": {"[a-": {"type": "number"}}},
            "parameters.patternProperties.[a-",
            "regex",
        ),
        (
            {"type": "object", "properties": {"x": {"minimum": "three"}}},
            "parameters.properties.x.minimum",
            "number",
        ),
    ],
)
def test_bad_parameter_schemas_name_the_field(schema, field, words):
    problems = parameter_schema_problems(schema)
    assert [p.field for p in problems] == [field], problems
    assert words in problems[0].message


def test_good_parameter_schemas_have_no_problems():
    schema = {
        "type": "object",
        "properties": {
            "$ref": {"type": "string"},  # a parameter named $ref is just a name
            "a": {"$ref": "#/$defs/pos", "default": {"$ref": "http://not.a.reference/"}},
            "b": {"$ref": "#anchored"},
            "c": {"$ref": "#/properties/a"},
        },
        "$defs": {
            "pos": {"type": "number", "minimum": 0},
            "n": {"$anchor": "anchored", "type": "integer"},
        },
    }
    assert parameter_schema_problems(schema) == []
    assert parameter_validator(schema).is_valid({"a": 1, "b": 2, "c": 3})
    assert not parameter_validator(schema).is_valid({"a": -1})


def test_parameter_problems_reach_manifest_validation_with_lines():
    text = (
        "title: t\n"
        "lifecycle: {execute: x.ipynb}\n"
        "parameters:\n"
        "  type: object\n"
        "  properties:\n"
        "    x: {type: number}\n"
        "    y: {type: string, pattern: '[a-'}\n"
        "    z: {$ref: 'http://127.0.0.1:9/z.json'}\n"
    )
    problems = validate_text(text, "digital_twins", "dt.yaml")
    found = {(p.field, p.line) for p in problems}
    assert ("parameters.properties.y.pattern", 7) in found
    assert ("parameters.properties.z.$ref", 8) in found
    # a type the manifest schema already refuses is reported once
    text = (
        "title: t\nlifecycle: {execute: x.ipynb}\n"
        "parameters: {type: object, properties: {x: {type: numbr}}}\n"
    )
    problems = validate_text(text, "digital_twins", "dt.yaml")
    assert [p.field for p in problems] == ["parameters.properties.x.type"]
    # the parameters of other assets are not schemas
    assert validate_data({"parameters": {"$ref": "http://x/"}}, "models", "asset.yaml") == []


# --- JSON bodies ------------------------------------------------------------------------


def test_json_body_size_is_limited():
    with pytest.raises(APIError) as e:
        json_object(b'{"a": "' + b"x" * (1 << 20) + b'"}')
    assert e.value.status_code == 413 and e.value.fields["field"] == "body"
    with pytest.raises(APIError) as e:
        json_object(b'{"a": "xxxxxxxxxx"}', max_bytes=10)
    assert e.value.status_code == 413
    assert json_object(b'{"a": 1}', max_bytes=10) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"parameters": {"k1": NaN}}', "parameters.k1"),
        (b'{"parameters": {"k1": 1, "k2": Infinity}}', "parameters.k2"),
        (b'{"values": [1, 2, -Infinity]}', "values.2"),
        (b'{"x": 1e999}', "x"),
        (b'{"a": {"b": [{"c": -1e400}]}}', "a.b.0.c"),
    ],
)
def test_non_finite_numbers_are_refused_naming_the_field(body, field):
    with pytest.raises(APIError) as e:
        json_object(body)
    assert e.value.status_code == 400 and e.value.fields["field"] == field
    assert "finite" in e.value.message


def test_deep_json_is_refused():
    ok = b'{"a": ' + b"[" * 62 + b"]" * 62 + b"}"
    assert json_object(ok)
    for depth in (65, 100_000):
        body = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
        with pytest.raises(APIError) as e:
            json_object(body, max_bytes=1 << 21)
        assert e.value.status_code == 400 and "nested too deeply" in e.value.message


def test_json_bodies_that_are_not_objects():
    for body in (b"[1]", b"nope", b"\xff\xfe{", b'"s"'):
        with pytest.raises(APIError) as e:
            json_object(body)
        assert e.value.status_code == 400 and e.value.fields["field"] == "body"
    assert json_object(b"") == {}


# --- error sizes ------------------------------------------------------------------------


def test_errors_never_echo_huge_input():
    huge = "x" * 10_000_000
    e = APIError(400, f"type {huge!r} is not an asset type", field="type", ref=huge, n=3)
    body = e.body()
    assert len(body["message"]) <= 301 and body["message"].endswith("…")
    assert len(body["ref"]) <= 201 and body["ref"].endswith("…")
    assert body["field"] == "type" and body["n"] == 3 and body["status"] == 400
    assert len(json.dumps(body)) < 1000
    assert len(e.log_message) < 1000
    assert APIError(404, "short", path="p").body() == {
        "status": 404,
        "message": "short",
        "path": "p",
    }


def test_validation_messages_of_huge_values_are_short():
    huge = "y" * 900_000
    problems = validate_text(
        f"title: t\nlifecycle: {{execute: x.ipynb}}\ntags: {huge}\n", "digital_twins", "dt.yaml"
    )
    assert problems and all(len(p.message) <= 301 and len(p.field) <= 201 for p in problems)
    problems = validate_text(
        f"title: t\nlifecycle: {{{huge}: x.ipynb}}\n", "digital_twins", "dt.yaml"
    )
    assert problems and all(len(json.dumps(p.to_dict())) < 2000 for p in problems)


# --- scopes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "granted"),
    [
        (["custom:library:read"], True),
        (["custom:library:read!user=alice"], True),
        (["custom:library:read!user"], True),
        (["custom:library:read!user=bob"], False),
        (["custom:library:read!user=alice2"], False),
        (["custom:library:read!group=lab"], False),
        (["custom:library:read!server=alice/"], False),
        (["custom:library:read!service=library"], False),
        (["custom:library:readx"], False),
        (["custom:library:write"], False),
        (["custom:library:read!user=bob", "custom:library:read!user=alice"], True),
        ([], False),
    ],
)
def test_scope_filters_count_for_the_asking_user_only(scopes, granted):
    assert has_scope(scopes, "custom:library:read", "alice") is granted
    assert has_scope(set(scopes), "custom:library:read", "alice") is granted


def test_yaml_errors_are_yaml_errors():
    assert issubclass(YAMLLimitError, yaml.YAMLError)
