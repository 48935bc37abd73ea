"""Pure parts of sharing: roles, copies that leave out what is not shared, manifest
edits that keep comments, and diffs between an asset and its common version."""

from __future__ import annotations

import os

import pytest

from asset_library.sharing import files
from asset_library.sharing.roles import RoleError, at_least, best, parse_role


def test_roles_include_the_ones_before_them():
    assert at_least("edit", "run") and at_least("owner", "edit") and at_least("run", "view")
    assert not at_least("view", "run") and not at_least(None, "view")
    assert best(["view", None, "fork", "run"]) == "fork" and best([None]) is None
    with pytest.raises(RoleError, match="one of view, run, fork, edit"):
        parse_role("admin")


def test_a_copy_leaves_out_links_hidden_files_and_run_state(tmp_path):
    src = tmp_path / "src"
    (src / "lifecycle").mkdir(parents=True)
    (src / "dt.yaml").write_text("title: T\n")
    (src / "lifecycle" / "run.ipynb").write_text("{}")
    (src / "state").mkdir()
    (src / "state" / "secret.txt").write_text("runs only")
    (src / ".hidden").write_text("x")
    (src / "lifecycle" / "__init__.py").write_text("")  # a package's code is the asset's
    (src / "lifecycle" / "__pycache__").mkdir()
    (src / "lifecycle" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink(tmp_path / "outside.txt", src / "link.txt")
    os.symlink(tmp_path, src / "linked-dir")
    files.copy_asset(src, tmp_path / "lib" / "copy", tmp_path)
    got = sorted(
        str(p.relative_to(tmp_path / "lib" / "copy"))
        for p in (tmp_path / "lib" / "copy").rglob("*")
    )
    assert got == ["dt.yaml", "lifecycle", "lifecycle/__init__.py", "lifecycle/run.ipynb"]
    assert not [p for p in (tmp_path / "lib").iterdir() if p.name.startswith(".")]
    with pytest.raises(FileExistsError):
        files.copy_asset(src, tmp_path / "lib" / "copy", tmp_path)
    assert files.digest(src) == files.digest(tmp_path / "lib" / "copy")


def test_setting_a_top_level_key_keeps_the_rest_of_the_file(tmp_path):
    manifest = tmp_path / "dt.yaml"
    manifest.write_text(
        "# the twin\ntitle: T  # short\nversion: 0.1\n"
        "forked_from:\n  asset: a\n  at: b\ntags: [x]\n"
    )
    files.set_top_level(manifest, "forked_from", "forked_from:\n  asset: c\n")
    files.set_top_level(manifest, "version", "version: '1.1'\n")
    files.set_top_level(manifest, "name", "name: n\n")
    assert manifest.read_text() == (
        "# the twin\ntitle: T  # short\nversion: '1.1'\n"
        "forked_from:\n  asset: c\ntags: [x]\nname: n\n"
    )


def test_a_diff_names_each_file_added_removed_or_changed(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "same.txt").write_text("same\n")
    (old / "README.md").write_text("# v1\n")
    (new / "README.md").write_text("# v2\n")
    (old / "gone.py").write_text("x = 1\n")
    (new / "model.bin").write_bytes(b"\0\1\2")
    changes = {c["path"]: c for c in files.diff_trees(new, old)}
    assert {p: c["status"] for p, c in changes.items()} == {
        "README.md": "changed",
        "gone.py": "removed",
        "model.bin": "added",
    }
    assert "-# v1" in changes["README.md"]["diff"] and "+# v2" in changes["README.md"]["diff"]
    assert changes["model.bin"]["diff"] == "(binary or large file)"
    assert [c["status"] for c in files.diff_trees(new, None)] == ["added"] * 3
