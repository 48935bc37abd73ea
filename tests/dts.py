"""Writing small digital twins on disk for tests: one execute step, given code cells."""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from asset_library.fsutil import own_like


def write_dt(
    workspace: Path, name: str, cells: list[str], schema: dict | None = None, **manifest
) -> Path:
    """``digital_twins/<name>`` in a workspace, with dt.yaml and lifecycle/execute.ipynb."""
    folder = workspace / "digital_twins" / name
    (folder / "lifecycle").mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    # as Jupyter writes it: papermill needs the language to inject parameters
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest["lifecycle"] = {"execute": {"notebook": "lifecycle/execute.ipynb"}}
    if schema:
        manifest["parameters"] = schema
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    own_like(folder.parent, workspace)  # as the user's own files would be
    return folder


def write_bulk_models(common: Path, count: int) -> None:
    """``count`` described models (asset.yaml and README) in a common library: a library
    large enough that its first index build takes a while."""
    for i in range(count):
        folder = common / "models" / f"bulk-{i:05d}"
        folder.mkdir(parents=True)
        (folder / "asset.yaml").write_text(f"title: Bulk model {i}\ntags: [bulk]\n")
        (folder / "README.md").write_text(f"# Bulk {i}\n\nA model among many.\n")


def write_solver(workspace: Path) -> Path:
    """A described function asset, ``functions/solver``, in a user's library."""
    solver = workspace / "functions" / "solver"
    solver.mkdir(parents=True)
    (solver / "asset.yaml").write_text(
        "title: Damped solver\ndescription: Integrates damped oscillators.\ntags: [ode]\n"
    )
    (solver / "README.md").write_text("# Damped solver\n\nA small ODE solver.\n")
    own_like(solver.parent, workspace)
    return solver
