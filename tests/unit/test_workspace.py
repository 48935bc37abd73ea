import os

import pytest

from spawner.workspace import LIBRARY_FOLDERS, lay_out_workspace


def test_workspace_has_library_folders_and_common_link(tmp_path):
    common = tmp_path / "common"
    (common / "digital_twins" / "x").mkdir(parents=True)
    home = lay_out_workspace(tmp_path / "users", "alice", common)
    for folder in LIBRARY_FOLDERS:
        assert (home / folder).is_dir()
    assert (home / "common" / "digital_twins" / "x").is_dir()
    assert not os.path.isabs(os.readlink(home / "common"))


def test_layout_is_idempotent_and_keeps_files(tmp_path):
    home = lay_out_workspace(tmp_path / "users", "alice", tmp_path / "common")
    (home / "models" / "m.txt").write_text("keep")
    lay_out_workspace(tmp_path / "users", "alice", tmp_path / "common")
    assert (home / "models" / "m.txt").read_text() == "keep"


@pytest.mark.parametrize("name", ["..", "a/../../b", "/etc"])
def test_names_that_escape_users_are_refused(tmp_path, name):
    with pytest.raises(ValueError):
        lay_out_workspace(tmp_path / "users", name, tmp_path / "common")


def test_group_libraries_are_linked_for_member_groups_only(tmp_path):
    users, groups = tmp_path / "users", tmp_path / "groups"
    home = lay_out_workspace(users, "alice", tmp_path / "common", groups, ["lab", "ops"])
    (groups / "lab" / "models").mkdir(parents=True)
    assert (home / "groups" / "lab" / "models").is_dir()
    assert {p.name for p in (home / "groups").iterdir()} == {"lab", "ops"}
    lay_out_workspace(users, "alice", tmp_path / "common", groups, ["lab"])
    assert {p.name for p in (home / "groups").iterdir()} == {"lab"}
    assert (groups / "ops").is_dir()  # leaving a group never deletes its library
