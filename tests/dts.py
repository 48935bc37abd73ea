"""Writing small digital twins on disk for tests: one execute step, given code cells."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import yaml


def write_dt(
    workspace: Path, name: str, cells: list[str], schema: dict | None = None, **manifest
) -> Path:
    """``digital_twins/<name>`` in a workspace, with dt.yaml and lifecycle/execute.ipynb."""
    folder = workspace / "digital_twins" / name
    (folder / "lifecycle").mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest["lifecycle"] = {"execute": {"notebook": "lifecycle/execute.ipynb"}}
    if schema:
        manifest["parameters"] = schema
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    give_to_owner(workspace, folder.parent)
    return folder


def give_to_owner(workspace: Path, path: Path) -> None:
    """Files a test writes into a workspace belong to its owner, as the user's own would."""
    owner = workspace.stat()
    if owner.st_uid == os.geteuid():
        return
    for p in [path, *path.rglob("*")]:
        os.lchown(p, owner.st_uid, owner.st_gid)
