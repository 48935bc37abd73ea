import shutil
from pathlib import Path

import pytest
import yaml

from asset_library.authoring import AuthoringError, create_dt, list_templates
from asset_library.scopes import (
    ScopeError,
    key_for_token,
    library_root,
    parse_ref,
    path_prefix,
    visible_keys,
)
from asset_library.validation import validate_text

TEMPLATES = Path(__file__).resolve().parents[2] / "examples" / "templates"


def test_templates_are_valid_and_listed():
    names = {t["name"] for t in list_templates(TEMPLATES)}
    assert {"blank", "ode-model"} <= names
    for name in names:
        text = (TEMPLATES / name / "dt.yaml").read_text()
        assert validate_text(text, "digital_twins", "dt.yaml") == []


def test_create_dt_from_template_with_assets(tmp_path):
    folder = create_dt(
        tmp_path,
        TEMPLATES,
        "heat-exchanger",
        title="Heat exchanger",
        template="ode-model",
        assets=["common/models/pipe", "group:lab/data/temps"],
    )
    manifest = yaml.safe_load((folder / "dt.yaml").read_text())
    assert manifest["name"] == "heat-exchanger" and manifest["title"] == "Heat exchanger"
    assert manifest["assets"] == ["common/models/pipe", "group:lab/data/temps"]
    assert validate_text((folder / "dt.yaml").read_text(), "digital_twins", "dt.yaml") == []
    assert (folder / "lifecycle" / "execute.ipynb").is_file()
    assert "common/models/pipe" in (folder / "README.md").read_text()
    assert [p.name for p in (tmp_path / "digital_twins").iterdir()] == ["heat-exchanger"]


@pytest.mark.parametrize(
    ("kwargs", "field", "status"),
    [
        ({"name": "Bad Name"}, "name", 400),
        ({"name": "../x"}, "name", 400),
        ({"name": "ok", "template": "nope"}, "template", 404),
        ({"name": "ok", "template": "../blank"}, "template", 404),
        ({"name": "ok", "assets": ["elsewhere/models/x"]}, "assets", 400),
        ({"name": "ok", "title": 5}, "title", 400),
    ],
)
def test_bad_create_requests_name_the_field_and_write_nothing(tmp_path, kwargs, field, status):
    with pytest.raises(AuthoringError) as e:
        create_dt(tmp_path, TEMPLATES, **kwargs)
    assert e.value.field == field and e.value.status == status
    assert not (tmp_path / "digital_twins").exists() or not any(
        (tmp_path / "digital_twins").iterdir()
    )


def test_existing_name_is_a_conflict(tmp_path):
    create_dt(tmp_path, TEMPLATES, "twin")
    with pytest.raises(AuthoringError) as e:
        create_dt(tmp_path, TEMPLATES, "twin")
    assert e.value.status == 409


def test_template_folder_symlinks_are_not_followed(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "blank", templates / "blank")
    (templates / "blank" / "secret").symlink_to("/etc")
    folder = create_dt(tmp_path / "lib", templates, "twin")
    assert not (folder / "secret").exists() and not (folder / "secret").is_symlink()


def test_scopes_and_references():
    assert visible_keys("ann", ["ops", "lab"]) == ["user:ann", "group:lab", "group:ops", "common"]
    assert key_for_token("mine", "ann") == "user:ann"
    assert key_for_token("group:lab", "ann") == "group:lab"
    for bad in ("user:bob", "group:../x", "everything"):
        with pytest.raises(ScopeError):
            key_for_token(bad, "ann")
    ref = parse_ref("group:lab/models/beam")
    assert (ref.scope, ref.type, ref.name) == ("group:lab", "models", "beam")
    for bad in ("lab/models/beam", "mine/cars/x", "mine/models/a/b", "mine/models/"):
        with pytest.raises(ScopeError):
            parse_ref(bad)
    assert library_root(Path("/d"), "group:lab") == Path("/d/groups/lab")
    assert path_prefix("group:lab") == "groups/lab/"
    assert path_prefix("user:ann") == "" and path_prefix("common") == "common/"
    with pytest.raises(ScopeError):
        path_prefix("user:../x")


def test_a_template_with_an_alias_bomb_is_refused_not_expanded(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "blank", templates / "bomb")
    levels = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    levels += [
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    (templates / "bomb" / "dt.yaml").write_text(
        "title: Bomb\nlifecycle: {execute: lifecycle/execute.ipynb}\n" + "\n".join(levels) + "\n"
    )
    assert "bomb" not in {t["name"] for t in list_templates(templates)}
    with pytest.raises(AuthoringError) as e:
        create_dt(tmp_path / "lib", templates, "twin", template="bomb")
    assert e.value.field == "template" and "expand" in e.value.message
    assert not (tmp_path / "lib" / "digital_twins" / "twin").exists()
