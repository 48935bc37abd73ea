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
    return write_steps(workspace, name, {"execute": cells}, schema, **manifest)


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    # as Jupyter writes it: papermill needs the language to inject parameters
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def write_steps(
    workspace: Path,
    name: str,
    steps: dict[str, list[str]],
    schema: dict | None = None,
    **manifest,
) -> Path:
    """A twin with one notebook per lifecycle step, ``lifecycle/<step>.ipynb``."""
    folder = workspace / "digital_twins" / name
    (folder / "lifecycle").mkdir(parents=True, exist_ok=True)
    for step, cells in steps.items():
        write_notebook(folder / "lifecycle" / f"{step}.ipynb", cells)
    manifest["lifecycle"] = {s: {"notebook": f"lifecycle/{s}.ipynb"} for s in steps}
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
