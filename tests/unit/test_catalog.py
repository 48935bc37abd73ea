import os

import pytest

from asset_library.catalog import ASSET_TYPES, Asset, describe
from asset_library.fsutil import PathOutsideRoot, confined, write_json_atomic
from asset_library.index.scan import Folder, entries


def list_library(root, scope: str) -> list[Asset]:
    """Every asset under root, as the index scans and describes them."""
    out = []
    for asset_type in ASSET_TYPES:
        folder = Folder(scope, asset_type, root / asset_type, "")
        if folder.dir.is_dir():
            for name in entries(folder):
                out.append(describe(folder.dir / name, asset_type, scope, f"{asset_type}/{name}"))
    return out


def make_dt(root, name, manifest):
    folder = root / "digital_twins" / name
    folder.mkdir(parents=True)
    (folder / "dt.yaml").write_text(manifest)
    return folder


def test_lists_assets_by_type_with_descriptions(tmp_path):
    make_dt(tmp_path, "twin", "title: A twin\ndescription: Spins.\nlifecycle: {execute: x.ipynb}\n")
    tool = tmp_path / "tools" / "solver"
    tool.mkdir(parents=True)
    (tool / "README.md").write_text("# Solver\n\nSolves things\nquickly.\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.csv").write_text("a,b\n")
    assets = {a.name: a for a in list_library(tmp_path, "private")}
    assert assets["twin"].title == "A twin" and assets["twin"].steps == ["execute"]
    assert assets["twin"].path == "digital_twins/twin"
    assert assets["solver"].description == "Solves things quickly."
    assert assets["table.csv"].type == "data"


def test_broken_manifests_are_problems_not_crashes(tmp_path):
    make_dt(tmp_path, "bad", "title: [unclosed\n")
    make_dt(tmp_path, "list", "- 1\n- 2\n")
    (tmp_path / "digital_twins" / "nomanifest").mkdir()
    assets = {a.name: a for a in list_library(tmp_path, "private")}
    assert "invalid YAML" in assets["bad"].problems[0] and "line" in assets["bad"].problems[0]
    assert "mapping" in assets["list"].problems[0]
    assert assets["nomanifest"].problems == ["dt.yaml: missing"]


def test_symlinks_and_hidden_entries_are_not_listed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    lib = tmp_path / "lib"
    (lib / "models").mkdir(parents=True)
    (lib / "models" / "escape").symlink_to(outside)
    (lib / "models" / ".hidden").mkdir()
    assert list_library(lib, "private") == []


def test_confined_refuses_escapes(tmp_path):
    (tmp_path / "root").mkdir()
    root = tmp_path / "root"
    os.symlink(tmp_path, root / "up")
    assert confined(root, "a", "b") == root.resolve() / "a" / "b"
    for bad in ("../x", "/etc/passwd", "a/../../x", "up/x", "a\x00b"):
        with pytest.raises(PathOutsideRoot):
            confined(root, bad)


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    write_json_atomic(tmp_path / "f.json", {"a": 1}, mode=0o600)
    write_json_atomic(tmp_path / "f.json", {"a": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    assert '"a": 2' in (tmp_path / "f.json").read_text()
