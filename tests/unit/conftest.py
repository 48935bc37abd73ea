"""A user's workspace laid out as the spawner does, with the example common library."""

import shutil
from pathlib import Path

import pytest

from spawner.workspace import lay_out_workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def workspace(tmp_path):
    common = tmp_path / "common"
    shutil.copytree(EXAMPLES / "digital_twins", common / "digital_twins")
    return lay_out_workspace(tmp_path / "users", "alice", common)
